"""The sandbox page: what a person types reaches the gateway as each platform would send it, and
what the bot sends to the simulators shows up in that customer's conversation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from connectors.messenger import MessengerProfiles
from connectors.x.api import build_client
from sandbox.page.app import STATIC, page_app
from sandbox.simulator.server import SandboxConfig, Simulators
from sandbox.stack import free_port
from settings import Settings
from tests.sandbox.stand_in_gateway import StandInGateway

Page = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Page]]
DEMO = SandboxConfig()
GIULIA = "1234567890123456"


async def say(page: Page, platform: str, text: str | None = None, **extra: Any) -> Any:
    body = {"platform": platform, "user_id": GIULIA, "name": "Giulia Rossi", **extra}
    if text is not None:
        body["text"] = text
    response = await page.post("/api/send", json=body)
    assert response.status == 200, await response.text()
    return await response.json()


async def conversation(page: Page, platform: str, user_id: str = GIULIA) -> Any:
    response = await page.get(f"/api/conversation?platform={platform}&user_id={user_id}")
    assert response.status == 200
    return await response.json()


async def graph_api(settings: Settings, body: dict[str, Any]) -> None:
    """Call the Send API as the bot does."""
    url = f"{settings.graph_api_url}/me/messages"
    params = {"access_token": settings.messenger_page_access_token or ""}
    async with aiohttp.ClientSession() as http, http.post(url, params=params, json=body) as answer:
        assert answer.status == 200, await answer.text()


async def test_page_serves_the_chat_form(page: Page) -> None:
    response = await page.get("/")
    html = await response.text()
    assert response.status == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    for part in ('<form id="compose"', '<label for="text">', '<label for="name">', 'role="log"'):
        assert part in html
    assert (await page.get("/static/chat.js")).status == 200


def test_page_fetches_nothing_from_elsewhere() -> None:
    for asset in Path(STATIC).iterdir():
        assert "://" not in asset.read_text(), asset.name


async def test_messenger_message_reaches_the_gateway_signed(
    page: Page, gateway: StandInGateway
) -> None:
    await say(page, "messenger", "Where is my parcel?")

    [body] = gateway.bodies("messenger")
    [entry] = body["entry"]
    [item] = entry["messaging"]
    assert entry["id"] == DEMO.messenger_page_id
    assert item["sender"] == {"id": GIULIA}
    assert item["message"]["text"] == "Where is my parcel?"
    assert "quick_reply" not in item["message"]
    assert gateway.refused == 0


async def test_messenger_customer_name_is_a_graph_profile_not_part_of_the_webhook(
    page: Page, gateway: StandInGateway, gateway_settings: Settings
) -> None:
    await say(page, "messenger", "Where is my parcel?")

    assert "Giulia" not in json.dumps(gateway.bodies("messenger"))
    async with aiohttp.ClientSession() as http:
        profiles = MessengerProfiles.from_settings(gateway_settings, http)
        assert await profiles.name(GIULIA) == "Giulia Rossi"


async def test_messenger_quick_reply_carries_its_payload(
    page: Page, gateway: StandInGateway
) -> None:
    await say(page, "messenger", "Track a parcel", payload="/track_parcel")

    message = gateway.bodies("messenger")[0]["entry"][0]["messaging"][0]["message"]
    assert message["text"] == "Track a parcel"
    assert message["quick_reply"] == {"payload": "/track_parcel"}


async def test_x_message_reaches_the_gateway_signed_with_the_customer_name(
    page: Page, gateway: StandInGateway
) -> None:
    await say(page, "x", "Where is my parcel?")

    [body] = gateway.bodies("x")
    [event] = body["direct_message_events"]
    assert body["for_user_id"] == DEMO.x_account_id
    assert event["type"] == "message_create"
    assert event["message_create"]["sender_id"] == GIULIA
    assert event["message_create"]["message_data"]["text"] == "Where is my parcel?"
    assert "quick_reply_response" not in event["message_create"]["message_data"]
    assert body["users"][GIULIA]["name"] == "Giulia Rossi"
    assert body["users"][GIULIA]["screen_name"] == "giuliarossi"
    assert gateway.refused == 0


async def test_x_quick_reply_carries_its_metadata(page: Page, gateway: StandInGateway) -> None:
    await say(page, "x", "1", payload="/track_parcel")

    data = gateway.bodies("x")[0]["direct_message_events"][0]["message_create"]["message_data"]
    assert data["text"] == "1"
    assert data["quick_reply_response"] == {"type": "options", "metadata": "/track_parcel"}


async def test_messenger_reply_shows_typing_then_the_message_with_quick_replies(
    page: Page, gateway_settings: Settings
) -> None:
    await say(page, "messenger", "hi")
    await graph_api(gateway_settings, {"recipient": {"id": GIULIA}, "sender_action": "typing_on"})
    assert (await conversation(page, "messenger"))["typing"] is True

    await graph_api(
        gateway_settings,
        {
            "recipient": {"id": GIULIA},
            "messaging_type": "RESPONSE",
            "message": {
                "text": "How can I help?",
                "quick_replies": [
                    {"content_type": "text", "title": "Track a parcel", "payload": "/track"},
                    {"content_type": "text", "title": "Talk to a person", "payload": "/human"},
                ],
            },
        },
    )

    shown = await conversation(page, "messenger")
    assert shown["typing"] is False
    assert shown["messages"] == [
        {"from": "customer", "text": "hi", "quick_replies": [], "delivered": True},
        {
            "from": "bot",
            "text": "How can I help?",
            "quick_replies": [
                {"title": "Track a parcel", "payload": "/track"},
                {"title": "Talk to a person", "payload": "/human"},
            ],
            "delivered": True,
        },
    ]
    assert (await conversation(page, "messenger", user_id="999"))["messages"] == []


async def test_x_reply_shows_in_the_conversation_in_order(
    page: Page, gateway_settings: Settings
) -> None:
    client = build_client(gateway_settings)
    await say(page, "x", "hi")
    await client.create_direct_message(
        participant_id=GIULIA, text="How can I help?\n\n1. Track a parcel\n2. Talk to a person"
    )
    await say(page, "x", "1")

    texts = [(m["from"], m["text"]) for m in (await conversation(page, "x"))["messages"]]
    assert texts == [
        ("customer", "hi"),
        ("bot", "How can I help?\n\n1. Track a parcel\n2. Talk to a person"),
        ("customer", "1"),
    ]
    assert (await conversation(page, "messenger"))["messages"] == []


async def test_send_says_when_the_gateway_is_not_running(aiohttp_client: ClientFactory) -> None:
    config = SandboxConfig(graph_port=0, x_port=0, gateway_url=f"http://127.0.0.1:{free_port()}")
    page = await aiohttp_client(page_app(config))
    body = {"platform": "messenger", "user_id": GIULIA, "name": "Giulia", "text": "hi"}

    response = await page.post("/api/send", json=body)

    assert response.status == 502
    assert "is it running?" in (await response.json())["error"]
    [message] = (await conversation(page, "messenger"))["messages"]
    assert message["delivered"] is False


async def test_send_says_when_the_gateway_refuses_the_signature(
    page: Page, gateway: StandInGateway
) -> None:
    gateway.x_consumer_secret = "another-secret"
    body = {"platform": "x", "user_id": GIULIA, "name": "Giulia", "text": "hi"}

    response = await page.post("/api/send", json=body)

    assert response.status == 502
    assert (await response.json())["gateway_status"] == 403


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "whatsapp", "user_id": GIULIA, "text": "hi"},
        {"platform": "x", "user_id": "giulia", "text": "hi"},
        {"platform": "messenger", "user_id": GIULIA, "text": "  "},
        {"platform": "messenger", "user_id": GIULIA, "text": "x" * 10_001},
        ["not", "an", "object"],
    ],
)
async def test_send_refuses_what_no_customer_could_send(
    page: Page, gateway: StandInGateway, body: Any
) -> None:
    response = await page.post("/api/send", json=body)

    assert response.status == 400
    assert "error" in await response.json()
    assert gateway.received == []


async def test_simulators_start_and_stop_with_the_page(simulators: Simulators) -> None:
    assert simulators.gateway_environment()["GRAPH_API_URL"] == simulators.messenger.graph_api_url
