"""What the gateway adds to a turn: webhook ACK, end-to-end latency and throughput, against the
bare engine measured in the same run.

    scripts/app.sh bench/gateway_latency.py [--sequential 200] [--concurrent 400] [--lanes 16]

Starts the action server and the engine (conversations in an SQLite tracker store, as
production), the Messenger simulator in this process (the Graph Send API on loopback, recording
the time each call arrives) and the gateway as a real process (`python -m gateway`) on a
temporary SQLite database shared with the action server, as `make run` has it.

Messages are drawn deterministically from bench/data/nlu_heldout.yml, leaving out the intents
that hand the conversation to a person or can (`human_handoff`, `complaint`,
`delivery_problem`, and the bare `affirm`/`deny` that answer an offer of a person): a handoff
pauses the conversation and a paused conversation gets no reply. A new customer starts every
`--per-customer` messages, and also right after a turn that handed off anyway (a re-asked code,
twice misunderstood) or got no reply; those are counted.

Measured on the same engine, after a warm-up of both paths. The machine is shared, so the
gateway and the bare engine take turns and see the same background load:
1. sequential, `--sequential` messages, alternately one through the gateway and the same one
   straight to the engine's REST channel (fresh sender ids, so no conversation is shared).
   Through the gateway each signed webhook is posted, then we wait until the simulator has
   received every Send API message of that turn (the turn's outbox rows, read from the gateway's
   database, say how many). End-to-end = webhook posted → the turn's last reply at the Send API
   (also: → its first reply);
2. `--lanes` customers at once, each writing its next message when it has the whole answer to
   the previous one, `--concurrent` messages in four blocks: gateway, bare, bare, gateway.
   Latency, throughput (messages/s over the blocks' wall time) and, through the gateway, the
   webhook ACK (signed POST → 200) of posts made while the other lanes' turns run.

Prints the figures, end-to-end p50 minus bare p50 (goal ≤ 15 ms) and throughput ours ÷ bare
(goal ≥ 90 %), whether each goal is met, and where the gateway's time goes (medians of the legs,
from the inbox timestamps and the simulator's clock). JSON copy:
bench/results/gateway_latency.json. About 4–6 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bench.engine_latency import handoff_openings, summary
from bench.nlu_sets import TEST_SETS, Example, load
from connectors.messenger.compose import message_objects
from outbox.messages import Button, OutboundMessage
from sandbox.simulator.messenger import GraphCall, MessengerSimulator
from sandbox.stack import Service, start_actions, start_engine, start_gateway, trained_model
from store.db import session_factory
from store.models import InboxMessage, OutboxMessage

RESULTS = Path(__file__).resolve().parent / "results" / "gateway_latency.json"
SEED = "supportbot-bench-gateway-latency-v1"
# Intents whose turn hands off (or can: a bare yes/no answers an offer of a person).
HANDOFF_INTENTS = frozenset({"human_handoff", "complaint", "delivery_problem", "affirm", "deny"})
WARMUP = 20
TURN_TIMEOUT = 60.0
GOAL_P50_OVERHEAD_MS = 15.0
GOAL_THROUGHPUT_RATIO = 0.90

# Credentials of the simulator; they open nothing else.
APP_SECRET = "bench-app-secret"
VERIFY_TOKEN = "bench-verify-token"
PAGE_ACCESS_TOKEN = "bench-page-access-token"
PAGE_ID = "100000000000001"


# --- the simulator, timed ---------------------------------------------------------------------


class TimedSimulator(MessengerSimulator):
    """The Messenger simulator, also noting when each delivered message reached the Send API
    (perf_counter and wall clock), per customer; `on_call` sees every call as it is recorded."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delivered_at: defaultdict[str, list[float]] = defaultdict(list)  # user → stamps
        self.typing_at: defaultdict[str, list[float]] = defaultdict(list)  # typing_on bubbles
        self.stamp_of: dict[str, tuple[float, float]] = {}  # message id → (perf, wall)
        self.on_call: Callable[[GraphCall], None] | None = None
        self._arrived: dict[str, asyncio.Event] = {}

    def _record(
        self,
        request: web.Request,
        body: dict[str, Any],
        token: str | None,
        status: int,
        answer: dict[str, Any],
        headers: Mapping[str, str] | None = None,
        message_id: str | None = None,
    ) -> web.Response:
        stamp, wall = time.perf_counter(), time.time()
        response = super()._record(request, body, token, status, answer, headers, message_id)
        call = self.calls[-1]
        if call.sender_action == "typing_on" and call.delivered and call.recipient_id:
            self.typing_at[call.recipient_id].append(stamp)
        if call.is_message and call.delivered and call.recipient_id:
            self.delivered_at[call.recipient_id].append(stamp)
            if call.message_id:
                self.stamp_of[call.message_id] = (stamp, wall)
            event = self._arrived.get(call.recipient_id)
            if event is not None:
                event.set()
        if self.on_call is not None:
            self.on_call(call)
        return response

    async def wait_user(self, user_id: str, count: int, timeout: float) -> list[float]:
        """The customer's delivery stamps once there are `count`; TimeoutError otherwise."""
        stamps = self.delivered_at[user_id]
        event = self._arrived.setdefault(user_id, asyncio.Event())
        async with asyncio.timeout(timeout):
            while len(stamps) < count:
                event.clear()
                await event.wait()
        return stamps


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    """Everything running, and the gateway's database as the bench reads it."""

    sim: TimedSimulator
    gateway: Service
    engine: Service
    sessions: sessionmaker[Session]
    model: str
    engine_startup: float
    log_dir: Path

    def answer_rows(self, mid: str) -> tuple[str | None, list[OutboxMessage]]:
        """The inbox status of message `mid` and the outbox rows of its turn, in order."""
        with self.sessions() as session:
            row = session.execute(
                sa.select(InboxMessage.id, InboxMessage.status).where(
                    InboxMessage.platform_message_id == mid
                )
            ).first()
            if row is None:
                return None, []
            replies = session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.inbox_message_id == row.id)
                .order_by(OutboxMessage.position)
            ).all()
            return str(row.status), list(replies)

    async def metrics(self) -> str:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.gateway.url}/metrics") as response,
        ):
            return await response.text()


