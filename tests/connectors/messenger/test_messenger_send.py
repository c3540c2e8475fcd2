"""`MessengerSender` against the simulator's Graph API, over real HTTP on loopback."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from connectors.messenger import MessengerSender
from outbox.messages import Button, OutboundMessage, SendOutcome
from sandbox.simulator.messenger import (
    INVALID_TOKEN,
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    USER_UNAVAILABLE,
    MessengerSimulator,
)
from sandbox.stack import free_port
from settings import Settings


def reply(
    text: str = "Your parcel is on its way.",
    buttons: tuple[Button, ...] = (),
    from_person: bool = False,
) -> OutboundMessage:
    return OutboundMessage(
        platform="messenger",
        account_id="page-1",
        user_id="42",
        text=text,
        buttons=buttons,
        from_person=from_person,
    )


def sentences(count: int) -> str:
    """`count` distinct sentences of 100 characters each."""
    return " ".join(f"Sentence {i:04d} " + "x" * 84 + "." for i in range(count))


async def test_messenger_sends_a_response_after_typing_on(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    result = await sender.send(reply())

    assert result.outcome is SendOutcome.SENT
    [sent] = simulator.sends
    assert result.platform_message_ids == (sent.message_id,)
    assert (sent.recipient_id, sent.text, sent.messaging_type, sent.tag) == (
        "42",
        "Your parcel is on its way.",
        "RESPONSE",
        None,
    )
    assert [c.sender_action or "message" for c in simulator.calls] == ["typing_on", "message"]
    assert sent.path.endswith("/me/messages")


async def test_messenger_shows_typing_only_before_the_first_reply_of_a_turn(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    first = await sender.send(reply("Let me check."))
    second = await sender.send(replace(reply("It is on its way."), follows_previous=True))

    assert first.outcome is second.outcome is SendOutcome.SENT
    assert [c.sender_action or c.text for c in simulator.calls] == [
        "typing_on",
        "Let me check.",
        "It is on its way.",
    ]


async def test_messenger_token_travels_in_a_header_not_the_url(
    sender: MessengerSender, simulator: MessengerSimulator, settings: Settings
) -> None:
    await sender.send(reply())
    assert {c.access_token for c in simulator.calls} == {settings.messenger_page_access_token}
    assert all("access_token" not in c.path for c in simulator.calls)


async def test_messenger_buttons_become_at_most_13_quick_replies_with_short_titles(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    buttons = tuple(
        Button(f"Option number {i} with a long title", f"/pick{{{i}}}") for i in range(15)
    )
    result = await sender.send(reply("Pick one.", buttons=buttons))

    assert result.outcome is SendOutcome.SENT, result.error
    replies = simulator.sends[0].quick_replies
    assert len(replies) == 13
    assert all(r["content_type"] == "text" for r in replies)
    assert all(len(r["title"]) <= 20 for r in replies)
    assert replies[0] == {
        "content_type": "text",
        "title": "Option number 0 wit…",
        "payload": "/pick{0}",
    }


async def test_messenger_long_reply_is_split_on_sentences_with_buttons_on_the_last_part(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    text = sentences(50)  # 5,049 characters
    buttons = (Button("Yes", "/affirm"), Button("No", "/deny"))
    result = await sender.send(reply(text, buttons=buttons))

    assert result.outcome is SendOutcome.SENT, result.error
    parts = simulator.received("42")
    assert len(parts) == 3
    assert len(result.platform_message_ids) == 3
    assert all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts)  # cut after a sentence, never inside one
    assert " ".join(parts) == text
    assert [len(c.quick_replies) for c in simulator.sends] == [0, 0, 2]
    assert len(simulator.sender_actions) == 1  # one typing bubble per reply


async def test_messenger_person_reply_carries_the_human_agent_tag(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    result = await sender.send(reply("Hi, Marta from support here.", from_person=True))

    assert result.outcome is SendOutcome.SENT
    [sent] = simulator.sends
    assert (sent.messaging_type, sent.tag) == ("MESSAGE_TAG", "HUMAN_AGENT")


async def test_messenger_server_error_is_retried(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    simulator.fail_next(status=500)
    result = await sender.send(reply())
    assert result.outcome is SendOutcome.RETRY
    assert simulator.received("42") == []

    assert (await sender.send(reply())).outcome is SendOutcome.SENT  # the outbox's retry


async def test_messenger_429_is_retried_after_retry_after(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    simulator.fail_next(status=429, headers={"Retry-After": "7"})
    result = await sender.send(reply())
    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after == 7.0


async def test_messenger_rate_limit_code_on_400_is_retried(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    usage = '{"104857600000001": [{"type": "messenger", "estimated_time_to_regain_access": 2}]}'
    simulator.fail_next(
        status=400, error=RATE_LIMITED, headers={"X-Business-Use-Case-Usage": usage}
    )
    result = await sender.send(reply())
    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after == 120.0


async def test_messenger_unreachable_customer_is_permanent(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    simulator.fail_next(status=400, error=USER_UNAVAILABLE)
    result = await sender.send(reply())
    assert result.outcome is SendOutcome.PERMANENT
    assert result.error and "551" in result.error and "cannot be reached" in result.error


async def test_messenger_person_reply_past_seven_days_is_permanent_with_a_clear_reason(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    simulator.fail_next(status=400, error=OUTSIDE_WINDOW)
    result = await sender.send(reply("Sorry for the wait.", from_person=True))
    assert result.outcome is SendOutcome.PERMANENT
    assert result.error and "7 days" in result.error


async def test_messenger_other_client_errors_are_permanent_with_graph_message(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    simulator.fail_next(status=400, error={"message": "(#100) No matching user found", "code": 100})
    result = await sender.send(reply())
    assert result.outcome is SendOutcome.PERMANENT
    assert result.error and "No matching user found" in result.error


async def test_messenger_typing_failure_does_not_stop_the_reply(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    simulator.fail_next(status=500, sender_actions=True)  # spent on the typing bubble
    result = await sender.send(reply())
    assert result.outcome is SendOutcome.SENT
    assert simulator.received("42") == ["Your parcel is on its way."]


async def test_messenger_network_error_is_retried() -> None:
    closed = f"http://127.0.0.1:{free_port()}/v21.0"
    async with MessengerSender(page_access_token="t0ken-x", graph_api_url=closed) as sender:
        result = await sender.send(reply())
    assert result.outcome is SendOutcome.RETRY
    assert result.error and "unreachable" in result.error


async def test_messenger_retry_after_a_partial_send_continues_where_it_stopped(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    """The customer must not read the first part of a long reply twice."""
    text = sentences(30)  # two parts
    simulator.fail_next(status=500, after=1)
    first = await sender.send(reply(text))
    assert first.outcome is SendOutcome.RETRY
    assert len(first.platform_message_ids) == 1

    second = await sender.send(reply(text))
    assert second.outcome is SendOutcome.SENT
    assert second.platform_message_ids[0] == first.platform_message_ids[0]
    assert " ".join(simulator.received("42")) == text  # each part exactly once


async def test_messenger_empty_reply_is_not_sent(
    sender: MessengerSender, simulator: MessengerSimulator
) -> None:
    result = await sender.send(reply("   "))
    assert result.outcome is SendOutcome.PERMANENT
    assert simulator.calls == []


async def test_messenger_token_never_appears_in_errors_or_logs(
    sender: MessengerSender,
    simulator: MessengerSimulator,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = settings.messenger_page_access_token
    assert token
    caplog.set_level(logging.DEBUG)
    echoing = {**INVALID_TOKEN, "message": f"Invalid OAuth access token: {token}"}
    failures = [
        {"status": 500},
        {"status": 429, "headers": {"Retry-After": "1"}},
        {"status": 400, "error": USER_UNAVAILABLE},
        {"status": 400, "error": echoing},
    ]
    errors = []
    for failure in failures:
        simulator.fail_next(**failure)  # type: ignore[arg-type]
        result = await sender.send(reply())
        assert result.outcome is not SendOutcome.SENT
        errors.append(result.error or "")
    closed = f"http://127.0.0.1:{free_port()}/v21.0"
    async with MessengerSender(page_access_token=token, graph_api_url=closed) as offline:
        errors.append((await offline.send(reply())).error or "")

    assert "[redacted]" in errors[3]
    assert not [e for e in errors if token in e]
    assert token not in caplog.text
    assert token not in repr(sender)


async def test_messenger_wrong_token_is_permanent_and_names_the_setting(
    simulator: MessengerSimulator,
) -> None:
    async with MessengerSender(
        page_access_token="stale", graph_api_url=simulator.graph_api_url
    ) as sender:
        result = await sender.send(reply())
    assert result.outcome is SendOutcome.PERMANENT
    assert result.error and "MESSENGER_PAGE_ACCESS_TOKEN" in result.error


def test_messenger_sender_needs_the_page_token(settings: Settings) -> None:
    with pytest.raises(ValueError, match="MESSENGER_PAGE_ACCESS_TOKEN"):
        MessengerSender.from_settings(
            settings.model_copy(update={"messenger_page_access_token": None})
        )
