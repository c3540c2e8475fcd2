"""Soak of the message path: many conversations at once, duplicate webhooks, failing sends —
then every customer message must have had its replies exactly once, in order.

    scripts/app.sh bench/gateway_soak.py [--messages 10000] [--conversations 500]
        [--concurrency 32] [--duplicates 0.05] [--failures 0.01]

The same stack as bench/gateway_latency.py: action server, engine (SQLite tracker store),
the Messenger simulator in this process, the gateway as a real process on a temporary SQLite
database (one router process, as SQLite requires).

`--messages` are spread over `--conversations` customers (20 each by default), `--concurrency`
conversations at a time. A customer writes its messages in order, each once it has the whole
answer to the previous one — except that now and then (15 %) it writes the next one straight
away, so a conversation sometimes has two messages waiting. The texts are short and always
answered without a handoff (greetings, thanks, FAQ questions, tracking and order codes that are
in the demo store): the point is delivery, not NLU.

Faults injected:
- duplicate deliveries (`--duplicates`, 5 %): the same signed webhook body posted again, a third
  each racing the original, right after its 200, and later (after 1–3 more messages of the
  conversation, or once the conversation is over);
- Send API failures (`--failures`, 1 %): the simulator answers HTTP 500 (a transient Graph
  error) to about one message send in 100; the outbox must retry it.

Then, once nothing is left to do, it checks and prints: messages and duplicates posted, inbox
rows (every one `done`, one per distinct message), outbox rows (every one `sent`, no
(inbox_message_id, position) twice, every message answered), the simulator's deliveries per
customer against the outbox rows (every platform message id once, same text), order (each
customer's deliveries follow the order of their messages), failures injected against retries
recorded, the gateway's own counters, warnings in its log, and the wall time.
JSON copy: bench/results/gateway_soak.json. Exit status 1 when a check fails. About 35 minutes
in full (the engine is the bottleneck: ~5 turns/s on 2 shared cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.engine_latency import handoff_openings, summary
from bench.gateway_latency import (
    Stack,
    await_answer,
    gateway_stack,
    is_handoff,
    metric_values,
    send_parts,
)
from sandbox.simulator.messenger import GraphCall
from store.models import InboxMessage, OutboxMessage

RESULTS = Path(__file__).resolve().parent / "results" / "gateway_soak.json"
SEED = "supportbot-bench-gateway-soak-v1"
BURST = 0.15  # chance that a customer writes the next message without waiting for the answer
QUIET_TIMEOUT = 180.0  # after the last message: seconds for the pipeline to drain
# Always answered, never handed off (checked against the engine): codes from the demo store.
TEXTS = (
    "hi",
    "hello there",
    "good morning!",
    "thanks!",
    "thank you so much",
    "how long does standard shipping take?",
    "do you ship to germany?",
    "what is your return policy?",
    "can i pay with paypal?",
    "what are your opening hours?",
    "where is my parcel 1Z5R89390357567127",
    "where is my package 3318810025",
    "track 986578788855",
    "status of my order #12345",
    "order ORD-2B8M4X status",  # two replies: the order, then its parcel
)


@dataclass
class Plan:
    """What each conversation writes, and which messages are delivered twice and how."""

    texts: list[list[str]]
    duplicates: dict[tuple[int, int], tuple[str, int]]  # (conv, k) → (kind, later: after n)

    @classmethod
    def make(cls, messages: int, conversations: int, duplicate_rate: float) -> Plan:
        rng = random.Random(SEED)
        sizes = [messages // conversations + (c < messages % conversations)
                 for c in range(conversations)]  # fmt: skip
        texts = [[rng.choice(TEXTS) for _ in range(size)] for size in sizes]
        keys = [(c, k) for c, size in enumerate(sizes) for k in range(size)]
        chosen = rng.sample(keys, round(len(keys) * duplicate_rate))
        kinds = ("racing", "after_ack", "later")
        duplicates = {key: (kinds[i % 3], rng.randint(1, 3)) for i, key in enumerate(chosen)}
        return cls(texts, duplicates)


@dataclass
class Soak:
    """What was posted and seen while the soak ran."""

    mids: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # mid → (user, conv, k)
    posted_at: dict[str, float] = field(default_factory=dict)  # mid → perf_counter
    acks: list[float] = field(default_factory=list)
    non_200: Counter[int] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    answered: int = 0
    timeouts: int = 0
    handoffs: int = 0
    no_reply: int = 0
    injected: int = 0


class FailureInjector:
    """Keeps one Send API failure armed: it strikes after a random number of good sends
    (mean 1/rate − 1), then the next one is armed. Message sends only, never the typing bubble."""

    def __init__(self, stack: Stack, rate: float, soak: Soak) -> None:
        self.sim, self.soak = stack.sim, soak
        self.gap = max(1, round(1 / rate)) if rate > 0 else 0
        self.rng = random.Random(SEED + "-failures")
        self.active = False

    def start(self) -> None:
        if self.gap:
            self.active = True
            self.sim.on_call = self._seen
            self._arm()

    def stop(self) -> None:
        self.active = False

    def _arm(self) -> None:
        self.sim.fail_next(1, status=500, after=self.rng.randint(0, 2 * (self.gap - 1)))

    def _seen(self, call: GraphCall) -> None:
        if call.is_message and call.status == 500:
            self.soak.injected += 1
            if self.active:
                self._arm()


async def post(stack: Stack, soak: Soak, raw: bytes) -> int:
    """Post one signed body as Meta would: again (as Meta does) while the answer is not 200."""
    for _ in range(5):
        started = time.perf_counter()
        reply = await stack.sim.post_webhook(stack.gateway.url, raw)
        soak.acks.append(time.perf_counter() - started)
        if reply.status == 200:
            return 200
        soak.non_200[reply.status] += 1
        await asyncio.sleep(1)
    return reply.status


async def conversation(
    stack: Stack, soak: Soak, plan: Plan, conv: int, openings: list[str]
) -> None:
    """One customer's messages, in order; duplicates as planned."""
    sim = stack.sim
    user = str(7_200_000_000_000_000 + conv)
    received = 0
    waiting: list[str] = []  # posted, answer not yet awaited
    later: list[tuple[int, bytes]] = []  # (post after message k, body)
    texts = plan.texts[conv]
    rng = random.Random(f"{SEED}-{conv}")
    for k, text in enumerate(texts):
        mid = f"m_soak_{conv}_{k}"
        raw = json.dumps(
            sim.webhook_body(sim.entry(sim.message_event(user, text, mid=mid)))
        ).encode()
        soak.mids[mid] = (user, conv, k)
        soak.posted_at[mid] = time.perf_counter()
        duplicate = plan.duplicates.get((conv, k))
        if duplicate and duplicate[0] == "racing":
            await asyncio.gather(post(stack, soak, raw), post(stack, soak, raw))
            soak.duplicates["racing"] += 1
        else:
            await post(stack, soak, raw)
        if duplicate and duplicate[0] == "after_ack":
            await post(stack, soak, raw)
            soak.duplicates["after_ack"] += 1
        elif duplicate and duplicate[0] == "later":
            later.append((k + duplicate[1], raw))
        for _, body in [d for d in later if d[0] == k]:
            await post(stack, soak, body)
            soak.duplicates["later"] += 1
        later = [d for d in later if d[0] != k]
        waiting.append(mid)
        if k + 1 < len(texts) and len(waiting) < 3 and rng.random() < BURST:
            continue  # writes again before the answer
        for waited in waiting:
            try:
                answer = await await_answer(stack, user, waited, received)
            except TimeoutError:
                soak.timeouts += 1
                received = len(sim.delivered_at[user])  # go on from what arrived
                continue
            received += answer.sends
            soak.answered += 1
            soak.no_reply += answer.sends == 0
            soak.handoffs += is_handoff(answer.texts, openings)
        waiting = []
    for _, body in later:  # the conversation is over: Meta redelivers an old message
        await post(stack, soak, body)
        soak.duplicates["later"] += 1


