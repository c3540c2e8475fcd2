"""Replies handed straight to the sender: the transaction that enqueues a turn's replies claims
the first, and each send's record claims the next, so they go out back to back without the claim
loop; the loop and the direct path share the claim rules, so neither sends a reply twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from outbox import OutboxWorker, enqueue, queue
from outbox.messages import OutboundMessage, SendOutcome, SendResult
from store.claims import claim_oldest_per_conversation
from store.models import OutboxMessage, OutboxStatus
from tests.inbox.database import outbox_rows, until
from tests.outbox.test_outbox_worker import ScriptedSender, reply, running_outbox, settled

# The loop looks by itself only every minute: what goes out sooner went out directly.
LOOP_ASLEEP = 60.0


def enqueueing(replies: Sequence[OutboundMessage]) -> Callable[[Session], bool]:
    """The write a router hands over: its turn's replies into the outbox."""

    def write(session: Session) -> bool:
        enqueue(session, list(replies))
        return True

    return write


def turn(user: str, count: int) -> list[OutboundMessage]:
    return [reply(f"{user} reply {n}", user=user) for n in range(count)]


def statuses(sessions: sessionmaker[Session]) -> list[OutboxStatus]:
    return [row.status for row in outbox_rows(sessions)]


async def test_a_turns_replies_go_out_at_once_in_order_without_the_claim_loop(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()

    async with running_outbox(sessions, {"messenger": sender}, poll_interval=LOOP_ASLEEP) as worker:
        await asyncio.sleep(0.1)  # the loop's first look, at start, is over: it sleeps now
        written = await worker.write_and_send(enqueueing(turn("u1", 3)), "messenger:page-1:u1")
        await until(settled(sessions, 3), timeout=2.0)

    assert written is True
    assert [a.text for a in sender.attempts] == ["u1 reply 0", "u1 reply 1", "u1 reply 2"]
    assert [(r.status, r.attempts) for r in outbox_rows(sessions)] == [(OutboxStatus.SENT, 1)] * 3


async def test_the_first_reply_is_claimed_in_the_transaction_that_stores_it(
    sessions: sessionmaker[Session],
) -> None:
    committed: list[OutboxStatus] = []

    def write(session: Session) -> bool:
        enqueue(session, turn("u1", 2))

        @event.listens_for(session, "after_commit", once=True)
        def look(_: Session) -> None:  # before anything is sent
            with sessions() as other:
                query = select(OutboxMessage.status).order_by(OutboxMessage.id)
                committed.extend(other.scalars(query))

        return True

    async with running_outbox(sessions, {"messenger": ScriptedSender()}) as worker:
        await worker.write_and_send(write, "messenger:page-1:u1")
        await until(settled(sessions, 2))

    assert committed == [OutboxStatus.SENDING, OutboxStatus.PENDING]


async def test_the_direct_path_and_the_claim_loop_never_send_a_reply_twice(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Claims made slow, so that two at once would overlap: on SQLite (no row locks) both could
    # read the same row as due and take it. They must run one at a time.
    claiming, most_claiming = 0, 0

    def slow_claim(*args: Any, **kwargs: Any) -> Any:
        nonlocal claiming, most_claiming
        claiming += 1
        most_claiming = max(most_claiming, claiming)
        try:
            rows = claim_oldest_per_conversation(*args, **kwargs)
            time.sleep(0.002)
            return rows
        finally:
            claiming -= 1

    monkeypatch.setattr(queue, "claim_oldest_per_conversation", slow_claim)
    sender = ScriptedSender(delay=0.01)
    users = [f"u{n}" for n in range(12)]

    async with running_outbox(
        sessions, {"messenger": sender}, concurrency=4, poll_interval=0.005
    ) as worker:

        async def keep_the_loop_looking() -> None:
            while True:
                worker.notify()
                await asyncio.sleep(0.001)

        looking = asyncio.create_task(keep_the_loop_looking())
        try:
            for round_ in range(3):  # each conversation gets three turns of two replies
                handovers = [
                    worker.write_and_send(
                        enqueueing(
                            [reply(f"{user} turn {round_} reply {n}", user=user) for n in range(2)]
                        ),
                        f"messenger:page-1:{user}",
                    )
                    for user in users
                ]
                assert all(await asyncio.gather(*handovers))
            await until(settled(sessions, len(users) * 6), timeout=10.0)
        finally:
            looking.cancel()

    texts = [a.text for a in sender.attempts]
    assert len(texts) == len(set(texts)) == len(users) * 6
    for user in users:
        mine = [t for t in texts if t.startswith(f"{user} ")]
        assert mine == [f"{user} turn {t} reply {n}" for t in range(3) for n in range(2)]
    assert most_claiming == 1
    assert sender.most_in_flight_per_conversation == 1
    assert sender.most_in_flight <= 4  # direct sends count against the worker's concurrency
    assert all(r.attempts == 1 for r in outbox_rows(sessions))


async def test_a_reply_to_retry_is_left_to_the_claim_loop_and_the_rest_waits_behind_it(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    sender.outcomes["u1 reply 0"] = [SendResult(SendOutcome.RETRY, retry_after=0.5, error="503")]

    async with running_outbox(sessions, {"messenger": sender}, poll_interval=0.05) as worker:
        await worker.write_and_send(enqueueing(turn("u1", 2)), "messenger:page-1:u1")
        await until(lambda: len(sender.attempts) == 1)
        await asyncio.sleep(0.2)  # within the back-off: nothing else goes out
        assert statuses(sessions) == [OutboxStatus.PENDING, OutboxStatus.PENDING]
        assert outbox_rows(sessions)[0].last_error == "503"
        await until(settled(sessions, 2))

    assert [a.text for a in sender.attempts] == ["u1 reply 0", "u1 reply 0", "u1 reply 1"]
    assert [r.attempts for r in outbox_rows(sessions)] == [2, 1]


async def test_with_every_slot_busy_the_replies_wait_for_the_claim_loop(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender(delay=0.3)

    async with running_outbox(
        sessions, {"messenger": sender}, concurrency=1, poll_interval=LOOP_ASLEEP
    ) as worker:
        await worker.write_and_send(enqueueing(turn("u1", 1)), "messenger:page-1:u1")
        await until(lambda: len(sender.attempts) == 1)
        # u1's send holds the only slot: u2's replies are stored, unclaimed, and the loop told.
        await worker.write_and_send(enqueueing(turn("u2", 1)), "messenger:page-1:u2")
        assert statuses(sessions) == [OutboxStatus.SENDING, OutboxStatus.PENDING]
        await until(settled(sessions, 2), timeout=3.0)

    assert sender.most_in_flight == 1
    assert [a.text for a in sender.attempts] == ["u1 reply 0", "u2 reply 0"]


async def test_a_write_that_writes_nothing_claims_nothing(
    sessions: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()

    async with running_outbox(sessions, {"messenger": sender}, concurrency=1) as worker:
        written = await worker.write_and_send(lambda session: False, "messenger:page-1:u1")
        # The slot kept for it is free again.
        await worker.write_and_send(enqueueing(turn("u1", 1)), "messenger:page-1:u1")
        await until(settled(sessions, 1))

    assert written is False
    assert [a.text for a in sender.attempts] == ["u1 reply 0"]


async def test_a_reply_claimed_by_a_stopped_worker_is_sent_after_a_restart(
    sessions: sessionmaker[Session],
) -> None:
    """The claimed reply stays `sending` with a lease, which a restart on SQLite releases at
    once and which otherwise runs out: nothing is lost."""
    worker = OutboxWorker(
        sessions, {"messenger": ScriptedSender(delay=30.0)}, poll_interval=LOOP_ASLEEP
    )
    await worker.start()
    await worker.write_and_send(enqueueing(turn("u1", 2)), "messenger:page-1:u1")
    await worker.stop(grace=0.1)
    assert statuses(sessions) == [OutboxStatus.SENDING, OutboxStatus.PENDING]

    sender = ScriptedSender()
    async with running_outbox(sessions, {"messenger": sender}, release_claims_at_start=True):
        await until(settled(sessions, 2))

    assert [a.text for a in sender.attempts] == ["u1 reply 0", "u1 reply 1"]
