"""The inbox stores every customer message once, in arrival order, before the webhook's 200."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from inbox import DatabaseCursorStore, accept, acceptor, read_poll_cursor, save_poll_cursor
from inbox.messages import Attachment
from store.models import InboxStatus
from tests.inbox.database import customer_message, inbox_rows


def test_accepted_messages_are_stored_pending_with_everything_the_connector_gave(
    sessions: sessionmaker[Session],
) -> None:
    photo = Attachment(kind="image", url="https://cdn.example/p.jpg", description="[photo]")
    message = customer_message("look", user="u7", payload="/track_parcel", attachments=(photo,))

    result = accept(sessions, [message])

    assert (result.new, result.duplicates) == (1, 0)
    [row] = inbox_rows(sessions)
    assert row.status is InboxStatus.PENDING
    assert (row.platform, row.account_id, row.user_id) == ("messenger", "page-1", "u7")
    assert row.platform_message_id == message.message_id
    assert row.conversation_key == message.conversation_key == "messenger:page-1:u7"
    assert (row.text, row.payload, row.user_name) == ("look", "/track_parcel", "Customer u7")
    assert row.attachments == [
        {"kind": "image", "url": "https://cdn.example/p.jpg", "description": "[photo]"}
    ]
    assert row.sent_at == message.sent_at
    assert row.received_at <= datetime.now(UTC)
    assert row.attempts == 0
    assert row.next_attempt_at == row.received_at


def test_a_redelivered_webhook_is_a_no_op(sessions: sessionmaker[Session]) -> None:
    first = customer_message("hello", message_id="mid.1")
    second = customer_message("where is my parcel", message_id="mid.2")
    accept(sessions, [first])

    result = accept(sessions, [first, second])

    assert (result.new, result.duplicates) == (1, 1)
    assert [row.platform_message_id for row in inbox_rows(sessions)] == ["mid.1", "mid.2"]


def test_the_same_message_twice_in_one_batch_is_stored_once(
    sessions: sessionmaker[Session],
) -> None:
    message = customer_message("hello", message_id="mid.1")

    result = accept(sessions, [message, message])

    assert (result.new, result.duplicates) == (1, 1)
    assert len(inbox_rows(sessions)) == 1


def test_the_same_id_on_two_platforms_is_two_messages(sessions: sessionmaker[Session]) -> None:
    result = accept(
        sessions,
        [
            customer_message("hi", message_id="123", platform="x"),
            customer_message("hi", message_id="123", platform="messenger"),
        ],
    )

    assert result.new == 2


def test_ids_follow_arrival_and_a_batch_is_stored_in_the_platforms_time_order(
    sessions: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    accept(sessions, [customer_message("first", sent_at=now - timedelta(minutes=5))])
    # Meta does not promise order inside a batch; the platform's timestamps do.
    accept(
        sessions,
        [
            customer_message("third", sent_at=now - timedelta(seconds=1)),
            customer_message("second", sent_at=now - timedelta(seconds=2)),
        ],
    )

    rows = inbox_rows(sessions)
    assert [row.text for row in rows] == ["first", "second", "third"]
    assert [row.id for row in rows] == sorted(row.id for row in rows)


def test_nothing_to_accept_touches_nothing(sessions: sessionmaker[Session]) -> None:
    assert accept(sessions, []) == accept(sessions, ())
    assert inbox_rows(sessions) == []


async def test_acceptor_is_the_connectors_async_callable_and_wakes_the_router(
    sessions: sessionmaker[Session],
) -> None:
    wakeups: list[str] = []
    accept_messages = acceptor(sessions, on_new=lambda: wakeups.append("new"))
    message = customer_message("hello")

    first = await accept_messages([message])
    again = await accept_messages([message])

    assert (first.new, again.duplicates) == (1, 1)
    assert wakeups == ["new"]  # a duplicate wakes nobody


async def test_concurrent_webhooks_delivering_the_same_message_store_it_once(
    sessions: sessionmaker[Session],
) -> None:
    message = customer_message("hello", message_id="mid.race")
    accept_messages = acceptor(sessions)

    results = await asyncio.gather(*(accept_messages([message]) for _ in range(6)))

    assert sum(r.new for r in results) == 1
    assert len(inbox_rows(sessions)) == 1


@pytest.mark.parametrize("events", [1, 2])
def test_poll_cursor_is_remembered_per_account(
    sessions: sessionmaker[Session], events: int
) -> None:
    assert read_poll_cursor(sessions, "x", "acct") is None

    for event_id in range(100, 100 + events):
        save_poll_cursor(sessions, "x", "acct", str(event_id))

    assert read_poll_cursor(sessions, "x", "acct") == str(99 + events)
    assert read_poll_cursor(sessions, "x", "other") is None


async def test_database_cursor_store_is_what_the_x_poller_takes(
    sessions: sessionmaker[Session],
) -> None:
    store = DatabaseCursorStore(sessions, "x")

    await store.set("acct", "1790000000000000001")

    assert await store.get("acct") == "1790000000000000001"
    assert await DatabaseCursorStore(sessions, "messenger").get("acct") is None
