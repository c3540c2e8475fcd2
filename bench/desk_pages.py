"""How fast the desk's pages answer with 10,000 tickets in the database.

    scripts/app.sh bench/desk_pages.py [--tickets 10000] [--requests 200] [--postgresql]

Fills a fresh database (an SQLite file in a temporary folder; with `--postgresql`, a new
database on TEST_POSTGRES_URL's server, dropped afterwards) with `--tickets` tickets — mixed
statuses, priorities, platforms and reasons, each with a realistic context (codes with their
lookup, intents, a 20-line transcript) — and the conversations behind them: the customers'
messages in the inbox, the bot's and the agents' replies in the outbox, private notes, plus
half as many conversations the bot handled alone. About 110,000 inbox and 130,000 outbox rows
for 10,000 tickets, spread over the last 28 days.

Then serves the gateway (with the desk) from a second process of this script, as production
runs it (`create_app`, the pipeline's state: router, outbox, ticket watcher), with one extra
outermost middleware that puts the handler's time in a `Server-Timing` header. Signs in and
asks each page `--requests` times in turn, one request at a time (keep-alive):

- the queue page `GET /desk/`, the JSON ticket list `GET /desk/api/tickets`,
- a ticket page `GET /desk/tickets/{id}` and its JSON `GET /desk/api/tickets/{id}` (ids drawn
  from all tickets),
- the reports page `GET /desk/reports` (default range: the last 14 days) and its JSON.

Prints server time (handler, from Server-Timing) and client time (request sent → body read)
p50/p99 per page; a route not served yet is reported as such. JSON copy:
bench/results/desk_pages[_postgresql].json. About 2 minutes on SQLite (mostly the filling).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from desk.staff import hash_password
from sandbox.stack import free_port
from store.db import prepare_database, session_factory
from store.models import Agent, HandoffRequest, InboxMessage, OutboxMessage, TicketNote

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results"
SEED = "supportbot-bench-desk-pages-v1"
PASSWORD = "bench password, not a secret"
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DAYS = 28
WARMUP = 5
CHUNK = 5_000

PLATFORMS = (("messenger", "page-100", 0.6), ("x", "brand-200", 0.4))
REASONS = (
    ("customer_request", 0.35),
    ("delivery_problem", 0.2),
    ("complaint", 0.12),
    ("unknown_code", 0.12),
    ("repeated_misunderstanding", 0.1),
    ("invalid_code", 0.06),
    ("other", 0.05),
)
SLA_MINUTES = {"urgent": 15, "high": 30, "normal": 60}
CUSTOMER_LINES = (
    "hi",
    "where is my parcel 1Z5R89390357567127",
    "it says delivered but I don't have it",
    "my order ORD-48213 hasn't arrived yet",
    "can you check again please",
    "the tracking hasn't moved in 4 days",
    "I was not at home, can you redeliver?",
    "this is the third time I'm asking",
    "I want a refund",
    "the box was damaged and the mug is broken",
    "can I talk to a human",
    "thanks",
)
BOT_LINES = (
    "Hi! I can track a parcel or check an order. What's your tracking number?",
    "Your UPS parcel 1Z5R89390357567127 is on its way 🚚 Latest update: Milan hub.",
    "I couldn't find that code in our store. Could you double-check it?",
    "Order ORD-48213 was shipped on Monday with GLS; expected delivery Thursday.",
    "Sorry about that! I'm passing you to a person, they'll answer within about 10 minutes.",
    "I'm not sure I understood. You can ask about a parcel, an order, returns or payments.",
)
AGENT_LINES = (
    "Hi, this is Sam from support. I'm looking into it now.",
    "I've asked the courier to open an investigation; you'll hear from us within 48 hours.",
    "A replacement is on its way, tracking number to follow by e-mail.",
)


# --- filling the database ---------------------------------------------------------------------


@dataclass
class Filled:
    tickets: int
    inbox: int
    outbox: int
    notes: int
    ticket_ids: list[int]
    seconds: float


def fill(url: str, tickets: int, seed: str = SEED) -> Filled:
    """Migrate a fresh database at `url` and fill it (deterministic for a seed)."""
    started = time.perf_counter()
    engine = prepare_database(url, load_demo=False)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        agents = [
            Agent(
                username=f"agent{n}",
                display_name=f"Agent {n}",
                role="admin" if n == 0 else "agent",
                password_hash=hash_password(PASSWORD),
                active=True,
                created_at=now - timedelta(days=60),
            )
            for n in range(12)
        ]
        session.add_all(agents)
        session.flush()
        agent_ids = [a.id for a in agents]
    writer = Writer(engine)
    ids = iter(range(1, 10**9))
    for number in range(1, tickets + 1):
        _ticket(writer, rng, number, now, agent_ids, ids)
        writer.flush_when_full()
    for number in range(tickets // 2):
        _bot_only_conversation(writer, rng, number, now, ids)
        writer.flush_when_full()
    writer.flush_all()
    if engine.dialect.name == "postgresql":
        # Ids were given explicitly: move the sequences past them for rows added later.
        with engine.begin() as connection:
            for table in ("handoff_requests", "inbox_messages", "outbox_messages", "ticket_notes"):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            connection.execute(sa.text("ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    engine.dispose()
    return Filled(
        tickets=writer.counts["handoff_requests"],
        inbox=writer.counts["inbox_messages"],
        outbox=writer.counts["outbox_messages"],
        notes=writer.counts["ticket_notes"],
        ticket_ids=list(range(1, tickets + 1)),
        seconds=time.perf_counter() - started,
    )


class Writer:
    """Rows buffered per table and inserted in chunks (parents before children)."""

    ORDER = ("handoff_requests", "inbox_messages", "outbox_messages", "ticket_notes")
    TABLES: ClassVar[dict[str, sa.Table]] = {
        "handoff_requests": HandoffRequest.__table__,
        "inbox_messages": InboxMessage.__table__,
        "outbox_messages": OutboxMessage.__table__,
        "ticket_notes": TicketNote.__table__,
    }

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in self.ORDER}
        self.counts = dict.fromkeys(self.ORDER, 0)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)
        self.counts[table] += 1

    def flush_when_full(self) -> None:
        """Between tickets only: a ticket's rows go in together (foreign keys)."""
        if len(self.rows["outbox_messages"]) >= CHUNK:
            self.flush_all()

    def flush_all(self) -> None:
        with self.engine.begin() as connection:
            for name in self.ORDER:
                if self.rows[name]:
                    connection.execute(sa.insert(self.TABLES[name]), self.rows[name])
                    self.rows[name] = []


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def _ticket(
    writer: Writer,
    rng: random.Random,
    number: int,
    now: datetime,
    agent_ids: list[int],
    ids: Iterator[int],
) -> None:
    platform, account, _ = _pick(rng, PLATFORMS)
    (reason, _) = _pick(rng, REASONS)
    user = f"{platform[0]}{number:06d}"
    conversation = f"{platform}:{account}:{user}"
    roll = rng.random()
    if roll < 0.08:  # open: the queue, recent
        status, created = "open", now - timedelta(minutes=rng.uniform(1, 48 * 60))
    elif roll < 0.12:  # claimed: being worked
        status, created = "claimed", now - timedelta(minutes=rng.uniform(5, 72 * 60))
    else:
        status, created = "closed", now - timedelta(minutes=rng.uniform(90, DAYS * 24 * 60))
    if reason == "complaint":
        priority = rng.choice(("urgent", "urgent", "high"))
    else:
        priority = rng.choices(("urgent", "high", "normal"), weights=(0.05, 0.25, 0.7))[0]
    signals = {"urgent": ["complaint", "angry wording"], "high": ["repeated contact"]}.get(
        priority, []
    )
    due = created + timedelta(minutes=SLA_MINUTES[priority])
    # The conversation up to the handoff: 7 customer messages, each answered by the bot.
    transcript = []
    start = created - timedelta(seconds=45 * 7)
    for turn in range(7):
        received = start + timedelta(seconds=45 * turn + rng.uniform(0, 20))
        text = rng.choice(CUSTOMER_LINES)
        inbox_id = next(ids)
        writer.add("inbox_messages", _inbox(inbox_id, platform, account, user, text, received))
        transcript.append({"sender": "customer", "text": text, "at": received.isoformat()})
        for position in range(rng.choice((1, 1, 2))):
            reply = rng.choice(BOT_LINES)
            made = received + timedelta(seconds=rng.lognormvariate(0.0, 0.8))
            failed = rng.random() < 0.02
            writer.add(
                "outbox_messages",
                _outbox(next(ids), platform, account, user, reply, made, position,
                        inbox_id=inbox_id, failed=failed),
            )  # fmt: skip
            transcript.append({"sender": "bot", "text": reply, "at": made.isoformat()})
    claimed = first = closed = None
    assignee = None
    if status != "open":
        claimed = created + timedelta(minutes=rng.lognormvariate(2.0, 0.9))
        first = claimed + timedelta(minutes=rng.uniform(0.5, 6))
        assignee = rng.choice(agent_ids)
    if status == "closed":
        assert first is not None
        closed = first + timedelta(minutes=rng.uniform(3, 120))
    # After the handoff: the customer writes again, the agent answers.
    after = created
    for _ in range(rng.choice((1, 2, 3))):
        after += timedelta(minutes=rng.uniform(0.5, 5))
        text = rng.choice(CUSTOMER_LINES)
        writer.add("inbox_messages", _inbox(next(ids), platform, account, user, text, after))
    if first is not None:
        moment = first
        for _ in range(rng.choice((1, 2, 3))):
            writer.add(
                "outbox_messages",
                _outbox(next(ids), platform, account, user, rng.choice(AGENT_LINES), moment, 0,
                        agent_id=assignee, ticket_id=number),
            )  # fmt: skip
            moment += timedelta(minutes=rng.uniform(1, 10))
    for _ in range(rng.choice((0, 0, 1, 2))):
        writer.add(
            "ticket_notes",
            {
                "id": next(ids),
                "handoff_request_id": number,
                "agent_id": assignee or agent_ids[0],
                "text": "Courier says the parcel is at the depot; call back tomorrow.",
                "created_at": created + timedelta(minutes=rng.uniform(1, 30)),
            },
        )
    updated = closed or max(created, after, first or created)
    writer.add(
        "handoff_requests",
        {
            "id": number,
            "created_at": created,
            "status": status,
            "platform": platform,
            "conversation_id": conversation,
            "customer_id": user,
            "customer_name": f"Customer {number}",
            "reason": reason,
            "summary": f"{reason.replace('_', ' ').capitalize()} — UPS 1Z5R89390357567127 — "
            f'"{transcript[-2]["text"]}"',
            "context": {
                "intents": ["greet", "track_parcel", "inform_code", "human_handoff"],
                "codes": [
                    {
                        "code": "1Z5R89390357567127",
                        "kind": "tracking_number",
                        "valid": True,
                        "courier_code": "ups",
                        "courier_name": "UPS",
                        "found": "in_transit",
                        "lookup": {"status": "in_transit", "summary": "In transit, Milan hub"},
                    }
                ],
                "transcript": transcript[-20:],
                "language": "en",
            },
            "priority": priority,
            "priority_signals": signals,
            "sla_due_at": due,
            "updated_at": updated,
            "last_customer_message_at": after,
            "assignee_id": assignee,
            "claimed_at": claimed,
            "first_response_at": first,
            "closed_at": closed,
            "resolution": rng.choice(("closed", "returned_to_bot")) if closed else None,
        },
    )


