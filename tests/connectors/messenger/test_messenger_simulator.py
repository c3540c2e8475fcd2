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


async def test_messenger_simulator_profiles_answer_as_the_user_profile_api(
    simulator: MessengerSimulator,
) -> None:
    simulator.add_profile("42", "Giulia Rossi")
    headers = {"Authorization": f"Bearer {simulator.page_access_token}"}
    async with aiohttp.ClientSession() as client:

        async def get(path: str, **params: str) -> tuple[int, Any]:
            url = f"{simulator.graph_api_url}/{path}"
            async with client.get(url, params=params, headers=headers) as r:
                return r.status, await r.json()

        assert await get("42", fields="first_name,last_name") == (
            200,
            {"first_name": "Giulia", "last_name": "Rossi", "id": "42"},
        )
        status, unknown = await get("43", fields="first_name")
        assert (status, unknown["error"]["code"], unknown["error"]["error_subcode"]) == (
            400,
            100,
            33,
        )
        status, bad_field = await get("42", fields="email")
        assert (status, bad_field["error"]["code"]) == (400, 100)
        headers["Authorization"] = "Bearer not-the-token"
        status, refused = await get("42", fields="first_name")
        assert (status, refused["error"]["code"]) == (400, 190)
    assert [c.status for c in simulator.lookups] == [200, 400, 400, 400]
    assert simulator.calls == []  # lookups are not sends
