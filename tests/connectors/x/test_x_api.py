"""tweepy's async client reaches X_API_URL, signed with OAuth 1.0a for the URL it really calls."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from tweepy.asynchronous import AsyncClient
from tweepy.errors import Forbidden, TwitterServerError, Unauthorized

from connectors.x.api import XApiClient, build_client
from sandbox.simulator.x import XSimulator

ServerFactory = Callable[[web.Application], Coroutine[Any, Any, TestServer]]


def test_x_api_client_is_tweepys_async_client(x_client: XApiClient) -> None:
    assert isinstance(x_client, AsyncClient)
    assert not x_client.wait_on_rate_limit  # the outbox decides when to retry, not a sleep here


async def test_x_api_client_sends_to_the_configured_base(
    simulator: XSimulator, x_client: XApiClient
) -> None:
    response = await x_client.create_direct_message(participant_id="2001", text="hello")

    assert response.data["dm_event_id"] == simulator.sent[0].event_id
    assert simulator.api_calls == [("POST", "/2/dm_conversations/with/2001/messages")]


async def test_x_api_client_signs_query_parameters_the_simulator_can_verify(
    simulator: XSimulator, x_client: XApiClient
) -> None:
    simulator.customer_sends("2001", "hi: are you there?")

    # Dots and commas in the query are where a signature over the wrong bytes breaks.
    page = await x_client.get_direct_message_events(
        dm_event_fields=["id", "text", "sender_id", "created_at"],
        expansions="sender_id",
        user_fields=["name", "username"],
        max_results=5,
    )

    assert [event.text for event in page.data] == ["hi: are you there?"]
    assert page.includes["users"][0].username == "customer2001"


async def test_x_api_client_with_a_wrong_secret_is_refused(simulator: XSimulator) -> None:
    client = build_client(simulator.settings(x_access_token_secret="not-the-secret"))

    with pytest.raises(Unauthorized):
        await client.create_direct_message(participant_id="2001", text="hello")
    assert simulator.sent == []


async def test_x_api_client_raises_tweepys_errors_with_xs_detail(
    simulator: XSimulator, x_client: XApiClient
) -> None:
    simulator.close_dms("2001")

    with pytest.raises(Forbidden) as raised:
        await x_client.create_direct_message(participant_id="2001", text="hello")
    assert "not permitted" in raised.value.api_messages[0]


async def test_x_api_client_survives_an_html_error_page(aiohttp_server: ServerFactory) -> None:
    async def bad_gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/2/dm_conversations/with/{participant_id}/messages", bad_gateway)
    server = await aiohttp_server(app)
    client = XApiClient(
        api_url=str(server.make_url("/")),
        consumer_key="k",
        consumer_secret="s",
        access_token="t",
        access_token_secret="ts",
    )

    with pytest.raises(TwitterServerError, match="502"):
        await client.create_direct_message(participant_id="2001", text="hello")
