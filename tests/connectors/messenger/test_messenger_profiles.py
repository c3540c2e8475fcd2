"""`MessengerProfiles` against the simulator's User Profile API, over real HTTP on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.messenger import MessengerProfiles
from sandbox.simulator.messenger import RATE_LIMITED, MessengerSimulator
from sandbox.stack import free_port
from settings import Settings
from tests.connectors.messenger.conftest import PAGE_ACCESS_TOKEN


@pytest.fixture
async def profiles(settings: Settings) -> AsyncIterator[MessengerProfiles]:
    async with aiohttp.ClientSession() as http:
        yield MessengerProfiles.from_settings(settings, http)


async def test_messenger_profile_gives_the_customers_first_and_last_name(
    profiles: MessengerProfiles, simulator: MessengerSimulator
) -> None:
    simulator.add_profile("772535985081", "Giulia  Rossi Bianchi")

    assert await profiles.name("772535985081") == "Giulia Rossi Bianchi"
    [lookup] = simulator.lookups
    assert (lookup.user_id, lookup.status) == ("772535985081", 200)


async def test_messenger_profile_of_a_customer_who_wrote_with_a_name(
    profiles: MessengerProfiles, simulator: MessengerSimulator, webhook_url: str
) -> None:
    event = simulator.message_event("4242", "hello", name="Ann")
    assert "Ann" not in json.dumps(event)  # as on Meta, the webhook carries no name

    assert (await simulator.post_events(webhook_url, event)).status == 200
    assert await profiles.name("4242") == "Ann"


async def test_messenger_profile_token_travels_in_a_header_not_the_url(
    profiles: MessengerProfiles, simulator: MessengerSimulator
) -> None:
    simulator.add_profile("42", "Giulia Rossi")

    await profiles.name("42")

    [lookup] = simulator.lookups
    assert lookup.header_token == PAGE_ACCESS_TOKEN
    assert PAGE_ACCESS_TOKEN not in lookup.url
    assert lookup.url.endswith("/42?fields=first_name,last_name")


async def test_messenger_profile_of_an_unknown_customer_is_none(
    profiles: MessengerProfiles, simulator: MessengerSimulator
) -> None:
    assert await profiles.name("999") is None
    assert [c.status for c in simulator.lookups] == [400]


@pytest.mark.parametrize(
    ("status", "error"), [(500, None), (400, RATE_LIMITED)], ids=["server error", "rate limit"]
)
async def test_messenger_profile_is_none_when_graph_refuses(
    profiles: MessengerProfiles,
    simulator: MessengerSimulator,
    status: int,
    error: dict[str, object] | None,
) -> None:
    simulator.add_profile("42", "Giulia Rossi")
    simulator.fail_next_lookups(status=status, error=error)

    assert await profiles.name("42") is None
    assert await profiles.name("42") == "Giulia Rossi"  # only the one lookup was refused


async def test_messenger_profile_with_a_wrong_token_is_none_and_logs_neither_token_nor_name(
    simulator: MessengerSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.add_profile("42", "Giulia Rossi")
    wrong = "EAAG-wrong-token-also-secret"
    caplog.set_level(logging.DEBUG, logger="connectors.messenger")
    async with aiohttp.ClientSession() as http:
        profiles = MessengerProfiles(
            page_access_token=wrong, graph_api_url=simulator.graph_api_url, session=http
        )
        assert await profiles.name("42") is None

    assert [c.status for c in simulator.lookups] == [400]
    assert "code 190" in caplog.text
    assert wrong not in caplog.text and "Giulia" not in caplog.text


async def test_messenger_profile_is_none_when_graph_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="connectors.messenger")
    async with aiohttp.ClientSession() as http:
        profiles = MessengerProfiles(
            page_access_token=PAGE_ACCESS_TOKEN,
            graph_api_url=f"http://127.0.0.1:{free_port()}/v21.0",
            session=http,
        )
        assert await profiles.name("42") is None
    assert "unreachable" in caplog.text and PAGE_ACCESS_TOKEN not in caplog.text


async def test_messenger_profile_asks_nothing_for_an_id_that_is_not_a_psid(
    profiles: MessengerProfiles, simulator: MessengerSimulator
) -> None:
    for not_a_psid in ("me", "../me/messages", "42?fields=name", ""):
        assert await profiles.name(not_a_psid) is None
    assert simulator.lookups == []