def _bot_only_conversation(
    writer: Writer, rng: random.Random, number: int, now: datetime, ids: Iterator[int]
) -> None:
    platform, account, _ = _pick(rng, PLATFORMS)
    user = f"b{number:06d}"
    received = now - timedelta(minutes=rng.uniform(5, DAYS * 24 * 60))
    for _ in range(3):
        inbox_id = next(ids)
        text = rng.choice(CUSTOMER_LINES)
        writer.add("inbox_messages", _inbox(inbox_id, platform, account, user, text, received))
        made = received + timedelta(seconds=rng.lognormvariate(0.0, 0.8))
        writer.add(
            "outbox_messages",
            _outbox(next(ids), platform, account, user, rng.choice(BOT_LINES), made, 0,
                    inbox_id=inbox_id),
        )  # fmt: skip
        received += timedelta(seconds=rng.uniform(20, 120))


def _inbox(
    row_id: int, platform: str, account: str, user: str, text: str, at: datetime
) -> dict[str, Any]:
    return {
        "id": row_id,
        "platform": platform,
        "account_id": account,
        "user_id": user,
        "platform_message_id": f"mid.{row_id}",
        "conversation_key": f"{platform}:{account}:{user}",
        "text": text,
        "payload": None,
        "attachments": [],
        "user_name": None,
        "user_handle": f"handle{user}" if platform == "x" else None,
        "sent_at": at,
        "received_at": at,
        "status": "done",
        "attempts": 1,
        "next_attempt_at": at,
        "last_error": None,
        "claimed_at": at,
        "processed_at": at,
    }