async def drain(stack: Stack, timeout: float) -> dict[str, int]:
    """Wait until no inbox or outbox row is still to be done; their statuses then."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = await asyncio.to_thread(row_statuses, stack)
        busy = sum(statuses.get(s, 0) for s in ("in:pending", "in:processing"))
        busy += sum(statuses.get(s, 0) for s in ("out:pending", "out:sending"))
        if not busy or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.5)


def row_statuses(stack: Stack) -> dict[str, int]:
    with stack.sessions() as session:
        inbox = session.execute(
            sa.select(InboxMessage.status, sa.func.count()).group_by(InboxMessage.status)
        ).all()
        outbox = session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    return {f"in:{s}": n for s, n in inbox} | {f"out:{s}": n for s, n in outbox}


def verify(stack: Stack, soak: Soak) -> dict[str, Any]:
    """The exactly-once and order checks, from the database and the simulator's record."""
    with stack.sessions() as session:
        inbox = session.execute(
            sa.select(
                InboxMessage.id,
                InboxMessage.platform_message_id,
                InboxMessage.user_id,
                InboxMessage.status,
            )
        ).all()
        outbox = list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        repeated_positions = session.execute(
            sa.select(OutboxMessage.inbox_message_id, OutboxMessage.position, sa.func.count())
            .group_by(OutboxMessage.inbox_message_id, OutboxMessage.position)
            .having(sa.func.count() > 1)
        ).all()
    c: dict[str, Any] = {}
    inbox_by_mid = {row.platform_message_id: row for row in inbox}
    inbox_mid_of = {row.id: row.platform_message_id for row in inbox}
    c["distinct_messages_posted"] = len(soak.mids)
    c["inbox_rows"] = len(inbox)
    c["inbox_missing"] = sum(mid not in inbox_by_mid for mid in soak.mids)
    c["inbox_not_posted"] = sum(row.platform_message_id not in soak.mids for row in inbox)
    c["inbox_status"] = dict(Counter(str(row.status) for row in inbox))
    c["outbox_rows"] = len(outbox)
    c["outbox_status"] = dict(Counter(str(row.status) for row in outbox))
    c["outbox_repeated_inbox_position"] = len(repeated_positions)
    c["outbox_without_inbox"] = sum(row.inbox_message_id is None for row in outbox)
    replies_per_message = Counter(row.inbox_message_id for row in outbox)
    c["messages_without_reply"] = sum(replies_per_message[row.id] == 0 for row in inbox)
    c["replies_per_message"] = dict(sorted(Counter(replies_per_message.values()).items()))
    # Parts: what the connector sends per row, what it recorded, what the simulator delivered.
    expected_parts = {row.id: send_parts(row) for row in outbox}
    # platform id → (inbox id, position, part, the row's text if it is sent in one part)
    where: dict[str, tuple[int, int, int, str | None]] = {}
    recorded_wrong_parts = 0
    for row in outbox:
        ids = list(row.platform_message_ids or [])
        recorded_wrong_parts += row.status == "sent" and len(ids) != expected_parts[row.id]
        for part, platform_id in enumerate(ids):
            single = row.text if expected_parts[row.id] == 1 and not row.custom else None
            where[platform_id] = (row.inbox_message_id or 0, row.position, part, single)
    c["outbox_rows_with_wrong_part_count"] = recorded_wrong_parts
    delivered = stack.sim.sends
    c["sends_delivered"] = len(delivered)
    c["sends_expected"] = sum(expected_parts[row.id] for row in outbox)
    c["sends_not_in_outbox"] = sum(call.message_id not in where for call in delivered)
    seen = Counter(call.message_id for call in delivered)
    c["outbox_ids_not_delivered"] = sum(platform_id not in seen for platform_id in where)
    c["outbox_ids_delivered_twice"] = sum(n > 1 for n in seen.values())
    text_mismatch = 0
    per_user: defaultdict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for call in delivered:
        place = where.get(call.message_id or "")
        if place is None:
            continue
        inbox_id, position, part, text = place
        text_mismatch += text is not None and call.text != text
        per_user[call.recipient_id or ""].append((inbox_id, position, part))
    c["send_text_mismatch"] = text_mismatch
    rows_per_user: Counter[str] = Counter()
    for row in outbox:
        rows_per_user[row.user_id] += expected_parts[row.id]
    sends_per_user = Counter(call.recipient_id for call in delivered)
    c["customers"] = len({user for user, _, _ in soak.mids.values()})
    c["customers_sends_differ_from_outbox"] = sum(
        sends_per_user[user] != rows_per_user[user]
        for user in {user for user, _, _ in soak.mids.values()}
    )
    # Order: deliveries in the order of the outbox rows' turns, turns in the order written.
    out_of_order = 0
    for places in per_user.values():
        out_of_order += places != sorted(places)
    c["customers_replies_out_of_order"] = out_of_order
    written_order_broken = 0
    by_user: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for mid, (user, _, k) in soak.mids.items():
        stored = inbox_by_mid.get(mid)
        if stored is not None:
            by_user[user].append((k, stored.id))
    for pairs in by_user.values():
        arrival = [inbox_id for _, inbox_id in sorted(pairs)]
        written_order_broken += arrival != sorted(arrival)
    c["customers_inbox_order_differs_from_written"] = written_order_broken
    # Send failures: each one injected must be one more attempt on a row that was then sent.
    retried = [row for row in outbox if row.attempts > 1]
    c["send_failures_injected"] = sum(1 for call in stack.sim.calls if call.status == 500)
    c["outbox_extra_attempts"] = sum(row.attempts - 1 for row in outbox)
    c["outbox_rows_retried"] = len(retried)
    c["outbox_rows_retried_and_sent"] = sum(str(row.status) == "sent" for row in retried)
    c["typing_on_calls"] = sum(1 for call in stack.sim.calls if call.sender_action == "typing_on")
    c["outbox_attempts"] = sum(row.attempts for row in outbox)
    # The typing bubble goes before a turn's first reply only (every try of it).
    c["first_reply_attempts"] = sum(row.attempts for row in outbox if row.position == 0)
    # Latency of each message: posted → its last reply at the Send API.
    last_send: dict[str, float] = {}
    for platform_id, (inbox_id, *_rest) in where.items():
        stamp = stack.sim.stamp_of.get(platform_id)
        answered = inbox_mid_of.get(inbox_id)
        if stamp and answered:
            last_send[answered] = max(last_send.get(answered, 0.0), stamp[0])
    c["latency_samples"] = [last_send[m] - soak.posted_at[m] for m in last_send]
    return c


