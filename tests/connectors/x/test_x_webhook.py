"""The Account Activity webhook over real HTTP: CRC, signatures, limits, what reaches the inbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiohttp
import pytest

from connectors.x import webhook
from connectors.x.api import XApiClient
from connectors.x.crc import crc_response
from connectors.x.send import XSender
from connectors.x.signature import is_valid_signature, sign
from outbox.messages import OutboundMessage, SendOutcome
from sandbox.simulator.x import XSimulator
from settings import Settings
from tests.connectors.x.recorder import ACCOUNT_ID, Inbox


def test_x_crc_answer_is_the_base64_hmac_of_the_token() -> None:
    # Vector computed independently: printf crc-token-123 | openssl dgst -sha256 -hmac … | base64
    assert crc_response("sim-consumer-secret", "crc-token-123") == {
        "response_token": "sha256=eOX3PVoYV5wpYvumi3E2bcaHxVH37lxbjVuPbVkLxfo="
    }


def test_x_signature_matches_an_independent_vector() -> None:
    body = b'{"for_user_id":"1000"}'
    header = "sha256=1Ico9RJexz2ymWI21socDVvfWzq3SrJM89EcEe2cmvM="
    assert sign("sim-consumer-secret", body) == header
    assert is_valid_signature("sim-consumer-secret", body, header)
    assert not is_valid_signature("sim-consumer-secret", body + b" ", header)
    assert not is_valid_signature("another-secret", body, header)
    assert not is_valid_signature("sim-consumer-secret", body, "sha256=é")


async def test_x_webhook_passes_the_crc_check(simulator: XSimulator, gateway: str) -> None:
    await simulator.check_crc(gateway)


async def test_x_webhook_crc_without_token_is_400(gateway: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(gateway) as response:
        assert response.status == 400
        assert "crc_token" in (await response.json())["error"]


async def test_x_webhook_accepts_a_signed_dm_with_name_and_handle(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    delivery = await simulator.post_dm(
        gateway, "2001", "Where is my parcel?", name="Ada Lovelace", screen_name="ada"
    )

    assert delivery.status == 200
    [message] = inbox.messages
    assert message.platform == "x"
    assert message.account_id == ACCOUNT_ID
    assert message.user_id == "2001"
    assert message.message_id == delivery.event_id
    assert message.text == "Where is my parcel?"
    assert message.user_name == "Ada Lovelace"
    assert message.user_handle == "@ada"
    assert message.payload is None
    assert message.sent_at.tzinfo is not None
    assert abs((datetime.now(UTC) - message.sent_at).total_seconds()) < 60


async def test_x_webhook_rejects_a_bad_signature_and_stores_nothing(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    payload = simulator.activity_payload([simulator.customer_sends("2001", "hi")])
    wrong = sign("not-our-secret", json.dumps(payload).encode())

    delivery = await simulator.post_activity(gateway, payload, signature=wrong)

    assert delivery.status == 403
    assert inbox.batches == []


async def test_x_webhook_rejects_a_missing_signature_and_stores_nothing(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    payload = simulator.activity_payload([simulator.customer_sends("2001", "hi")])

    delivery = await simulator.post_activity(gateway, payload, signed=False)

    assert delivery.status == 403
    assert inbox.batches == []


async def test_x_webhook_drops_our_own_messages(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    ours = simulator.customer_sends(ACCOUNT_ID, "Your parcel is on its way.")
    theirs = simulator.customer_sends("2001", "Thanks!")

    delivery = await simulator.post_activity(gateway, simulator.activity_payload([ours, theirs]))

    assert delivery.status == 200
    assert [m.message_id for m in inbox.messages] == [theirs.id]


async def test_x_webhook_drops_the_echo_of_a_reply_we_sent(
    simulator: XSimulator, gateway: str, inbox: Inbox, x_client: XApiClient
) -> None:
    await simulator.register_webhook(gateway)  # X echoes our sends to registered webhooks

    result = await XSender(x_client).send(OutboundMessage("x", ACCOUNT_ID, "2001", "Hello!"))

    assert result.outcome is SendOutcome.SENT
    [echo] = await simulator.echoes_delivered()
    assert echo.status == 200
    assert echo.event_id == result.platform_message_ids[0]
    assert inbox.messages == []


async def test_x_webhook_takes_every_dm_in_a_batch(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    events = [simulator.customer_sends(user, f"hello from {user}") for user in ("2001", "2002")]
    events.append(simulator.customer_sends("2001", "and again"))

    await simulator.post_activity(gateway, simulator.activity_payload(events))

    assert [m.message_id for m in inbox.messages] == [event.id for event in events]
    assert [m.user_handle for m in inbox.messages] == [
        "@customer2001",
        "@customer2002",
        "@customer2001",
    ]


async def test_x_webhook_turns_quick_reply_metadata_into_the_payload(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    await simulator.post_dm(gateway, "2001", "Track a parcel", quick_reply_metadata="/track_parcel")

    [message] = inbox.messages
    assert message.payload == "/track_parcel"
    assert message.text == "Track a parcel"


async def test_x_webhook_describes_a_photo_and_drops_its_link_from_the_text(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    await simulator.post_dm(gateway, "2001", "the box arrived broken", media_type="photo")

    [message] = inbox.messages
    assert message.text == "the box arrived broken"
    [attachment] = message.attachments
    assert attachment.kind == "image"
    assert attachment.description == "[photo]"
    assert attachment.url is not None and attachment.url.startswith("https://")


async def test_x_webhook_ignores_tweets_typing_and_read_events(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    payload = {
        "for_user_id": ACCOUNT_ID,
        "tweet_create_events": [{"id_str": "1", "text": "@ShopSupport hi"}],
        "direct_message_indicate_typing_events": [{"sender_id": "2001"}],
        "direct_message_mark_read_events": [{"sender_id": "2001"}],
    }

    delivery = await simulator.post_activity(gateway, payload)

    assert delivery.status == 200
    assert inbox.messages == []


async def test_x_webhook_answers_400_to_malformed_json(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    delivery = await simulator.post_activity(gateway, b'{"for_user_id": "1000",')

    assert delivery.status == 400
    assert "malformed JSON" in json.loads(delivery.body)["error"]
    assert inbox.batches == []


async def test_x_webhook_answers_400_to_an_event_without_sender(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    payload = simulator.activity_payload([simulator.customer_sends("2001", "hi")])
    del payload["direct_message_events"][0]["message_create"]["sender_id"]

    delivery = await simulator.post_activity(gateway, payload)

    assert delivery.status == 400
    assert "sender_id" in json.loads(delivery.body)["error"]


async def test_x_webhook_answers_415_to_another_content_type(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    payload = simulator.activity_payload([simulator.customer_sends("2001", "hi")])

    delivery = await simulator.post_activity(gateway, payload, content_type="text/plain")

    assert delivery.status == 415
    assert inbox.batches == []


async def test_x_webhook_answers_413_past_one_megabyte(
    simulator: XSimulator, gateway: str, inbox: Inbox
) -> None:
    body = b'{"padding": "' + b"x" * webhook.MAX_BODY_BYTES + b'"}'

    delivery = await simulator.post_activity(gateway, body)

    assert delivery.status == 413
    assert inbox.batches == []


def test_x_webhook_needs_the_consumer_secret() -> None:
    async def accept(messages: object) -> None: ...

    with pytest.raises(ValueError, match="X_CONSUMER_SECRET"):
        webhook.routes(accept, Settings(x_consumer_secret=None))