def _outbox(
    row_id: int,
    platform: str,
    account: str,
    user: str,
    text: str,
    at: datetime,
    position: int,
    *,
    inbox_id: int | None = None,
    agent_id: int | None = None,
    ticket_id: int | None = None,
    failed: bool = False,
) -> dict[str, Any]:
    return {
        "id": row_id,
        "inbox_message_id": inbox_id,
        "platform": platform,
        "account_id": account,
        "user_id": user,
        "conversation_key": f"{platform}:{account}:{user}",
        "position": position,
        "text": text,
        "buttons": [],
        "custom": None,
        "from_person": agent_id is not None,
        "agent_id": agent_id,
        "handoff_request_id": ticket_id,
        "status": "failed" if failed else "sent",
        "attempts": 1,
        "next_attempt_at": at,
        "platform_message_ids": [] if failed else [f"out.{row_id}"],
        "last_error": "(#551) This person isn't available right now." if failed else None,
        "created_at": at,
        "sent_at": None if failed else at + timedelta(milliseconds=120),
    }


# --- the server (a child process of this script) --------------------------------------------


def serve(database_url: str, port: int) -> None:
    """The gateway app as production builds it, plus a Server-Timing header."""
    from desk.web.auth import new_secret
    from gateway.app import create_app
    from settings import Settings

    @web.middleware
    async def server_timing(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            response = await handler(request)
        except web.HTTPException as error:
            error.headers["Server-Timing"] = _timing(started)
            raise
        if not response.prepared:
            response.headers["Server-Timing"] = _timing(started)
        return response

    settings = Settings(
        database_url=database_url,
        desk_secret_key=new_secret(),
        engine_url="http://127.0.0.1:9",  # never called: every stored message is done
    )
    app = create_app(settings)
    app.middlewares.insert(0, server_timing)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _timing(started: float) -> str:
    return f"app;dur={(time.perf_counter() - started) * 1000:.3f}"


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    paths: list[str]


async def measure(http: aiohttp.ClientSession, base: str, page: Page, n: int) -> dict[str, Any]:
    server: list[float] = []
    client: list[float] = []
    sizes: list[int] = []
    statuses: dict[int, int] = {}
    for number in range(-WARMUP, n):
        path = page.paths[number % len(page.paths)]
        started = time.perf_counter()
        async with http.get(base + path, allow_redirects=False) as response:
            body = await response.read()
            elapsed = time.perf_counter() - started
            timing = response.headers.get("Server-Timing", "")
        if number < 0:
            continue
        statuses[response.status] = statuses.get(response.status, 0) + 1
        client.append(elapsed * 1000)
        if timing.startswith("app;dur="):
            server.append(float(timing.removeprefix("app;dur=")))
        sizes.append(len(body))
    result: dict[str, Any] = {"page": page.name, "path": page.paths[0], "statuses": statuses}
    if set(statuses) != {200}:
        result["served"] = False
        return result
    result |= {
        "served": True,
        "n": len(client),
        "server_ms": _percentiles(server),
        "client_ms": _percentiles(client),
        "bytes_median": int(statistics.median(sizes)),
    }
    return result


def _percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p99": round(cuts[98], 1), "max": round(max(values), 1)}


async def run_pages(base: str, ticket_ids: list[int], n: int, seed: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    sample = rng.sample(ticket_ids, min(n, len(ticket_ids)))
    pages = [
        Page("queue page", ["/desk/"]),
        Page("ticket list (JSON)", ["/desk/api/tickets"]),
        Page("ticket page", [f"/desk/tickets/{i}" for i in sample]),
        Page("ticket (JSON)", [f"/desk/api/tickets/{i}" for i in sample]),
        Page("reports page (14 days)", ["/desk/reports"]),
        Page("reports (JSON, 14 days)", ["/desk/reports.json"]),
    ]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.post(
            f"{base}/desk/api/login", json={"username": "agent1", "password": PASSWORD}
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"sign-in failed: {response.status} {await response.text()}")
        return [await measure(http, base, page, n) for page in pages]


def time_report(url: str, n: int) -> dict[str, Any]:
    """The reports' computation itself, without the page's one-minute cache: the default
    14 days, all platforms, `n` times; and each query's median."""
    from desk import reports
    from desk.preferences import business_hours

    sessions = session_factory(url)
    parts: dict[str, list[float]] = {}
    whole: list[float] = []
    with sessions() as session:
        zone = business_hours(session).timezone
        end = datetime.now(UTC).astimezone(zone).date()
        days = reports.Days(end - timedelta(days=13), end, zone)
        for _ in range(n):
            started = time.perf_counter()
            reports.build_report(session, days.dates[0], end, zone)
            whole.append((time.perf_counter() - started) * 1000)
            for name in ("messages", "human_first_response", "containment", "handoffs",
                         "pickup", "sla_breaches"):  # fmt: skip
                started = time.perf_counter()
                getattr(reports, name)(session, days)
                parts.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    sessions.kw["bind"].dispose()
    return {
        "n": n,
        "build_report_ms": _percentiles(whole),
        "query_median_ms": {k: round(statistics.median(v), 1) for k, v in parts.items()},
    }


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the desk server exited early")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("the desk server did not start")


def postgres_database() -> tuple[str, Callable[[], None]]:
    """A new, empty PostgreSQL database and a function that drops it."""
    name = f"desk_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False), drop


def print_results(label: str, filled: Filled, results: list[dict[str, Any]]) -> None:
    print(
        f"\n{label}: {filled.tickets:,} tickets, {filled.inbox:,} inbox and {filled.outbox:,} "
        f"outbox rows, {filled.notes:,} notes (filled in {filled.seconds:.0f} s)"
    )
    print(f"{'page':<26}{'server p50':>11}{'p99':>8}{'client p50':>12}{'p99':>8}{'KiB':>7}")
    for row in results:
        if not row["served"]:
            print(f"{row['page']:<26}  not served ({row['statuses']}) — {row['path']}")
            continue
        s, c = row["server_ms"], row["client_ms"]
        print(
            f"{row['page']:<26}{s['p50']:>9.1f}ms{s['p99']:>6.1f}ms{c['p50']:>10.1f}ms"
            f"{c['p99']:>6.1f}ms{row['bytes_median'] / 1024:>7.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgresql", action="store_true", help="on a fresh PostgreSQL database")
    parser.add_argument("--report-runs", type=int, default=20, help="uncached report computations")
    parser.add_argument(
        "--serve", nargs=2, metavar=("DATABASE_URL", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    label = "PostgreSQL" if args.postgresql else "SQLite"
    with tempfile.TemporaryDirectory(prefix="desk-bench-") as folder:
        if args.postgresql:
            url, drop = postgres_database()
        else:
            url, drop = f"sqlite:///{Path(folder) / 'desk.db'}", (lambda: None)
        try:
            print(f"filling a fresh {label} database with {args.tickets:,} tickets ...", flush=True)
            filled = fill(url, args.tickets)
            port = free_port()
            log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115 (the child writes it)
            env = {**os.environ, "PYTHONPATH": str(ROOT), "LOAD_DEMO_DATA": "false"}
            server = subprocess.Popen(
                [sys.executable, __file__, "--serve", url, str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                wait_until_up(base, server)
                results = asyncio.run(run_pages(base, filled.ticket_ids, args.requests, SEED))
            finally:
                server.terminate()
                server.wait(timeout=30)
                log.close()
            computation = time_report(url, args.report_runs)
        finally:
            drop()
    print_results(label, filled, results)
    b = computation["build_report_ms"]
    print(
        f"\nreports computed without the page's cache ({computation['n']} runs, 14 days): "
        f"p50 {b['p50']:.0f} ms, p99 {b['p99']:.0f} ms; per query (median, ms): "
        + ", ".join(f"{k} {v}" for k, v in computation["query_median_ms"].items())
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("desk_pages_postgresql.json" if args.postgresql else "desk_pages.json")
    out.write_text(
        json.dumps(
            {
                "database": label,
                "tickets": filled.tickets,
                "inbox_rows": filled.inbox,
                "outbox_rows": filled.outbox,
                "notes": filled.notes,
                "fill_seconds": round(filled.seconds, 1),
                "requests_per_page": args.requests,
                "nproc": os.cpu_count(),
                "load_average": os.getloadavg(),
                "pages": results,
                "reports_uncached": computation,
            },
            indent=2,
        )
    )
    print(f"\nJSON copy: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