def problems(c: dict[str, Any], soak: Soak) -> list[str]:
    """Every check that failed, in words."""
    found = []
    zero = (
        "inbox_missing", "inbox_not_posted", "outbox_repeated_inbox_position",
        "outbox_without_inbox", "messages_without_reply", "outbox_rows_with_wrong_part_count",
        "sends_not_in_outbox", "outbox_ids_not_delivered", "outbox_ids_delivered_twice",
        "send_text_mismatch", "customers_sends_differ_from_outbox",
        "customers_replies_out_of_order", "customers_inbox_order_differs_from_written",
    )  # fmt: skip
    for name in zero:
        if c[name]:
            found.append(f"{name}: {c[name]}")
    if c["inbox_rows"] != c["distinct_messages_posted"]:
        found.append(f"inbox rows {c['inbox_rows']} ≠ messages {c['distinct_messages_posted']}")
    if set(c["inbox_status"]) != {"done"}:
        found.append(f"inbox rows not all done: {c['inbox_status']}")
    if set(c["outbox_status"]) != {"sent"}:
        found.append(f"outbox rows not all sent: {c['outbox_status']}")
    if c["sends_delivered"] != c["sends_expected"]:
        found.append(f"sends delivered {c['sends_delivered']} ≠ expected {c['sends_expected']}")
    if c["outbox_extra_attempts"] != c["send_failures_injected"]:
        found.append(
            f"extra attempts {c['outbox_extra_attempts']} ≠ failures injected "
            f"{c['send_failures_injected']}"
        )
    if c["outbox_rows_retried_and_sent"] != c["outbox_rows_retried"]:
        found.append("a retried reply was not sent in the end")
    if c["typing_on_calls"] != c["first_reply_attempts"]:
        found.append(
            f"typing_on {c['typing_on_calls']} ≠ first-reply send attempts "
            f"{c['first_reply_attempts']}"
        )
    for name in ("timeouts", "handoffs", "no_reply"):
        if getattr(soak, name):
            found.append(f"{name} while waiting for answers: {getattr(soak, name)}")
    if soak.non_200:
        found.append(f"webhook answers other than 200: {dict(soak.non_200)}")
    return found


