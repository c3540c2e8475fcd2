"""The engine client: one turn over the REST channel, and a conversation read from its tracker."""

from __future__ import annotations

import time
from typing import Any

import pytest

from engine import EngineClient, EngineReply, EngineUnavailable
from outbox.messages import Button
from tests.engine_client.fake_rasa import FakeRasa

METADATA: dict[str, Any] = {"platform": "x", "user_id": "42", "inbox_message_id": 7}


def menu(text: str) -> list[dict[str, Any]]:
    return [
        {"text": "Hi! 👋"},
        {
            "text": "What can I help you with?",
            "buttons": [
                {"title": "Track a parcel", "payload": "/track_parcel"},
                {"title": "Order status", "payload": "/order_status"},
            ],
        },
        {"custom": {"handoff": True}},
    ]


async def test_turn_posts_sender_message_and_metadata_and_reads_the_replies(
    fake_rasa: FakeRasa,
) -> None:
    fake_rasa.script = menu
    async with EngineClient(fake_rasa.url) as engine:
        replies = await engine.turn("x:1:42", "hello", METADATA)

    [received] = fake_rasa.received
    assert (received.sender, received.text, received.metadata) == ("x:1:42", "hello", METADATA)
    assert replies == [
        EngineReply("Hi! 👋"),
        EngineReply(
            "What can I help you with?",
            (Button("Track a parcel", "/track_parcel"), Button("Order status", "/order_status")),
        ),
        EngineReply("", custom={"handoff": True}),
    ]


async def test_the_token_goes_with_every_request() -> None:
    rasa = await FakeRasa(token="s3cret").start()
    try:
        async with EngineClient(rasa.url, token="s3cret") as engine:
            assert await engine.turn("c", "hi", METADATA) == [EngineReply("you said: hi")]
            assert await engine.replies_after("c", 7) == [EngineReply("you said: hi")]
        async with EngineClient(rasa.url) as engine:
            with pytest.raises(EngineUnavailable, match="401"):
                await engine.turn("c", "hi", METADATA)
    finally:
        await rasa.stop()


async def test_an_engine_that_is_down_is_unavailable(fake_rasa: FakeRasa) -> None:
    await fake_rasa.go_down()
    async with EngineClient(fake_rasa.url) as engine:
        with pytest.raises(EngineUnavailable):
            await engine.turn("c", "hi", METADATA)
        with pytest.raises(EngineUnavailable):
            await engine.replies_after("c", 7)


async def test_a_server_error_is_unavailable(fake_rasa: FakeRasa) -> None:
    fake_rasa.error_status = 503
    async with EngineClient(fake_rasa.url) as engine:
        with pytest.raises(EngineUnavailable, match="503"):
            await engine.turn("c", "hi", METADATA)


async def test_a_turn_slower_than_the_timeout_is_unavailable(fake_rasa: FakeRasa) -> None:
    fake_rasa.delay = 2.0
    started = time.monotonic()
    async with EngineClient(fake_rasa.url, timeout=0.3) as engine:
        with pytest.raises(EngineUnavailable, match="no answer"):
            await engine.turn("c", "hi", METADATA)
    assert time.monotonic() - started < 1.5


async def test_an_empty_answer_for_a_turn_that_crashed_inside_is_unavailable(
    fake_rasa: FakeRasa,
) -> None:
    # Rasa 3.6's REST channel answers 200 [] when the turn raised; the tracker has no trace of it.
    fake_rasa.crash_inside = True
    async with EngineClient(fake_rasa.url) as engine:
        with pytest.raises(EngineUnavailable, match="did not record"):
            await engine.turn("c", "hi", METADATA)


async def test_an_empty_answer_while_a_person_owns_the_conversation_is_no_reply(
    fake_rasa: FakeRasa,
) -> None:
    fake_rasa.paused.add("c")
    async with EngineClient(fake_rasa.url) as engine:
        assert await engine.turn("c", "are you there?", METADATA) == []
    assert fake_rasa.tracker_reads == 1  # the empty answer was checked


async def test_replies_after_is_none_for_a_message_the_engine_never_handled(
    fake_rasa: FakeRasa,
) -> None:
    fake_rasa.record_turn("c", "earlier", {"inbox_message_id": 6})
    async with EngineClient(fake_rasa.url) as engine:
        assert await engine.replies_after("c", 7) is None
        assert await engine.replies_after("never-seen", 7) is None


async def test_replies_after_gives_that_turns_replies_only(fake_rasa: FakeRasa) -> None:
    fake_rasa.record_turn("c", "first", {"inbox_message_id": 6})
    fake_rasa.record_turn("c", "second", {"inbox_message_id": 7})
    fake_rasa.record_turn("c", "third", {"inbox_message_id": 8})
    async with EngineClient(fake_rasa.url) as engine:
        assert await engine.replies_after("c", 7) == [EngineReply("you said: second")]
        assert await engine.replies_after("c", "8") == [EngineReply("you said: third")]


async def test_replies_after_reads_bot_events_the_way_the_rest_channel_sends_them(
    fake_rasa: FakeRasa,
) -> None:
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    fake_rasa.trackers["c"] = [
        {"event": "action", "name": "action_session_start"},
        {"event": "user", "text": "hi", "metadata": {"inbox_message_id": 7}},
        {"event": "bot", "text": "Two paragraphs.\n\nSecond one.", "data": {}},
        {"event": "bot", "text": "Sure?", "data": {"buttons": buttons, "custom": {"k": 1}}},
        {"event": "bot", "text": None, "data": {"image": "https://i/x.png", "attachment": "https://i/x.png"}},
        {"event": "action", "name": "action_listen"},
        {"event": "bot", "text": "a reminder, not this turn's", "data": {}},
    ]  # fmt: skip
    async with EngineClient(fake_rasa.url) as engine:
        replies = await engine.replies_after("c", 7)

    assert replies == [
        EngineReply("Two paragraphs."),
        EngineReply("Second one."),
        EngineReply("Sure?", (Button("Yes", "/affirm"),)),
        EngineReply("", custom={"k": 1}),
        EngineReply("", custom={"image": "https://i/x.png"}),
    ]


async def test_conversation_ids_with_colons_and_slashes_reach_the_tracker(
    fake_rasa: FakeRasa,
) -> None:
    fake_rasa.record_turn("messenger:p/1:u", "hi", {"inbox_message_id": 7})
    async with EngineClient(fake_rasa.url) as engine:
        assert await engine.replies_after("messenger:p/1:u", 7) == [EngineReply("you said: hi")]
