"""The Messenger webhook over real HTTP: the simulator posts as Meta, a recorder stands in for the
inbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from connectors.messenger import routes
from connectors.messenger.webhook import MAX_BODY_BYTES
from sandbox.simulator.messenger import MessengerSimulator
from settings import Settings
from tests.connectors.messenger.inbox_recorder import AcceptRecorder

# --- verification (GET) ---------------------------------------------------------------------


async def test_messenger_verification_answers_the_challenge(
    simulator: MessengerSimulator, webhook_url: str, settings: Settings
) -> None:
    assert settings.messenger_verify_token
    response = await simulator.verify(webhook_url, settings.messenger_verify_token, "8675309")
    assert response.status == 200
    assert response.text == "8675309"
    assert response.headers["Content-Type"].startswith("text/plain")


async def test_messenger_verification_with_wrong_token_is_refused(
    simulator: MessengerSimulator, webhook_url: str
) -> None:
    response = await simulator.verify(webhook_url, "not-our-token")
    assert response.status == 403


async def test_messenger_verification_with_wrong_mode_is_refused(
    simulator: MessengerSimulator, webhook_url: str, settings: Settings
) -> None:
    assert settings.messenger_verify_token
    response = await simulator.verify(webhook_url, settings.messenger_verify_token, mode="other")
    assert response.status == 403


# --- signatures -----------------------------------------------------------------------------


async def test_messenger_rejects_bad_signature(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    body = simulator.webhook_body(simulator.entry(simulator.message_event("42", "hi")))
    response = await simulator.post_webhook(webhook_url, body, signature="sha256=" + "0" * 64)
    assert response.status == 403
    assert accepted.batches == []


async def test_messenger_rejects_missing_signature(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    body = simulator.webhook_body(simulator.entry(simulator.message_event("42", "hi")))
    response = await simulator.post_webhook(webhook_url, body, signature=None)
    assert response.status == 403
    assert accepted.batches == []


async def test_messenger_rejects_the_old_sha1_signature(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    body = simulator.webhook_body(simulator.entry(simulator.message_event("42", "hi")))
    raw = json.dumps(body).encode()
    sha1_style = simulator.sign(raw).replace("sha256=", "sha1=")
    response = await simulator.post_webhook(webhook_url, raw, signature=sha1_style)
    assert response.status == 403
    assert accepted.batches == []


async def test_messenger_signature_covers_the_raw_bytes_not_the_json(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    body = simulator.webhook_body(simulator.entry(simulator.message_event("42", "hi")))
    compact = json.dumps(body, separators=(",", ":")).encode()
    pretty = json.dumps(body, indent=2).encode()  # the same JSON, other bytes
    response = await simulator.post_webhook(webhook_url, pretty, signature=simulator.sign(compact))
    assert response.status == 403
    assert accepted.batches == []


def test_messenger_routes_need_the_app_secret(settings: Settings) -> None:
    async def accept(messages: object) -> None: ...

    with pytest.raises(ValueError, match="MESSENGER_APP_SECRET"):
        routes(accept, settings.model_copy(update={"messenger_app_secret": None}))


# --- batches and event kinds ----------------------------------------------------------------


async def test_messenger_batch_of_two_entries_by_two_items_is_one_accept_call(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    body = simulator.webhook_body(
        simulator.entry(simulator.message_event("1", "a"), simulator.message_event("2", "b")),
        simulator.entry(simulator.message_event("3", "c"), simulator.message_event("1", "d")),
    )
    response = await simulator.post_webhook(webhook_url, body)
    assert response.status == 200
    assert len(accepted.batches) == 1
    assert [(m.user_id, m.text) for m in accepted.batches[0]] == [
        ("1", "a"),
        ("2", "b"),
        ("3", "c"),
        ("1", "d"),
    ]


async def test_messenger_message_becomes_a_neutral_inbound_message(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    response = await simulator.post_message(
        webhook_url, "4242", "Where is my parcel?", mid="m_abc", timestamp=1_700_000_000_123
    )
    assert response.status == 200
    [message] = accepted.messages
    assert message.platform == "messenger"
    assert message.account_id == simulator.page_id
    assert message.user_id == "4242"
    assert message.message_id == "m_abc"
    assert message.text == "Where is my parcel?"
    assert message.payload is None
    assert message.sent_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert message.conversation_key == f"messenger:{simulator.page_id}:4242"


async def test_messenger_drops_echoes_of_our_own_messages(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    response = await simulator.post_events(
        webhook_url,
        simulator.echo_event("42", "Your parcel is on its way."),
        simulator.message_event("42", "thanks"),
    )
    assert response.status == 200
    assert [m.text for m in accepted.messages] == ["thanks"]


async def test_messenger_ignores_reads_deliveries_and_reactions(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    response = await simulator.post_events(
        webhook_url,
        simulator.read_event("42"),
        simulator.delivery_event("42", ["m_1"]),
        simulator.reaction_event("42", "m_1"),
    )
    assert response.status == 200
    assert accepted.batches == []  # nothing to store: the inbox is not even called


async def test_messenger_does_not_store_standby_events(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    """Another app (a person in the Page Inbox) owns the thread: the bot must stay silent."""
    body = simulator.webhook_body(
        simulator.entry(simulator.message_event("42", "are you there?"), standby=True),
        simulator.entry(simulator.message_event("43", "hello")),
    )
    response = await simulator.post_webhook(webhook_url, body)
    assert response.status == 200
    assert [m.user_id for m in accepted.messages] == ["43"]


async def test_messenger_quick_reply_payload_is_passed_on(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    await simulator.post_message(webhook_url, "42", "Track a parcel", quick_reply_payload="/track")
    [message] = accepted.messages
    assert message.text == "Track a parcel"
    assert message.payload == "/track"


async def test_messenger_postback_gives_payload_and_title(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    await simulator.post_events(
        webhook_url, simulator.postback_event("42", "/human", "Talk to a person", mid="m_pb1")
    )
    [message] = accepted.messages
    assert (message.text, message.payload, message.message_id) == (
        "Talk to a person",
        "/human",
        "m_pb1",
    )


async def test_messenger_postback_without_mid_gets_the_same_id_when_redelivered(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    event = simulator.postback_event("42", "/start", "Get started", timestamp=1_700_000_000_000)
    other = simulator.postback_event("42", "/start", "Get started", timestamp=1_700_000_009_000)
    await simulator.post_events(webhook_url, event)
    await simulator.post_events(webhook_url, event)  # Meta redelivers
    await simulator.post_events(webhook_url, other)  # a second tap, later
    first, again, later = (m.message_id for m in accepted.messages)
    assert first == again
    assert later != first


async def test_messenger_attachments_are_described(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    attachments = [
        simulator.attachment("image", "https://cdn.example/photo.jpg"),
        simulator.attachment("file", "https://cdn.example/receipt.pdf"),
        simulator.attachment("image", "https://cdn.example/like.png", sticker_id=369239263222822),
    ]
    await simulator.post_message(webhook_url, "42", "damaged box", attachments=attachments)
    [message] = accepted.messages
    assert message.text == "damaged box"
    assert [(a.kind, a.url, a.description) for a in message.attachments] == [
        ("image", "https://cdn.example/photo.jpg", "[photo]"),
        ("file", "https://cdn.example/receipt.pdf", "[file]"),
        ("sticker", "https://cdn.example/like.png", "[thumbs up]"),
    ]


async def test_messenger_attachment_without_text(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    event = simulator.message_event("42", attachments=[simulator.attachment("audio", "https://a")])
    await simulator.post_events(webhook_url, event)
    [message] = accepted.messages
    assert message.text == ""
    assert message.attachments[0].description == "[audio]"


async def test_messenger_empty_text_message_is_accepted(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    response = await simulator.post_message(webhook_url, "42", "")
    assert response.status == 200
    assert [m.text for m in accepted.messages] == [""]


async def test_messenger_malformed_item_is_skipped_and_the_rest_stored(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    no_sender = simulator.message_event("42", "lost")
    del no_sender["sender"]
    no_mid = simulator.message_event("42", "no id")
    del no_mid["message"]["mid"]
    entry = simulator.entry(no_sender, no_mid, simulator.message_event("42", "kept"))
    entry["messaging"].insert(1, "not an object")
    response = await simulator.post_webhook(webhook_url, simulator.webhook_body(entry))
    assert response.status == 200
    assert [m.text for m in accepted.messages] == ["kept"]


# --- refusals -------------------------------------------------------------------------------


async def test_messenger_malformed_json_is_400(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    response = await simulator.post_webhook(webhook_url, b'{"object": "page", "entry": [')
    assert response.status == 400
    assert "JSON" in response.json()["error"]
    assert accepted.batches == []


async def test_messenger_body_that_is_not_a_page_webhook_is_400(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    for body in ({"object": "instagram", "entry": []}, {"object": "page"}, [1, 2]):
        response = await simulator.post_webhook(webhook_url, json.dumps(body).encode())
        assert response.status == 400, body
        assert "page webhook" in response.json()["error"]
    assert accepted.batches == []


async def test_messenger_wrong_content_type_is_415(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    body = simulator.webhook_body(simulator.entry(simulator.message_event("42", "hi")))
    response = await simulator.post_webhook(webhook_url, body, content_type="text/plain")
    assert response.status == 415
    assert accepted.batches == []


async def test_messenger_body_over_one_megabyte_is_413(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    huge = simulator.message_event("42", "x" * MAX_BODY_BYTES)
    response = await simulator.post_events(webhook_url, huge)
    assert response.status == 413
    assert accepted.batches == []


async def test_messenger_streamed_body_over_the_limit_is_413(
    webhook_url: str, accepted: AcceptRecorder
) -> None:
    """Without a Content-Length (chunked), the limit still holds while reading."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * (64 * 1024)

    async with (
        aiohttp.ClientSession() as client,
        client.post(
            webhook_url, data=chunks(), headers={"Content-Type": "application/json"}
        ) as response,
    ):
        assert response.status == 413
    assert accepted.batches == []


async def test_messenger_answers_500_when_the_inbox_cannot_store(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    """Meta redelivers anything not answered 200, so nothing is lost."""
    accepted.fail = True
    response = await simulator.post_message(webhook_url, "42", "hello")
    assert response.status == 500


async def test_messenger_simulator_finds_the_webhook_from_the_gateway_url(
    simulator: MessengerSimulator, webhook_url: str, accepted: AcceptRecorder
) -> None:
    gateway_url = webhook_url.removesuffix("/webhooks/messenger")
    response = await simulator.post_message(gateway_url, "42", "hello")
    assert response.status == 200
    assert [m.text for m in accepted.messages] == ["hello"]
