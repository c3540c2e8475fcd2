"""Replies go out as X DMs through the simulator; failures come back classified for the outbox."""

from __future__ import annotations

import time

import pytest

from connectors.x import options
from connectors.x.api import XApiClient, build_client
from connectors.x.send import MAX_DM_CHARS, XSender, split_text
from outbox.messages import Button, OutboundMessage, PlatformSender, SendOutcome
from sandbox.simulator.x import XSimulator
from settings import Settings
from tests.connectors.x.recorder import ACCOUNT_ID

BUTTONS = (
    Button("Track a parcel", "/track_parcel"),
    Button("Return an item", "/return_item"),
    Button("Talk to a person", "/human_handoff"),
)


def reply(text: str, *buttons: Button) -> OutboundMessage:
    return OutboundMessage(
        platform="x", account_id=ACCOUNT_ID, user_id="2001", text=text, buttons=buttons
    )


@pytest.fixture
def sender(x_client: XApiClient) -> XSender:
    return XSender(x_client)


def test_x_sender_is_the_outbox_port_for_x(sender: XSender) -> None:
    port: PlatformSender = sender
    assert port.platform == "x"


async def test_x_sender_delivers_a_text(simulator: XSimulator, sender: XSender) -> None:
    result = await sender.send(reply("Your parcel left the warehouse."))

    assert result.outcome is SendOutcome.SENT
    [dm] = simulator.sent
    assert dm.participant_id == "2001"
    assert dm.text == "Your parcel left the warehouse."
    assert result.platform_message_ids == (dm.event_id,)


async def test_x_sender_renders_buttons_as_a_numbered_list(
    simulator: XSimulator, sender: XSender
) -> None:
    await sender.send(reply("How can I help?", *BUTTONS))

    assert simulator.sent[0].text == (
        "How can I help?\n\n1. Track a parcel\n2. Return an item\n3. Talk to a person"
    )


async def test_x_sender_splits_a_long_text_in_order(simulator: XSimulator, sender: XSender) -> None:
    sentence = "Your parcel is on its way and should arrive within three working days. "
    text = (sentence * 300).strip()  # about 21,000 characters
    assert len(text) > 2 * MAX_DM_CHARS

    result = await sender.send(reply(text, *BUTTONS))

    assert result.outcome is SendOutcome.SENT
    parts = [dm.text for dm in simulator.sent]
    assert len(parts) == 3
    assert all(len(part) <= MAX_DM_CHARS for part in parts)
    assert all(part.endswith(".") for part in parts[:-1])  # cut between sentences
    assert parts[-1].endswith("3. Talk to a person")  # the options close the last part
    assert " ".join(parts).split() == options.render(text, BUTTONS).split()  # nothing lost
    assert result.platform_message_ids == tuple(dm.event_id for dm in simulator.sent)


def test_x_split_prefers_paragraphs_then_words_then_a_hard_cut() -> None:
    assert split_text("aaaa bbbb\n\ncccc dddd", 12) == ["aaaa bbbb", "cccc dddd"]
    assert split_text("aaaa bbbb cccc", 10) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("short", 10) == ["short"]


async def test_x_sender_retries_after_a_server_error(
    simulator: XSimulator, sender: XSender
) -> None:
    simulator.fail_next_sends(1, status=500)

    first = await sender.send(reply("hello"))
    second = await sender.send(reply("hello"))

    assert first.outcome is SendOutcome.RETRY
    assert first.retry_after is None
    assert "500" in (first.error or "")
    assert second.outcome is SendOutcome.SENT


async def test_x_sender_retries_after_the_rate_limit_resets(
    simulator: XSimulator, sender: XSender
) -> None:
    simulator.fail_next_sends(1, status=429, reset_in=120)

    result = await sender.send(reply("hello"))

    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after is not None
    assert 115 <= result.retry_after <= 121
    assert simulator.sent == []


async def test_x_sender_reads_the_reset_as_epoch_seconds(simulator: XSimulator) -> None:
    now = time.time()
    simulator.fail_next_sends(1, status=429, reset_in=30)
    sender = XSender(build_client(simulator.settings()), clock=lambda: now + 10)

    result = await sender.send(reply("hello"))

    assert result.retry_after is not None
    assert 19 <= result.retry_after <= 21


async def test_x_sender_gives_up_when_the_customer_refuses_dms(
    simulator: XSimulator, sender: XSender
) -> None:
    simulator.close_dms("2001")

    result = await sender.send(reply("hello"))

    assert result.outcome is SendOutcome.PERMANENT
    assert "403" in (result.error or "")
    assert "does not accept DMs" in (result.error or "")


async def test_x_sender_gives_up_on_other_client_errors(
    simulator: XSimulator, sender: XSender
) -> None:
    simulator.fail_next_sends(1, status=400, detail="participant_id is not a valid user")

    result = await sender.send(reply("hello"))

    assert result.outcome is SendOutcome.PERMANENT
    assert "participant_id is not a valid user" in (result.error or "")


async def test_x_sender_never_puts_credentials_in_errors(simulator: XSimulator) -> None:
    settings = simulator.settings(x_bearer_token="sim-bearer-token")
    sender = XSender(build_client(settings))
    secrets = [
        settings.x_consumer_key,
        settings.x_consumer_secret,
        settings.x_access_token,
        settings.x_access_token_secret,
        settings.x_bearer_token,
    ]
    # An error body that echoes what it was sent: the texts staff see must still be clean.
    echo = " ".join(f"token={secret}" for secret in secrets if secret)
    for status in (400, 403, 429, 500):
        simulator.fail_next_sends(1, status=status, detail=echo)
    results = [await sender.send(reply("hello")) for _ in range(4)]
    wrong = XSender(build_client(simulator.settings(x_access_token_secret="not-the-secret")))
    results.append(await wrong.send(reply("hello")))

    assert [r.outcome for r in results] == [
        SendOutcome.PERMANENT,
        SendOutcome.PERMANENT,
        SendOutcome.RETRY,
        SendOutcome.RETRY,
        SendOutcome.PERMANENT,
    ]
    for result in results:
        assert result.error
        for secret in secrets:
            assert secret and secret not in result.error
    assert "401" in (results[-1].error or "")


async def test_x_sender_retries_when_x_is_unreachable() -> None:
    settings = Settings(
        x_consumer_key="k",
        x_consumer_secret="s",
        x_access_token="t",
        x_access_token_secret="ts",
        x_api_url="http://127.0.0.1:9",  # the discard port: nothing listens
    )

    result = await XSender(build_client(settings)).send(reply("hello"))

    assert result.outcome is SendOutcome.RETRY
    assert "network error" in (result.error or "")


async def test_x_sender_reports_the_parts_delivered_before_a_failure(
    simulator: XSimulator, sender: XSender
) -> None:
    text = ("word " * 3000).strip()  # about 15,000 characters: two parts
    simulator.fail_next_sends(1, status=503, after=1)

    result = await sender.send(reply(text))

    assert result.outcome is SendOutcome.RETRY
    assert result.platform_message_ids == (simulator.sent[0].event_id,)
    assert (result.error or "").startswith("part 2 of 2: ")


async def test_x_sender_refuses_an_empty_reply(sender: XSender) -> None:
    result = await sender.send(reply("  "))

    assert result.outcome is SendOutcome.PERMANENT
