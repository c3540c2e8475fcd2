"""From a customer asking for a person to the ticket showing in an open console.

    scripts/app.sh bench/desk_live.py [--handoffs 50]

Starts the action server, the engine, the Messenger simulator and the gateway as a real process
(the stack of bench/gateway_latency.py: SQLite shared by the gateway and the action server, as
`make run` has it), signs in to the desk as a member of staff and opens the live stream
`GET /desk/events`, as a console page does. Then, one at a time, `--handoffs` new customers
each write "I want to talk to a human" (a signed webhook). For each, the clock runs from the
webhook being posted until the ticket is in the console's list: on every `event: tickets` the
stream brings, the console fetches `GET /desk/api/tickets` (what its page does on an event),
until the customer's ticket is in it.

Prints p50/p99 of the whole and of its legs: webhook → ticket stored (the ticket's created_at,
written by the action server during the turn), stored → the stream's event, event → list
fetched with the ticket. Each ticket is then closed in the database (not through the desk: that
would also resume the engine, which is not measured here) so the queue stays short; the close
is itself an event, awaited before the next customer writes. A customer whose turn does not
hand off (no ticket within 60 s) is counted and skipped.
JSON copy: bench/results/desk_live.json. About 2–3 minutes (plus the engine's start).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from bench.gateway_latency import Stack, gateway_stack
from desk.staff import create_agent
from desk.web.auth import new_secret
from store.models import HandoffRequest, HandoffStatus, Resolution

RESULTS = Path(__file__).resolve().parent / "results" / "desk_live.json"
HANDOFF_TEXT = "I want to talk to a human"
USERNAME, PASSWORD = "bench-agent", "bench password, not a secret"
TURN_TIMEOUT = 60.0
WARMUP = 2
SEED = "supportbot-bench-desk-live-v1"
# The console learns of tickets written by the action server from the watcher's poll (every
# 0.25 s). Customers written right after the previous event would all arrive at the same point
# of that cycle; a random pause first makes them arrive at any point, as real ones do.
MAX_PAUSE = 0.3


@dataclass
class Stream:
    """The console's event stream: each `event: tickets` with the moment it arrived."""

    events: asyncio.Queue[tuple[float, str]] = field(default_factory=asyncio.Queue)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self, http: aiohttp.ClientSession, url: str) -> None:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=None)) as response:
            if response.status != 200:
                raise RuntimeError(f"GET /desk/events: {response.status} {await response.text()}")
            self.connected.set()
            kind, data = "message", ""
            async for raw in response.content:
                line = raw.decode().rstrip("\r\n")
                if not line:  # the end of one event
                    if kind == "tickets":
                        await self.events.put((time.perf_counter(), data))
                    kind, data = "message", ""
                elif line.startswith("event:"):
                    kind = line.removeprefix("event:").strip()
                elif line.startswith("data:"):
                    data = line.removeprefix("data:").strip()

    def drain(self) -> None:
        while not self.events.empty():
            self.events.get_nowait()

    async def next_after(self, moment: float, timeout: float) -> float:
        """When the first event that arrived after `moment` came."""
        async with asyncio.timeout(timeout):
            while True:
                arrived, _ = await self.events.get()
                if arrived > moment:
                    return arrived


@dataclass
class Handoff:
    total: float  # webhook posted → ticket in the console's list
    stored: float  # webhook posted → ticket row's created_at
    to_event: float  # ticket stored → event on the stream
    to_list: float  # event → the list that holds the ticket
    ack: float  # webhook posted → 200
    fetches: int  # lists fetched until the ticket was in one


async def listed(http: aiohttp.ClientSession, url: str, customer: str) -> int | None:
    """The id of the customer's ticket if the console's list shows it."""
    async with http.get(f"{url}/desk/api/tickets") as response:
        if response.status != 200:
            raise RuntimeError(f"GET /desk/api/tickets: {response.status} {await response.text()}")
        tickets = (await response.json())["tickets"]
    return next((t["id"] for t in tickets if t["customer"]["id"] == customer), None)


def created_at(stack: Stack, ticket_id: int) -> datetime:
    with stack.sessions() as session:
        row = session.get(HandoffRequest, ticket_id)
        assert row is not None
        return row.created_at


def close(stack: Stack, ticket_id: int) -> None:
    now = datetime.now(UTC)
    with stack.sessions.begin() as session:
        session.execute(
            sa.update(HandoffRequest)
            .where(HandoffRequest.id == ticket_id)
            .values(
                status=HandoffStatus.CLOSED,
                resolution=Resolution.CLOSED,
                closed_at=now,
                updated_at=now,
            )
        )