@asynccontextmanager
async def gateway_stack(log_dir: Path) -> AsyncIterator[Stack]:
    """Action server, engine (SQLite tracker store), simulator and gateway; stopped on exit."""
    model = await asyncio.to_thread(trained_model)
    database_url = f"sqlite:///{log_dir / 'supportbot.db'}"
    actions = await asyncio.to_thread(start_actions, database_url, log_dir)
    try:
        engine, startup = await asyncio.to_thread(
            start_engine, actions.url, log_dir, model=model, tracker_db=log_dir / "tracker.db"
        )
        try:
            sim = TimedSimulator(
                app_secret=APP_SECRET, page_id=PAGE_ID, page_access_token=PAGE_ACCESS_TOKEN
            )
            await sim.start()
            try:
                environment = {
                    "DATABASE_URL": database_url,
                    "ENGINE_URL": engine.url,
                    "MESSENGER_APP_SECRET": APP_SECRET,
                    "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
                    "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_ACCESS_TOKEN,
                    "GRAPH_API_URL": sim.graph_api_url,
                }
                gateway = await asyncio.to_thread(start_gateway, environment, log_dir)
                try:
                    yield Stack(
                        sim,
                        gateway,
                        engine,
                        session_factory(database_url),
                        model.name,
                        startup,
                        log_dir,
                    )
                finally:
                    await asyncio.to_thread(gateway.stop)  # the simulator still answers meanwhile
            finally:
                await sim.close()
        finally:
            await asyncio.to_thread(engine.stop)
    finally:
        await asyncio.to_thread(actions.stop)


# --- one turn through the gateway --------------------------------------------------------------


