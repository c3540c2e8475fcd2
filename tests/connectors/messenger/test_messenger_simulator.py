"""The simulator refuses what Meta refuses: connector bugs show up in tests, not in production."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from sandbox.simulator.messenger import MessengerSimulator


async def post(simulator: MessengerSimulator, body: Mapping[str, Any]) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {simulator.page_access_token}"}
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{simulator.graph_api_url}/me/messages", json=body, headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_messenger_simulator_refuses_text_over_2000_characters(
    simulator: MessengerSimulator,
) -> None:
    body = {
        "recipient": {"id": "42"},
        "messaging_type": "RESPONSE",
        "message": {"text": "x" * 2001},
    }
    status, answer = await post(simulator, body)
    assert (status, answer["error"]["code"]) == (400, 100)
    assert simulator.sends == []


async def test_messenger_simulator_refuses_a_tagless_message_tag(
    simulator: MessengerSimulator,
) -> None:
    body = {"recipient": {"id": "42"}, "messaging_type": "MESSAGE_TAG", "message": {"text": "hi"}}
    status, _ = await post(simulator, body)
    assert status == 400


async def test_messenger_simulator_serves_the_page_id_path_and_records_what_arrives(
    simulator: MessengerSimulator,
) -> None:
    body = {"recipient": {"id": "42"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
    headers = {"Authorization": f"Bearer {simulator.page_access_token}"}
    url = f"{simulator.graph_api_url}/{simulator.page_id}/messages"
    async with aiohttp.ClientSession() as client, client.post(url, json=body, headers=headers) as r:
        answer = await r.json()
    [sent] = await simulator.wait_for_sends(1, timeout=1)
    assert answer == {"recipient_id": "42", "message_id": sent.message_id}
    assert simulator.received("42") == ["hi"]