async def one_handoff(
    stack: Stack, http: aiohttp.ClientSession, stream: Stream, customer: str, pause: float
) -> Handoff | None:
    url = stack.gateway.url
    await asyncio.sleep(pause)
    stream.drain()
    wall = time.time()
    posted = time.perf_counter()
    answer = await stack.sim.post_message(url, customer, HANDOFF_TEXT)
    acked = time.perf_counter()
    if answer.status != 200:
        raise RuntimeError(f"webhook refused: {answer.status}")
    fetches = 0
    moment = posted
    try:
        async with asyncio.timeout(TURN_TIMEOUT):
            while True:
                event = await stream.next_after(moment, TURN_TIMEOUT)
                moment = event
                fetches += 1
                ticket_id = await listed(http, url, customer)
                if ticket_id is not None:
                    shown = time.perf_counter()
                    break
    except TimeoutError:
        return None
    stored = created_at(stack, ticket_id).timestamp() - wall
    close(stack, ticket_id)
    with contextlib.suppress(TimeoutError):
        await stream.next_after(shown, 5.0)  # the close's own event, before the next customer
    return Handoff(
        total=shown - posted,
        stored=stored,
        to_event=(event - posted) - stored,
        to_list=shown - event,
        ack=acked - posted,
        fetches=fetches,
    )


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {"p50": round(cuts[49], 1), "p99": round(cuts[98], 1), "max": round(ms[-1], 1)}


async def run(handoffs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="desk-live-") as folder:
        async with gateway_stack(Path(folder)) as stack:
            with stack.sessions.begin() as session:
                create_agent(session, USERNAME, "Bench Agent", PASSWORD)
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                login = {"username": USERNAME, "password": PASSWORD}
                async with http.post(f"{stack.gateway.url}/desk/api/login", json=login) as reply:
                    if reply.status != 200:
                        raise RuntimeError(f"sign-in: {reply.status} {await reply.text()}")
                stream = Stream()
                reader = asyncio.create_task(stream.read(http, f"{stack.gateway.url}/desk/events"))
                try:
                    async with asyncio.timeout(30):
                        await stream.connected.wait()
                    results: list[Handoff] = []
                    missed = 0
                    rng = random.Random(SEED)
                    for number in range(-WARMUP, handoffs):
                        customer = f"live{number + 10:05d}"
                        pause = rng.uniform(0, MAX_PAUSE)
                        outcome = await one_handoff(stack, http, stream, customer, pause)
                        if outcome is None:
                            missed += number >= 0
                            continue
                        if number >= 0:
                            results.append(outcome)
                            print(
                                f"  {len(results):3d}: {outcome.total * 1000:7.1f} ms "
                                f"(stored {outcome.stored * 1000:6.1f}, event "
                                f"+{outcome.to_event * 1000:5.1f}, list +"
                                f"{outcome.to_list * 1000:5.1f})",
                                flush=True,
                            )
                finally:
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await reader
    return {
        "handoffs": len(results),
        "missed": missed,
        "model": stack.model,
        "nproc": os.cpu_count(),
        "load_average": os.getloadavg(),
        "total_ms": percentiles([r.total for r in results]),
        "webhook_to_ticket_stored_ms": percentiles([r.stored for r in results]),
        "stored_to_event_ms": percentiles([r.to_event for r in results]),
        "event_to_listed_ms": percentiles([r.to_list for r in results]),
        "webhook_ack_ms": percentiles([r.ack for r in results]),
        "lists_fetched_mean": round(statistics.fmean(r.fetches for r in results), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--handoffs", type=int, default=50)
    args = parser.parse_args()
    # The gateway process signs desk sessions with it; without it one would be written to var/.
    os.environ.setdefault("DESK_SECRET_KEY", new_secret())
    figures = asyncio.run(run(args.handoffs))
    print(f"\n{figures['handoffs']} handoffs ({figures['missed']} turns did not hand off)")
    for key, label in (
        ("total_ms", "handoff message → ticket in the console"),
        ("webhook_to_ticket_stored_ms", "  webhook → ticket stored"),
        ("stored_to_event_ms", "  stored → stream event"),
        ("event_to_listed_ms", "  event → list with the ticket"),
        ("webhook_ack_ms", "webhook ACK"),
    ):
        f = figures[key]
        print(f"{label:<42} p50 {f['p50']:7.1f} ms   p99 {f['p99']:7.1f} ms   max {f['max']:7.1f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))
    print(f"JSON copy: {RESULTS.relative_to(RESULTS.parent.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