def log_summary(path: Path) -> dict[str, Any]:
    """Lines of the gateway's JSON log by level, and the commonest warning/error events."""
    levels: Counter[str] = Counter()
    events: Counter[str] = Counter()
    for raw in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            levels["(not JSON)"] += 1
            events[raw[:120]] += 1
            continue
        level = str(entry.get("level", "?"))
        levels[level] += 1
        if level in ("warning", "error", "critical"):
            events[str(entry.get("event", ""))[:120]] += 1
    return {"levels": dict(levels), "top_warnings": events.most_common(5)}


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def progress(soak: Soak, total: int, started: float) -> None:
    while True:
        await asyncio.sleep(30)
        elapsed = time.perf_counter() - started
        print(
            f"  {elapsed:6.0f}s: {len(soak.mids)}/{total} messages posted, {soak.answered} "
            f"answered ({soak.answered / elapsed:.1f}/s), {soak.injected} send failures",
            flush=True,
        )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = Plan.make(args.messages, args.conversations, args.duplicates)
    openings = handoff_openings()
    soak = Soak()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        async with gateway_stack(Path(tmp)) as stack:
            print(
                f"model {stack.model}; engine up in {stack.engine_startup:.1f}s; "
                f"{args.messages} messages over {args.conversations} conversations, "
                f"{args.concurrency} at a time...",
                flush=True,
            )
            rss_before = rss_mb(stack.gateway.process.pid)
            load_before = os.getloadavg()
            injector = FailureInjector(stack, args.failures, soak)
            injector.start()
            started = time.perf_counter()
            queue = iter(range(args.conversations))

            async def worker() -> None:
                for conv in queue:
                    await conversation(stack, soak, plan, conv, openings)

            reporter = asyncio.create_task(progress(soak, args.messages, started))
            try:
                await asyncio.gather(*(worker() for _ in range(args.concurrency)))
                posted = time.perf_counter() - started
                statuses = await drain(stack, QUIET_TIMEOUT)
                wall = time.perf_counter() - started
            finally:
                reporter.cancel()
            injector.stop()
            await asyncio.sleep(2)  # a late duplicate answered by mistake would show by now
            checks = await asyncio.to_thread(verify, stack, soak)
            metrics = await stack.metrics()
            rss_after = rss_mb(stack.gateway.process.pid)
            log = log_summary(stack.gateway.log_path)
    load_after = os.getloadavg()
    latencies = checks.pop("latency_samples")
    results: dict[str, Any] = {
        "model": stack.model,
        "nproc": os.cpu_count(),
        "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "messages": args.messages,
        "conversations": args.conversations,
        "concurrency": args.concurrency,
        "duplicate_rate": args.duplicates,
        "failure_rate": args.failures,
        "wall_s": round(wall, 1),
        "posting_s": round(posted, 1),
        "throughput_msgs_per_s": round(len(soak.mids) / wall, 2),
        "duplicates_posted": dict(soak.duplicates),
        "webhook_posts": len(soak.acks),
        "webhook_non_200": dict(soak.non_200),
        "ack": summary(soak.acks),
        "end_to_end": summary(latencies) if len(latencies) > 1 else None,
        "waits": {
            "answered": soak.answered,
            "timeouts": soak.timeouts,
            "handoffs": soak.handoffs,
            "no_reply": soak.no_reply,
        },
        "statuses_after_drain": statuses,
        "checks": checks,
        "gateway_inbound": metric_values(metrics, "supportbot_inbound_messages_total"),
        "gateway_outbound": metric_values(metrics, "supportbot_outbound_messages_total"),
        "gateway_rss_mb_before_after": [rss_before, rss_after],
        "gateway_log": log,
    }
    results["problems"] = problems(checks, soak)
    return results