def send_parts(row: OutboxMessage) -> int:
    """How many Send API message calls the connector makes for this outbox row."""
    message = OutboundMessage(
        platform=row.platform,
        account_id=row.account_id,
        user_id=row.user_id,
        text=row.text,
        buttons=tuple(Button(b["title"], b["payload"]) for b in row.buttons),
        custom=row.custom,
        from_person=row.from_person,
    )
    return len(message_objects(message))


@dataclass
class Answer:
    """What one customer message got: Send API messages, their texts, when the first and the
    last arrived (perf_counter; None without replies)."""

    sends: int
    texts: list[str]
    first: float | None
    last: float | None


async def await_answer(stack: Stack, user_id: str, mid: str, base: int) -> Answer:
    """Wait until every reply to message `mid` reached the Send API.

    `base`: how many messages the customer had received before this turn's. The first delivery
    after `base` means the turn is done (replies go out in turn order), so its outbox rows are in
    the database and say how many deliveries make the whole answer. A turn with no reply is
    found by looking at the database each second of silence.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TURN_TIMEOUT
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"no answer to {mid} for customer {user_id} in {TURN_TIMEOUT}s")
        try:
            await stack.sim.wait_user(user_id, base + 1, min(1.0, remaining))
            break
        except TimeoutError:
            status, rows = await asyncio.to_thread(stack.answer_rows, mid)
            if status in ("done", "failed") and not rows:
                return Answer(0, [], None, None)
    status, rows = await asyncio.to_thread(stack.answer_rows, mid)
    sends = sum(send_parts(row) for row in rows)
    if sends == 0:  # that delivery answered a later message
        return Answer(0, [], None, None)
    stamps = await stack.sim.wait_user(user_id, base + sends, max(0.1, deadline - loop.time()))
    return Answer(sends, [row.text for row in rows], stamps[base], stamps[base + sends - 1])


# --- the messages and who writes them ----------------------------------------------------------


def answerable(examples: Sequence[Example]) -> list[Example]:
    return [e for e in examples if e.intent not in HANDOFF_INTENTS]


def draw(examples: Sequence[Example], count: int, seed: str) -> list[str]:
    """`count` texts: the examples shuffled with a fixed seed, again and again as needed."""
    rng = random.Random(seed)
    texts: list[str] = []
    while len(texts) < count:
        batch = [e.text for e in examples]
        rng.shuffle(batch)
        texts += batch
    return texts[:count]


class Customers:
    """Customer ids: a new one every `per_customer` messages, or at once after a handoff or a
    turn without reply (the conversation is paused: it would answer nothing more)."""

    def __init__(self, ids: Iterator[str], per_customer: int) -> None:
        self._ids = ids
        self.per_customer = per_customer
        self.current = next(ids)
        self.used = 1
        self._messages = 0

    def next_message(self) -> str:
        if self._messages >= self.per_customer:
            self.current, self._messages = next(self._ids), 0
            self.used += 1
        self._messages += 1
        return self.current

    def paused(self) -> None:
        self._messages = self.per_customer


@dataclass
class Tally:
    """One measurement's samples and counts."""

    latencies: list[float] = field(default_factory=list)  # whole answer
    first_reply: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    customers: int = 0
    handoffs: int = 0
    no_reply: int = 0
    failed_posts: int = 0
    wall: float = 0.0
    # per message: (mid, customer, wall clock posted, perf posted, perf first reply)
    posts: list[Post] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        for name in ("latencies", "first_reply", "acks", "posts"):
            getattr(self, name).extend(getattr(other, name))
        for name in ("customers", "handoffs", "no_reply", "failed_posts", "wall"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


Post = tuple[str, str, float, float, float | None]


def is_handoff(texts: Sequence[str], openings: Sequence[str]) -> bool:
    return any(o and t.startswith(o) for t in texts for o in openings)


class Writer:
    """Customers writing one after another, one message at a time, each waiting for the whole
    answer to the previous one; `tally` collects what they saw."""

    def __init__(self, customers: Customers, openings: Sequence[str]) -> None:
        self.customers = customers
        self.openings = openings
        self.tally = Tally()

    async def write(self, text: str) -> None:
        raise NotImplementedError

    async def run(self, texts: Sequence[str]) -> Tally:
        for text in texts:
            await self.write(text)
        self.tally.customers = self.customers.used
        return self.tally

    def answered(self, texts: Sequence[str]) -> None:
        if not texts:
            self.tally.no_reply += 1
            self.customers.paused()
        elif is_handoff(texts, self.openings):
            self.tally.handoffs += 1
            self.customers.paused()


class GatewayWriter(Writer):
    """Through the gateway: a signed webhook, then the replies at the simulated Send API."""

    def __init__(self, stack: Stack, customers: Customers, openings: Sequence[str]) -> None:
        super().__init__(customers, openings)
        self.stack = stack
        self.received: defaultdict[str, int] = defaultdict(int)

    async def write(self, text: str) -> None:
        user = self.customers.next_message()
        mid = f"m_bench_{uuid.uuid4().hex}"
        wall, posted = time.time(), time.perf_counter()
        reply = await self.stack.sim.post_message(self.stack.gateway.url, user, text, mid=mid)
        self.tally.acks.append(time.perf_counter() - posted)
        if reply.status != 200:
            self.tally.failed_posts += 1
            return
        answer = await await_answer(self.stack, user, mid, self.received[user])
        self.received[user] += answer.sends
        self.tally.posts.append((mid, user, wall, posted, answer.first))
        if answer.first is not None and answer.last is not None:
            self.tally.first_reply.append(answer.first - posted)
            self.tally.latencies.append(answer.last - posted)
        self.answered(answer.texts)


class BareWriter(Writer):
    """Straight to the engine's REST channel: what the router does for one turn."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        engine_url: str,
        customers: Customers,
        openings: Sequence[str],
    ) -> None:
        super().__init__(customers, openings)
        self.http = http
        self.url = f"{engine_url}/webhooks/rest/webhook"

    async def write(self, text: str) -> None:
        sender = self.customers.next_message()
        # The metadata the router sends, but for the inbox row id (there is none here).
        metadata: dict[str, Any] = {
            "platform": "messenger",
            "account_id": PAGE_ID,
            "user_id": sender,
            "user_name": None,
            "user_handle": None,
            "attachments": [],
        }
        body = {"sender": sender, "message": text, "metadata": metadata}
        started = time.perf_counter()
        async with self.http.post(self.url, json=body) as response:
            messages = await response.json(content_type=None) if response.status == 200 else None
        elapsed = time.perf_counter() - started
        if not isinstance(messages, list):
            self.tally.failed_posts += 1
            return
        self.tally.latencies.append(elapsed)
        self.answered([str(m.get("text") or "") for m in messages if isinstance(m, dict)])


async def in_lanes(writers: Sequence[Writer], texts: Sequence[str]) -> Tally:
    """The texts dealt round-robin to the writers, all writing at once; the merged tally, its
    `wall` from the first post to the last answer."""
    started = time.perf_counter()
    lanes = [list(texts[lane :: len(writers)]) for lane in range(len(writers))]
    results = await asyncio.gather(*(w.run(lane) for w, lane in zip(writers, lanes, strict=True)))
    total = Tally()
    for result in results:
        total.merge(result)
    total.wall = time.perf_counter() - started
    return total


def numeric_ids(start: int) -> Iterator[str]:
    """Messenger page-scoped ids are digits."""
    return (str(n) for n in itertools.count(start))


def named_ids(prefix: str) -> Iterator[str]:
    return (f"{prefix}-{n}" for n in itertools.count())


# --- where the gateway's time goes ------------------------------------------------------------


def breakdown(stack: Stack, posts: Sequence[Post]) -> dict[str, float]:
    """Median ms of each leg, from the inbox timestamps (the gateway's clock is ours: one host).

    posted → stored (inbox received_at, taken before the INSERT), stored → claimed by the
    router, claimed → turn done (the engine's turn; processed_at, taken before the outbox rows
    are committed), done → the typing bubble at the Send API → the first reply there.
    """
    mids = {mid: (user, wall, posted, first) for mid, user, wall, posted, first in posts if first}
    legs: dict[str, list[float]] = defaultdict(list)
    with stack.sessions() as session:
        rows = session.execute(
            sa.select(
                InboxMessage.platform_message_id,
                InboxMessage.received_at,
                InboxMessage.claimed_at,
                InboxMessage.processed_at,
            ).where(InboxMessage.platform_message_id.in_(list(mids)))
        ).all()
    for mid, received, claimed, processed in rows:
        user, wall, posted, first = mids[mid]
        if not (received and claimed and processed and first):
            continue
        offset = wall - posted  # perf_counter → wall clock
        typing = [t for t in stack.sim.typing_at[user] if t <= first]
        legs["posted_to_stored"].append(_ts(received) - wall)
        legs["stored_to_claimed"].append((claimed - received).total_seconds())
        legs["claimed_to_turn_done"].append((processed - claimed).total_seconds())
        if typing:
            legs["turn_done_to_typing_on"].append(typing[-1] + offset - _ts(processed))
            legs["typing_on_to_reply"].append(first - typing[-1])
        legs["turn_done_to_first_reply"].append(first + offset - _ts(processed))
    return {leg: round(statistics.median(v) * 1000, 1) for leg, v in legs.items() if v}


def _ts(value: datetime) -> float:
    return value.timestamp()


def metric_values(text: str, name: str) -> dict[str, float]:
    """Samples of one metric from the Prometheus text, keyed by their label string."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(\{{[^}}]*\}})?\s+(\S+)$", line)
        if match:
            values[match.group(1) or ""] = float(match.group(2))
    return values


# --- the run -----------------------------------------------------------------------------------


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    examples = answerable(load(TEST_SETS["heldout"]))
    sequential = draw(examples, args.sequential, SEED)
    concurrent = draw(examples, args.concurrent, SEED + "-concurrent")
    warmup = draw(examples, WARMUP, SEED + "-warmup")
    openings = handoff_openings()
    ids = numeric_ids(7_100_000_000_000_000)
    per = args.per_customer
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        async with gateway_stack(Path(tmp)) as stack, aiohttp.ClientSession() as http:
            print(
                f"model {stack.model}; engine up in {stack.engine_startup:.1f}s; "
                f"gateway {stack.gateway.url}; warming up...",
                flush=True,
            )
            await GatewayWriter(stack, Customers(ids, per), openings).run(warmup)
            bare_url = stack.engine.url
            warm = BareWriter(http, bare_url, Customers(named_ids("warm"), per), openings)
            await warm.run(warmup)
            load_before = os.getloadavg()

            # The machine is shared: gateway and bare engine take turns, so both see the same
            # background load — message by message when sequential, ABBA blocks when concurrent.
            print(
                f"sequential: {len(sequential)} messages through the gateway and the same "
                "straight to the engine, alternately...",
                flush=True,
            )
            seq = GatewayWriter(stack, Customers(ids, per), openings)
            bare_seq = BareWriter(http, bare_url, Customers(named_ids("seq"), per), openings)
            started = time.perf_counter()
            for text in sequential:
                await seq.write(text)
                await bare_seq.write(text)
            seq.tally.customers = seq.customers.used
            bare_seq.tally.customers = bare_seq.customers.used
            print(f"  done in {time.perf_counter() - started:.0f}s", flush=True)

            half = len(concurrent) // 2
            blocks = [concurrent[:half], concurrent[half:]]
            conc, bare_conc = Tally(), Tally()
            for side, block in (("gateway", 0), ("bare", 0), ("bare", 1), ("gateway", 1)):
                print(
                    f"{args.lanes} at once, {'gateway' if side == 'gateway' else 'bare engine'}: "
                    f"{len(blocks[block])} messages...",
                    flush=True,
                )
                if side == "gateway":
                    writers: list[Writer] = [
                        GatewayWriter(stack, Customers(ids, per), openings)
                        for _ in range(args.lanes)
                    ]
                    conc.merge(await in_lanes(writers, blocks[block]))
                else:
                    writers = [
                        BareWriter(http, bare_url, Customers(named_ids(f"c{block}-{i}"), per),
                                   openings)
                        for i in range(args.lanes)
                    ]  # fmt: skip
                    bare_conc.merge(await in_lanes(writers, blocks[block]))
            load_after = os.getloadavg()
            legs_seq = await asyncio.to_thread(breakdown, stack, seq.tally.posts)
            legs_conc = await asyncio.to_thread(breakdown, stack, conc.posts)
            metrics = await stack.metrics()
    return {
        "model": stack.model,
        "nproc": os.cpu_count(),
        "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "per_customer": args.per_customer,
        "lanes": args.lanes,
        "left_out_intents": sorted(HANDOFF_INTENTS),
        "seq": seq.tally,
        "bare_seq": bare_seq.tally,
        "conc": conc,
        "bare_conc": bare_conc,
        "breakdown_sequential_ms": legs_seq,
        "breakdown_concurrent_ms": legs_conc,
        "outbound_metric": metric_values(metrics, "supportbot_outbound_messages_total"),
        "ack_metric": {
            name: metric_values(metrics, f"supportbot_webhook_ack_seconds_{name}")
            for name in ("sum", "count")
        },
    }


def counts(tally: Tally) -> dict[str, int]:
    return {
        "customers": tally.customers,
        "handoffs": tally.handoffs,
        "no_reply": tally.no_reply,
        "failed_posts": tally.failed_posts,
    }


def report(raw: dict[str, Any]) -> dict[str, Any]:
    seq, bare_seq, conc, bare_conc = (raw[k] for k in ("seq", "bare_seq", "conc", "bare_conc"))
    kept = ("model", "nproc", "loadavg_1m_before_after", "per_customer", "lanes")
    results: dict[str, Any] = {k: raw[k] for k in (*kept, "left_out_intents")}
    results["ack_busy"] = summary(conc.acks)
    results["ack_idle"] = summary(seq.acks)
    results["e2e_sequential"] = summary(seq.latencies)
    results["e2e_sequential_first_reply"] = summary(seq.first_reply)
    results["bare_sequential"] = summary(bare_seq.latencies)
    results["e2e_concurrent"] = summary(conc.latencies)
    results["e2e_concurrent_first_reply"] = summary(conc.first_reply)
    results["bare_concurrent"] = summary(bare_conc.latencies)
    ours = (len(conc.latencies) + conc.no_reply) / conc.wall
    bare = (len(bare_conc.latencies) + bare_conc.no_reply) / bare_conc.wall
    results["throughput_msgs_per_s"] = {"gateway": round(ours, 2), "bare": round(bare, 2)}
    overhead = results["e2e_sequential"]["p50_ms"] - results["bare_sequential"]["p50_ms"]
    overhead_first = (
        results["e2e_sequential_first_reply"]["p50_ms"] - results["bare_sequential"]["p50_ms"]
    )
    ratio = ours / bare
    results["goals"] = {
        "p50_overhead_ms": round(overhead, 1),
        "p50_overhead_first_reply_ms": round(overhead_first, 1),
        "p50_overhead_goal_ms": GOAL_P50_OVERHEAD_MS,
        "p50_overhead_met": overhead <= GOAL_P50_OVERHEAD_MS,
        "throughput_ratio": round(ratio, 3),
        "throughput_ratio_goal": GOAL_THROUGHPUT_RATIO,
        "throughput_ratio_met": ratio >= GOAL_THROUGHPUT_RATIO,
    }
    results["counts"] = {
        "gateway_sequential": counts(seq),
        "bare_sequential": counts(bare_seq),
        "gateway_concurrent": counts(conc),
        "bare_concurrent": counts(bare_conc),
    }
    results["breakdown_sequential_ms"] = raw["breakdown_sequential_ms"]
    results["breakdown_concurrent_ms"] = raw["breakdown_concurrent_ms"]
    results["outbound_metric"] = raw["outbound_metric"]
    if len(seq.latencies) == len(bare_seq.latencies):  # message i through both: a pair
        pairs = [g - b for g, b in zip(seq.latencies, bare_seq.latencies, strict=True)]
        results["goals"]["paired_difference_p50_ms"] = round(statistics.median(pairs) * 1000, 1)
    acks = raw["ack_metric"]
    label = '{platform="messenger",status="200"}'
    if acks["count"].get(label):
        mean = acks["sum"][label] / acks["count"][label]
        results["ack_gateway_side_mean_ms"] = round(mean * 1000, 1)
    return results


def line(label: str, s: dict[str, float], note: str = "") -> str:
    return (
        f"{label:34s} p50 {s['p50_ms']:7.1f} ms  p99 {s['p99_ms']:7.1f} ms  "
        f"mean {s['mean_ms']:7.1f}  max {s['max_ms']:7.1f}  (n={s['n']}{note})"
    )


def show(r: dict[str, Any]) -> None:
    lanes = r["lanes"]
    before, after = r["loadavg_1m_before_after"]
    print(
        f"machine: nproc {r['nproc']}, load average (1 min) {before:.2f} before, {after:.2f} after"
    )
    print(f"messages: held-out set without {', '.join(r['left_out_intents'])}")
    print(line("webhook ACK, engine busy", r["ack_busy"], f", during the {lanes}-lane phase"))
    print(line("webhook ACK, engine idle", r["ack_idle"], ", sequential phase"))
    if "ack_gateway_side_mean_ms" in r:
        print(f"  (the gateway's own histogram: mean {r['ack_gateway_side_mean_ms']:.1f} ms, all)")
    print(line("end-to-end, sequential", r["e2e_sequential"], ", whole answer"))
    print(line("  … to the first reply", r["e2e_sequential_first_reply"]))
    print(line("bare engine, sequential", r["bare_sequential"]))
    print(line(f"end-to-end, {lanes} at once", r["e2e_concurrent"], ", whole answer"))
    print(line("  … to the first reply", r["e2e_concurrent_first_reply"]))
    print(line(f"bare engine, {lanes} at once", r["bare_concurrent"]))
    tp = r["throughput_msgs_per_s"]
    print(f"throughput, {lanes} at once: gateway {tp['gateway']:.2f} msg/s, "
          f"bare engine {tp['bare']:.2f} msg/s")  # fmt: skip
    g = r["goals"]
    print(
        f"end-to-end p50 − bare p50: {g['p50_overhead_ms']:+.1f} ms (whole answer), "
        f"{g['p50_overhead_first_reply_ms']:+.1f} ms (first reply)"
        + (
            f", median of the per-message differences {g['paired_difference_p50_ms']:+.1f} ms"
            if "paired_difference_p50_ms" in g
            else ""
        )
        + "; goal ≤ "
        f"{g['p50_overhead_goal_ms']:.0f} ms: {'met' if g['p50_overhead_met'] else 'MISSED'}"
    )
    print(
        f"throughput gateway ÷ bare: {g['throughput_ratio'] * 100:.1f} %; goal ≥ "
        f"{g['throughput_ratio_goal'] * 100:.0f} %: "
        f"{'met' if g['throughput_ratio_met'] else 'MISSED'}"
    )
    for phase, c in r["counts"].items():
        print(
            f"  {phase}: {c['customers']} customers, {c['handoffs']} handoffs, "
            f"{c['no_reply']} turns without reply, {c['failed_posts']} failed posts"
        )
    for name in ("breakdown_sequential_ms", "breakdown_concurrent_ms"):
        legs = ", ".join(f"{leg} {ms:.1f}" for leg, ms in r[name].items())
        print(f"gateway legs, median ms ({name.split('_')[1]}): {legs}")
    outbound = {k: int(v) for k, v in r["outbound_metric"].items()}
    print(f"gateway outbound counter: {outbound}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sequential", type=int, default=200)
    ap.add_argument("--concurrent", type=int, default=400)
    ap.add_argument("--lanes", type=int, default=16)
    ap.add_argument("--per-customer", type=int, default=5)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    results = report(asyncio.run(measure(args)))
    show(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
