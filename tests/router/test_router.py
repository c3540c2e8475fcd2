"""The router: inbox rows become engine turns become outbox rows, in order, exactly once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import EngineClient
from inbox import accept
from inbox.messages import Attachment
from outbox import enqueue
from outbox.backoff import Backoff
from outbox.messages import OutboundMessage
from router import Router
from store.models import InboxMessage, InboxStatus, OutboxMessage, OutboxStatus
from tests.engine_client.fake_rasa import FakeRasa
from tests.inbox.database import customer_message, inbox_rows, outbox_rows, until

QUICK = Backoff(base=0.05, cap=0.2, jitter=0.0)


@asynccontextmanager
async def running_router(
    sessions: sessionmaker[Session], rasa: FakeRasa, **options: Any
) -> AsyncIterator[Router]:
    engine = EngineClient(rasa.url, timeout=options.pop("engine_timeout", 5.0))
    options.setdefault("poll_interval", 0.05)
    options.setdefault("backoff", QUICK)
    router = Router(sessions, engine, **options)
    await router.start()
    try:
        yield router
    finally:
        await router.stop(grace=2.0)
        await engine.close()


def all_done(sessions: sessionmaker[Session], count: int) -> Callable[[], bool]:
    def check() -> bool:
        rows = inbox_rows(sessions)
        return len(rows) == count and all(r.status is InboxStatus.DONE for r in rows)

    return check


def menu_then_echo(text: str) -> list[dict[str, Any]]:
    if text == "menu":
        buttons = [
            {"title": "Track a parcel", "payload": "/track_parcel"},
            {"title": "Order status", "payload": "/order_status"},
        ]
        return [{"text": "What can I help you with?", "buttons": buttons}]
    return [{"text": f"you said: {text}"}]


async def test_a_message_becomes_the_bots_replies_in_the_outbox(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.script = lambda text: [{"text": "Hi!"}, {"text": "How can I help?"}]
    accept(sessions, [customer_message("hello", user="u1")])

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 1), what="the message processed")

    [row] = inbox_rows(sessions)
    assert row.received_at <= row.claimed_at <= row.processed_at  # type: ignore[operator]
    assert row.attempts == 1 and row.last_error is None
    replies = outbox_rows(sessions)
    assert [(r.text, r.position, r.status) for r in replies] == [
        ("Hi!", 0, OutboxStatus.PENDING),
        ("How can I help?", 1, OutboxStatus.PENDING),
    ]
    assert {(r.inbox_message_id, r.conversation_key) for r in replies} == {
        (row.id, "messenger:page-1:u1")
    }
    [received] = fake_rasa.received
    assert received.sender == "messenger:page-1:u1"
    assert received.metadata == {
        "platform": "messenger",
        "account_id": "page-1",
        "user_id": "u1",
        "user_name": "Customer u1",
        "user_handle": None,
        "inbox_message_id": row.id,
        "attachments": [],
    }


async def test_a_turns_replies_are_handed_to_the_outbox_in_the_transaction_that_stores_them(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    handed: list[tuple[str, bool, int]] = []

    class Outbox:
        async def write_and_send(self, write: Callable[[Session], bool], key: str) -> bool:
            with sessions.begin() as session:  # the outbox's transaction: it may claim in it
                written = write(session)
                stored = session.scalar(select(func.count()).select_from(OutboxMessage))
            handed.append((key, written, stored or 0))
            return written

    fake_rasa.script = lambda text: [{"text": "Hi!"}, {"text": "How can I help?"}]
    accept(sessions, [customer_message("hello")])

    async with running_router(sessions, fake_rasa, outbox=Outbox()):
        await until(all_done(sessions, 1))

    assert handed == [("messenger:page-1:u1", True, 2)]


async def test_a_pressed_button_sends_its_payload_and_attachments_are_described(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    photo = Attachment(kind="image", url="https://cdn.example/p.jpg", description="[photo]")
    accept(
        sessions,
        [
            customer_message("Track a parcel", user="a", payload="/track_parcel"),
            customer_message("it arrived broken", user="b", attachments=(photo,)),
            customer_message("", user="c", attachments=(photo,)),
        ],
    )

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 3))

    sent = {r.sender.split(":")[-1]: r for r in fake_rasa.received}
    assert sent["a"].text == "/track_parcel"
    assert sent["b"].text == "it arrived broken [photo]"
    assert sent["c"].text == "[photo]"
    assert sent["b"].metadata["attachments"] == [
        {"kind": "image", "url": "https://cdn.example/p.jpg"}
    ]


async def test_messages_of_one_conversation_reach_the_engine_one_at_a_time_in_order(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.05
    texts = [f"message {n}" for n in range(6)]
    accept(sessions, [customer_message(text, user="u1") for text in texts])

    async with running_router(sessions, fake_rasa, concurrency=8):
        await until(all_done(sessions, 6))

    assert fake_rasa.texts_from("messenger:page-1:u1") == texts
    assert fake_rasa.most_in_flight_per_conversation == 1
    assert [r.text for r in outbox_rows(sessions)] == [f"you said: {t}" for t in texts]


async def test_conversations_are_processed_in_parallel(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.4
    accept(sessions, [customer_message("hi", user=f"u{n}") for n in range(8)])
    started = time.monotonic()

    async with running_router(sessions, fake_rasa, concurrency=8):
        await until(all_done(sessions, 8))
        elapsed = time.monotonic() - started

    assert fake_rasa.most_in_flight >= 4
    assert elapsed < 8 * 0.4 / 2  # one after the other would take 3.2 s


async def test_engine_down_then_up_every_message_is_answered_in_order(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    await fake_rasa.go_down()
    accept(sessions, [customer_message(f"m{n}", user="u1") for n in range(3)])
    accept(sessions, [customer_message("other", user="u2")])

    async with running_router(sessions, fake_rasa):

        def waiting_with_error() -> bool:
            first = inbox_rows(sessions)[0]
            return first.attempts >= 2 and first.status is InboxStatus.PENDING

        await until(waiting_with_error, what="retries while the engine is down")
        rows = inbox_rows(sessions)
        assert rows[0].last_error and "Cannot connect" in rows[0].last_error
        # The conversation waits behind its first message: the later ones were never tried.
        assert [r.attempts for r in rows[1:3]] == [0, 0]
        assert outbox_rows(sessions) == []

        await fake_rasa.come_up()
        await until(all_done(sessions, 4), what="everything answered once the engine is back")

    assert fake_rasa.texts_from("messenger:page-1:u1") == ["m0", "m1", "m2"]
    assert [r.text for r in outbox_rows(sessions) if r.user_id == "u1"] == [
        "you said: m0",
        "you said: m1",
        "you said: m2",
    ]
    assert all(r.last_error is None for r in inbox_rows(sessions))


async def test_a_turn_that_crashed_inside_the_engine_is_retried_not_taken_as_silence(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.crash_inside = True
    accept(sessions, [customer_message("hello")])

    async with running_router(sessions, fake_rasa):
        await until(lambda: inbox_rows(sessions)[0].attempts >= 2, what="a retry")
        assert inbox_rows(sessions)[0].status is not InboxStatus.DONE
        fake_rasa.crash_inside = False
        await until(all_done(sessions, 1))

    assert [r.text for r in outbox_rows(sessions)] == ["you said: hello"]


async def test_while_a_person_owns_the_conversation_the_message_is_done_without_replies(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.paused.add("messenger:page-1:u1")
    accept(sessions, [customer_message("are you there?")])

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 1))

    assert outbox_rows(sessions) == []
    assert len(fake_rasa.received) == 1


def crash_after_the_engine_answered(
    sessions: sessionmaker[Session], rasa: FakeRasa, text: str
) -> InboxMessage:
    """A message left `processing` by a worker that died after the engine finished the turn."""
    [row] = inbox_rows(sessions)
    rasa.record_turn(row.conversation_key, text, {"inbox_message_id": row.id})
    leave_processing(sessions, row.id)
    return row


def leave_processing(sessions: sessionmaker[Session], inbox_id: int) -> None:
    with sessions.begin() as session:
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.id == inbox_id)
            .values(
                status=InboxStatus.PROCESSING,
                attempts=1,
                # The dead worker's lease has run out (on SQLite the router would also take it
                # back at start-up; on PostgreSQL only the lease tells a dead worker).
                next_attempt_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )


async def test_a_message_left_processing_by_a_crash_is_not_sent_to_the_engine_twice(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.script = lambda text: [
        {"text": "Your parcel is on its way."},
        {"text": "Anything else?"},
    ]
    accept(sessions, [customer_message("where is my parcel", user="u1")])
    row = crash_after_the_engine_answered(sessions, fake_rasa, "where is my parcel")

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 1))

    assert fake_rasa.received == []  # answered from the tracker, not by a second turn
    assert [(r.text, r.position, r.inbox_message_id) for r in outbox_rows(sessions)] == [
        ("Your parcel is on its way.", 0, row.id),
        ("Anything else?", 1, row.id),
    ]


async def test_a_crash_after_some_replies_were_enqueued_does_not_enqueue_them_twice(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.script = lambda text: [{"text": "one"}, {"text": "two"}]
    accept(sessions, [customer_message("hello")])
    row = crash_after_the_engine_answered(sessions, fake_rasa, "hello")
    with sessions.begin() as session:  # a reply already there (say, a retried finish)
        message = OutboundMessage("messenger", "page-1", "u1", "one")
        enqueue(session, [message], inbox_message_id=row.id)

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 1))

    assert [(r.text, r.position) for r in outbox_rows(sessions)] == [("one", 0), ("two", 1)]


async def test_a_message_left_processing_before_it_reached_the_engine_is_sent_once(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    accept(sessions, [customer_message("hello")])
    leave_processing(sessions, inbox_rows(sessions)[0].id)

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 1))

    assert [r.text for r in fake_rasa.received] == ["hello"]
    assert fake_rasa.tracker_reads == 1  # looked first, found nothing, then sent
    assert [r.text for r in outbox_rows(sessions)] == ["you said: hello"]


async def test_on_sqlite_start_up_retakes_at_once_what_the_last_run_left_processing(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("several router processes may share PostgreSQL: only the lease tells")
    accept(sessions, [customer_message("hello")])
    with sessions.begin() as session:
        session.execute(
            update(InboxMessage).values(
                status=InboxStatus.PROCESSING,
                attempts=1,
                next_attempt_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 1), timeout=5)


async def offer_menu(
    sessions: sessionmaker[Session], rasa: FakeRasa, platform: str, router_options: Any
) -> None:
    rasa.script = menu_then_echo
    accept(sessions, [customer_message("menu", platform=platform)])
    async with running_router(sessions, rasa, **router_options):
        await until(all_done(sessions, 1))


@pytest.mark.parametrize(
    ("answer", "engine_gets"),
    [
        ("2", "/order_status"),
        (" 1. ", "/track_parcel"),
        ("order STATUS", "/order_status"),
        ("3", "3"),  # no third option: the text as it is
        ("2 parcels", "2 parcels"),
    ],
)
async def test_on_a_platform_without_quick_replies_a_numbered_choice_sends_that_buttons_payload(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa, answer: str, engine_gets: str
) -> None:
    text_only = {"platforms_without_quick_replies": {"x"}}
    await offer_menu(sessions, fake_rasa, "x", text_only)
    accept(sessions, [customer_message(answer, platform="x")])

    async with running_router(sessions, fake_rasa, **text_only):
        await until(all_done(sessions, 2))

    assert [r.text for r in fake_rasa.received] == ["menu", engine_gets]


async def test_numbers_are_plain_text_on_platforms_with_quick_replies(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    text_only = {"platforms_without_quick_replies": {"x"}}
    await offer_menu(sessions, fake_rasa, "messenger", text_only)
    accept(sessions, [customer_message("2", platform="messenger")])

    async with running_router(sessions, fake_rasa, **text_only):
        await until(all_done(sessions, 2))

    assert [r.text for r in fake_rasa.received] == ["menu", "2"]


async def test_a_number_after_a_reply_without_buttons_is_plain_text(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    text_only = {"platforms_without_quick_replies": {"x"}}
    await offer_menu(sessions, fake_rasa, "x", text_only)
    accept(sessions, [customer_message("hello", platform="x")])
    accept(sessions, [customer_message("2", platform="x")])

    async with running_router(sessions, fake_rasa, **text_only):
        await until(all_done(sessions, 3))

    assert [r.text for r in fake_rasa.received] == ["menu", "hello", "2"]
    assert outbox_rows(sessions)[0].buttons[1] == {
        "title": "Order status",
        "payload": "/order_status",
    }


async def test_two_routers_on_postgresql_keep_each_conversation_in_order(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite: one router process only (no row locks)")
    fake_rasa.delay = 0.02
    users = [f"u{n}" for n in range(6)]
    for n in range(5):
        accept(sessions, [customer_message(f"m{n}", user=user) for user in users])

    async with (
        running_router(sessions, fake_rasa, concurrency=4),
        running_router(sessions, fake_rasa, concurrency=4),
    ):
        await until(all_done(sessions, 30), timeout=30)

    assert fake_rasa.most_in_flight_per_conversation == 1
    for user in users:
        assert fake_rasa.texts_from(f"messenger:page-1:{user}") == [f"m{n}" for n in range(5)]
    assert len(outbox_rows(sessions)) == 30


async def test_stopping_lets_the_turn_in_flight_finish(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.3
    accept(sessions, [customer_message("hello")])

    async with running_router(sessions, fake_rasa):
        await until(lambda: len(fake_rasa.received) == 1)
        # leaving the block stops the router while the engine is still answering

    assert inbox_rows(sessions)[0].status is InboxStatus.DONE
