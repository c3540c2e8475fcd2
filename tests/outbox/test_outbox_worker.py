"""The outbox sender: replies go out in order per conversation, retried until the platform takes
them, and a reply the platform refuses for good is marked failed with the error for staff.

The senders here are small in-process stand-ins for the connectors' `PlatformSender` objects.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from inbox import accept
from outbox import OutboxWorker, enqueue
from outbox.backoff import Backoff
from outbox.messages import (
    Button,
    OutboundMessage,
    PlatformSender,
    SendOutcome,
    SendResult,
)
from store.models import OutboxMessage, OutboxStatus
from tests.inbox.database import customer_message, inbox_rows, outbox_rows, until

QUICK = Backoff(base=0.1, cap=0.4, jitter=0.0)


@dataclass
class Attempt:
    text: str
    conversation_key: str
    at: float


@dataclass
class ScriptedSender:
    """A connector whose platform answers as scripted, per reply text (SENT when unscripted)."""

    platform: str = "messenger"
    outcomes: dict[str, list[SendResult]] = field(default_factory=dict)
    delay: float = 0.0
    attempts: list[Attempt] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    most_in_flight_per_conversation: int = 0
    most_in_flight: int = 0

    async def send(self, message: OutboundMessage) -> SendResult:
        key = message.conversation_key
        self.attempts.append(Attempt(message.text, key, time.monotonic()))
        self.in_flight[key] += 1
        self.most_in_flight_per_conversation = max(
            self.most_in_flight_per_conversation, self.in_flight[key]
        )
        self.most_in_flight = max(self.most_in_flight, sum(self.in_flight.values()))
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            scripted = self.outcomes.get(message.text)
            if scripted:
                return scripted.pop(0)
            return SendResult(SendOutcome.SENT, (f"pid-{len(self.attempts)}",))
        finally:
            self.in_flight[key] -= 1

    def tries_of(self, text: str) -> list[Attempt]:
        return [a for a in self.attempts if a.text == text]


class RaisingSender:
    """A connector with a bug: it raises instead of returning a result, the first time."""

    platform = "messenger"

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, message: OutboundMessage) -> SendResult:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("connector bug")
        return SendResult(SendOutcome.SENT, ("pid-1",))


def reply(text: str, user: str = "u1", platform: str = "messenger", **kw: Any) -> OutboundMessage:
    return OutboundMessage(platform, "page-1", user, text, **kw)


def put_in_outbox(sessions: sessionmaker[Session], messages: Iterable[OutboundMessage]) -> None:
    with sessions.begin() as session:
        enqueue(session, list(messages))


@asynccontextmanager
async def running_outbox(
    sessions: sessionmaker[Session], senders: Mapping[str, PlatformSender], **options: Any
) -> AsyncIterator[OutboxWorker]:
    options.setdefault("poll_interval", 0.05)
    options.setdefault("backoff", QUICK)
    worker = OutboxWorker(sessions, senders, **options)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop(grace=2.0)


def settled(sessions: sessionmaker[Session], count: int) -> Any:
    def check() -> bool:
        rows = outbox_rows(sessions)
        return len(rows) == count and all(
            r.status in (OutboxStatus.SENT, OutboxStatus.FAILED) for r in rows
        )

    return check


async def test_replies_are_sent_and_keep_the_platforms_message_ids(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    sender.outcomes["long"] = [SendResult(SendOutcome.SENT, ("pid-a", "pid-b"))]
    buttons = (Button("Yes", "/affirm"),)
    put_in_outbox(sessions, [reply("long"), reply("Sure?", buttons=buttons, custom={"k": 1})])

    async with running_outbox(sessions, {"messenger": sender}):
        await until(settled(sessions, 2))

    first, second = outbox_rows(sessions)
    assert (first.status, first.platform_message_ids, first.attempts) == (
        OutboxStatus.SENT,
        ["pid-a", "pid-b"],
        1,
    )
    assert first.created_at <= first.sent_at  # type: ignore[operator]
    assert second.status is OutboxStatus.SENT
    assert [a.text for a in sender.attempts] == ["long", "Sure?"]


async def test_the_sender_gets_the_reply_as_the_router_or_desk_enqueued_it(
    sessions: sessionmaker[Session],
) -> None:
    received: list[OutboundMessage] = []

    class Recording:
        platform = "messenger"

        async def send(self, message: OutboundMessage) -> SendResult:
            received.append(message)
            return SendResult(SendOutcome.SENT, ("pid",))

    original = reply("Hi", buttons=(Button("Yes", "/affirm"),), custom={"k": 1}, from_person=True)
    put_in_outbox(sessions, [original])

    async with running_outbox(sessions, {"messenger": Recording()}):
        await until(settled(sessions, 1))

    assert received == [original]


async def test_a_turns_later_replies_say_they_follow_the_one_before(
    sessions: sessionmaker[Session],
) -> None:
    received: list[OutboundMessage] = []

    class Recording:
        platform = "messenger"

        async def send(self, message: OutboundMessage) -> SendResult:
            received.append(message)
            return SendResult(SendOutcome.SENT, ("pid",))

    put_in_outbox(sessions, [reply("Let me check."), reply("Found it."), reply("Anything else?")])

    async with running_outbox(sessions, {"messenger": Recording()}):
        await until(settled(sessions, 3))

    # So a connector shows "typing" once, before the first.
    assert [(m.text, m.follows_previous) for m in received] == [
        ("Let me check.", False),
        ("Found it.", True),
        ("Anything else?", True),
    ]


async def test_a_retry_is_retried_with_back_off_until_sent(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    busy = SendResult(SendOutcome.RETRY, error="HTTP 503")
    sender.outcomes["hello"] = [busy, busy]
    put_in_outbox(sessions, [reply("hello")])

    async with running_outbox(sessions, {"messenger": sender}):
        await until(settled(sessions, 1))

    [row] = outbox_rows(sessions)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, None)
    tries = [a.at for a in sender.tries_of("hello")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # 0.1 s, then twice that


async def test_the_platforms_retry_after_is_waited_for(sessions: sessionmaker[Session]) -> None:
    sender = ScriptedSender()
    sender.outcomes["hello"] = [SendResult(SendOutcome.RETRY, retry_after=0.6, error="429")]
    put_in_outbox(sessions, [reply("hello")])

    async with running_outbox(sessions, {"messenger": sender}):
        await until(lambda: len(sender.attempts) == 1)
        [waiting] = outbox_rows(sessions)
        assert (waiting.status, waiting.last_error) == (OutboxStatus.PENDING, "429")
        await until(settled(sessions, 1))

    first, second = sender.tries_of("hello")
    assert second.at - first.at >= 0.6


async def test_a_permanent_refusal_is_failed_with_the_error_for_staff_and_logged(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    sender = ScriptedSender()
    refusal = "outside the 24-hour window: a person must answer with the HUMAN_AGENT tag"
    sender.outcomes["late"] = [SendResult(SendOutcome.PERMANENT, error=refusal)]
    put_in_outbox(sessions, [reply("late"), reply("next")])

    with caplog.at_level(logging.WARNING, logger="outbox.worker"):
        async with running_outbox(sessions, {"messenger": sender}):
            await until(settled(sessions, 2))

    late, following = outbox_rows(sessions)
    assert (late.status, late.last_error, late.attempts) == (OutboxStatus.FAILED, refusal, 1)
    assert following.status is OutboxStatus.SENT  # the conversation goes on
    assert len(sender.tries_of("late")) == 1
    assert refusal in caplog.text and "messenger:page-1:u1" in caplog.text


async def test_after_max_attempts_a_retry_becomes_a_failure(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    sender.outcomes["hello"] = [SendResult(SendOutcome.RETRY, error="HTTP 500")] * 5
    put_in_outbox(sessions, [reply("hello")])

    async with running_outbox(sessions, {"messenger": sender}, max_attempts=2):
        await until(settled(sessions, 1))

    [row] = outbox_rows(sessions)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "gave up after 2 tries: HTTP 500"


async def test_a_conversations_second_reply_waits_for_its_first_through_retries(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    sender.outcomes["first"] = [SendResult(SendOutcome.RETRY, error="HTTP 503")] * 2
    put_in_outbox(sessions, [reply("first"), reply("second"), reply("third")])
    put_in_outbox(sessions, [reply("other conversation", user="u2")])

    async with running_outbox(sessions, {"messenger": sender}):
        await until(settled(sessions, 4))

    mine = [a.text for a in sender.attempts if a.conversation_key.endswith(":u1")]
    assert mine == ["first", "first", "first", "second", "third"]
    # The other conversation did not wait for this one's retries.
    assert sender.attempts.index(sender.tries_of("other conversation")[0]) < 3


async def test_conversations_are_sent_in_parallel_one_reply_at_a_time_each(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender(delay=0.3)
    put_in_outbox(sessions, [reply(f"r{n}", user=f"u{u}") for u in range(6) for n in range(2)])
    started = time.monotonic()

    async with running_outbox(sessions, {"messenger": sender}, concurrency=6):
        await until(settled(sessions, 12))
        elapsed = time.monotonic() - started

    assert sender.most_in_flight_per_conversation == 1
    assert sender.most_in_flight >= 4
    assert elapsed < 12 * 0.3 / 2
    for u in range(6):
        texts = [a.text for a in sender.attempts if a.conversation_key.endswith(f":u{u}")]
        assert texts == ["r0", "r1"]


async def test_a_reply_left_sending_by_a_crash_is_sent_again_once_its_lease_ran_out(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    put_in_outbox(sessions, [reply("hello"), reply("after")])
    with sessions.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.text == "hello")
            .values(
                status=OutboxStatus.SENDING,
                attempts=1,
                next_attempt_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )

    async with running_outbox(sessions, {"messenger": sender}, release_claims_at_start=False):
        await until(settled(sessions, 2))

    assert [a.text for a in sender.attempts] == ["hello", "after"]
    assert outbox_rows(sessions)[0].attempts == 2


async def test_a_reply_still_within_its_lease_holds_its_conversation(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    put_in_outbox(sessions, [reply("hello"), reply("after"), reply("other", user="u2")])
    with sessions.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.text == "hello")
            .values(
                status=OutboxStatus.SENDING,
                attempts=1,
                next_attempt_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )

    async with running_outbox(sessions, {"messenger": sender}, release_claims_at_start=False):
        await until(lambda: [a.text for a in sender.attempts] == ["other"])
        await asyncio.sleep(0.3)

    assert [a.text for a in sender.attempts] == ["other"]


async def test_a_sender_that_raises_is_retried_not_dropped(
    sessions: sessionmaker[Session],
) -> None:
    sender = RaisingSender()
    put_in_outbox(sessions, [reply("hello")])

    async with running_outbox(sessions, {"messenger": sender}):
        await until(settled(sessions, 1))

    [row] = outbox_rows(sessions)
    assert (row.status, row.attempts, sender.calls) == (OutboxStatus.SENT, 2, 2)


async def test_a_sender_that_hangs_is_retried_after_the_send_timeout(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender(delay=5.0)
    put_in_outbox(sessions, [reply("hello")])

    async with running_outbox(sessions, {"messenger": sender}, send_timeout=0.2, lease=1.0):
        await until(lambda: outbox_rows(sessions)[0].last_error is not None)

    [row] = outbox_rows(sessions)
    assert row.status is OutboxStatus.PENDING and "no answer" in (row.last_error or "")


async def test_replies_for_a_platform_without_a_sender_wait_for_one(
    sessions: sessionmaker[Session],
) -> None:
    messenger = ScriptedSender()
    put_in_outbox(sessions, [reply("to x", platform="x"), reply("to messenger")])
    senders: dict[str, PlatformSender] = {"messenger": messenger}

    async with running_outbox(sessions, senders) as worker:
        await until(lambda: outbox_rows(sessions)[1].status is OutboxStatus.SENT)
        assert outbox_rows(sessions)[0].status is OutboxStatus.PENDING
        senders["x"] = ScriptedSender(platform="x")  # the gateway fills the registry later
        worker.notify()
        await until(settled(sessions, 2))


async def test_enqueueing_the_same_turn_twice_adds_nothing(
    sessions: sessionmaker[Session],
) -> None:
    accept(sessions, [customer_message("hello")])
    [message] = inbox_rows(sessions)
    turn = [reply("one"), reply("two")]

    with sessions.begin() as session:
        first = enqueue(session, turn, inbox_message_id=message.id)
    with sessions.begin() as session:
        again = enqueue(session, turn, inbox_message_id=message.id)
    with sessions.begin() as session:  # a person's replies are never duplicates of each other
        people = enqueue(session, [reply("from a person", from_person=True)] * 2)

    assert (first, again, people) == (2, 0, 2)
    assert [(r.text, r.position) for r in outbox_rows(sessions)] == [
        ("one", 0),
        ("two", 1),
        ("from a person", 0),
        ("from a person", 1),
    ]


def test_a_reply_and_the_message_it_answers_share_the_conversation_key() -> None:
    message = customer_message("hi", user="42", platform="x")

    assert reply("hello", user="42", platform="x").conversation_key == message.conversation_key