def show(r: dict[str, Any]) -> None:
    c = r["checks"]
    before, after = r["loadavg_1m_before_after"]
    dup = r["duplicates_posted"]
    print(f"machine: nproc {r['nproc']}, load average (1 min) {before:.2f} before, "
          f"{after:.2f} after")  # fmt: skip
    print(
        f"wall time {r['wall_s']:.1f} s ({r['posting_s']:.1f} s posting, the rest draining); "
        f"{r['throughput_msgs_per_s']:.2f} messages/s"
    )
    print(
        f"messages posted: {c['distinct_messages_posted']} distinct, to {c['customers']} "
        f"customers, {r['concurrency']} conversations at a time"
    )
    print(
        f"duplicates posted: {sum(dup.values())} ({dup.get('racing', 0)} racing the original, "
        f"{dup.get('after_ack', 0)} right after its 200, {dup.get('later', 0)} later); "
        f"webhook POSTs {r['webhook_posts']}, non-200 answers {r['webhook_non_200'] or 0}"
    )
    a = r["ack"]
    print(f"webhook ACK: p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms, max {a['max_ms']:.1f}")
    if r["end_to_end"]:
        e = r["end_to_end"]
        print(
            f"end-to-end (posted → last reply at the Send API): p50 {e['p50_ms']:.1f} ms, "
            f"p99 {e['p99_ms']:.1f} ms, max {e['max_ms']:.1f} ms"
        )
    print(
        f"inbox: {c['inbox_rows']} rows for {c['distinct_messages_posted']} distinct messages, "
        f"status {c['inbox_status']}, missing {c['inbox_missing']}"
    )
    print(
        f"outbox: {c['outbox_rows']} rows, status {c['outbox_status']}, "
        f"(inbox_message_id, position) twice: {c['outbox_repeated_inbox_position']}, "
        f"messages without a reply: {c['messages_without_reply']}, "
        f"replies per message {c['replies_per_message']}"
    )
    print(
        f"answers: {c['sends_expected']} Send API messages expected, {c['sends_delivered']} "
        f"delivered; not from an outbox row {c['sends_not_in_outbox']}, outbox ids never "
        f"delivered {c['outbox_ids_not_delivered']}, delivered twice "
        f"{c['outbox_ids_delivered_twice']}, wrong text {c['send_text_mismatch']}; customers "
        f"whose deliveries ≠ their outbox rows: {c['customers_sends_differ_from_outbox']}"
    )
    print(
        f"order: customers with replies out of order {c['customers_replies_out_of_order']}, "
        f"with messages stored out of written order "
        f"{c['customers_inbox_order_differs_from_written']}"
    )
    print(
        f"send failures injected {c['send_failures_injected']}; outbox extra attempts "
        f"{c['outbox_extra_attempts']} on {c['outbox_rows_retried']} rows, "
        f"{c['outbox_rows_retried_and_sent']} of them sent in the end; typing_on calls "
        f"{c['typing_on_calls']} for {c['first_reply_attempts']} tries of a turn's first reply "
        f"({c['outbox_attempts']} send attempts in all)"
    )
    w = r["waits"]
    print(
        f"customer side: {w['answered']} answers awaited, {w['timeouts']} timeouts, "
        f"{w['handoffs']} handoffs, {w['no_reply']} without reply"
    )
    inbound = {k: int(v) for k, v in r["gateway_inbound"].items()}
    outbound = {k: int(v) for k, v in r["gateway_outbound"].items()}
    print(f"gateway counters: inbound {inbound}; outbound {outbound}")
    rss = r["gateway_rss_mb_before_after"]
    print(f"gateway RSS {rss[0]} MB → {rss[1]} MB; log lines by level {r['gateway_log']['levels']}")
    for event, count in r["gateway_log"]["top_warnings"]:
        print(f"  {count:5d} × {event}")
    if r["problems"]:
        print("CHECKS FAILED:")
        for problem in r["problems"]:
            print(f"  - {problem}")
    else:
        print("all checks passed: every message answered exactly once, in order")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--conversations", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--duplicates", type=float, default=0.05)
    ap.add_argument("--failures", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if not 0 < args.conversations <= args.messages:
        ap.error("need 0 < --conversations ≤ --messages")
    results = asyncio.run(run(args))
    show(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {args.out}")
    return 1 if results["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
