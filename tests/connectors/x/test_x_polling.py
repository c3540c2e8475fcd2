"""Polling GET /2/dm_events through the simulator: catch up on everything, once, oldest first."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from connectors.x.api import XApiClient
from connectors.x.polling import InMemoryCursorStore, poll_once, run_polling
from connectors.x.send import XSender
from outbox.messages import OutboundMessage
from sandbox.simulator.x import XSimulator
from tests.connectors.x.recorder import ACCOUNT_ID, Inbox


async def bot_replies(x_client: XApiClient, user_id: str, text: str) -> None:
    await XSender(x_client).send(OutboundMessage("x", ACCOUNT_ID, user_id, text))


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_x_first_poll_takes_every_customer_message_oldest_first(
    simulator: XSimulator, x_client: XApiClient
) -> None:
    first = simulator.customer_sends("2001", "hello", name="Ada Lovelace", screen_name="ada")
    await bot_replies(x_client, "2001", "Hi Ada, how can I help?")
    second = simulator.customer_sends("2002", "where is my parcel?", name="Alan", screen_name="al")
    simulator.conversation_event("2003")  # not a message
    third = simulator.customer_sends("2001", "my order is 12345", media_type="photo")

    result = await poll_once(x_client, ACCOUNT_ID, cursor=None)

    assert [m.message_id for m in result.messages] == [first.id, second.id, third.id]
    assert result.cursor == third.id
    ada = result.messages[0]
    assert (ada.platform, ada.account_id, ada.user_id) == ("x", ACCOUNT_ID, "2001")
    assert (ada.text, ada.user_name, ada.user_handle) == ("hello", "Ada Lovelace", "@ada")
    assert ada.sent_at.tzinfo is not None
    assert result.messages[1].user_handle == "@al"
    [photo] = result.messages[2].attachments
    assert (photo.kind, photo.description) == ("image", "[photo]")


async def test_x_second_poll_takes_only_the_new_messages(
    simulator: XSimulator, x_client: XApiClient
) -> None:
    simulator.customer_sends("2001", "hello")
    earlier = await poll_once(x_client, ACCOUNT_ID, cursor=None)
    await bot_replies(x_client, "2001", "Hi!")
    new = simulator.customer_sends("2001", "where is my parcel?")

    later = await poll_once(x_client, ACCOUNT_ID, cursor=earlier.cursor)
    idle = await poll_once(x_client, ACCOUNT_ID, cursor=later.cursor)

    assert [m.message_id for m in later.messages] == [new.id]
    assert idle.messages == []
    assert idle.cursor == later.cursor == new.id


async def test_x_poll_after_downtime_pages_through_everything_missed(
    simulator: XSimulator, x_client: XApiClient
) -> None:
    for n in range(4):
        simulator.customer_sends("2001", f"old {n}")
    before = await poll_once(x_client, ACCOUNT_ID, cursor=None, page_size=5)
    missed = []
    for n in range(12):  # 14 new events: 3 pages of 5, the cursor on the third
        missed.append(simulator.customer_sends(f"{2002 + n % 3}", f"while down {n}"))
        if n in (3, 8):
            await bot_replies(x_client, "2002", f"answer {n}")
    reads_before = len(simulator.api_calls)

    after = await poll_once(x_client, ACCOUNT_ID, cursor=before.cursor, page_size=5)

    assert [m.message_id for m in after.messages] == [event.id for event in missed]
    assert [m.text for m in after.messages] == [f"while down {n}" for n in range(12)]
    assert len({m.message_id for m in after.messages}) == 12
    assert all(m.user_id != ACCOUNT_ID for m in after.messages)
    assert after.cursor == missed[-1].id
    assert len(simulator.api_calls) - reads_before == 3  # stopped at the cursor: no 4th page


@pytest.fixture
async def poller(
    simulator: XSimulator, x_client: XApiClient, inbox: Inbox
) -> AsyncIterator[InMemoryCursorStore]:
    """`run_polling` every 10 ms in the background, accepting into `inbox`."""
    cursors = InMemoryCursorStore()
    task = asyncio.create_task(
        run_polling(x_client, inbox.accept, cursors, 0.01, account_id=ACCOUNT_ID)
    )
    yield cursors
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_x_polling_loop_accepts_then_stores_the_cursor(
    simulator: XSimulator, x_client: XApiClient, inbox: Inbox, poller: InMemoryCursorStore
) -> None:
    sent = [simulator.customer_sends("2001", f"message {n}") for n in range(3)]

    await eventually(lambda: poller.cursors.get(ACCOUNT_ID) == sent[-1].id)
    later = simulator.customer_sends("2002", "another customer")
    await eventually(lambda: len(inbox.messages) == 4)
    await asyncio.sleep(0.05)  # a few more polls: nothing comes twice

    assert [m.message_id for m in inbox.messages] == [e.id for e in sent] + [later.id]
    assert poller.cursors[ACCOUNT_ID] == later.id


async def test_x_polling_loop_keeps_the_cursor_until_the_inbox_accepts(
    simulator: XSimulator, inbox: Inbox, poller: InMemoryCursorStore
) -> None:
    inbox.fail = True
    event = simulator.customer_sends("2001", "hello")
    await asyncio.sleep(0.05)
    assert poller.cursors == {}  # not accepted: not consumed

    inbox.fail = False
    await eventually(lambda: poller.cursors.get(ACCOUNT_ID) == event.id)

    assert [m.message_id for m in inbox.messages] == [event.id]


async def test_x_polling_loop_carries_on_after_x_errors(
    simulator: XSimulator, inbox: Inbox, poller: InMemoryCursorStore
) -> None:
    simulator.fail_next_reads(1, status=503)
    simulator.fail_next_reads(1, status=429, reset_in=0)
    event = simulator.customer_sends("2001", "hello")

    await eventually(lambda: len(inbox.messages) == 1)

    assert inbox.messages[0].message_id == event.id
