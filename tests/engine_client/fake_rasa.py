"""A stand-in for the Rasa engine's HTTP API on loopback, for engines that misbehave.

It serves the two routes the engine client uses, keeps a tracker per conversation like Rasa 3.6
(the user event with its metadata, the bot events, then `action_listen`), and can be made slow,
down (connection refused), erroring, or crashing inside a turn (200 with nothing, nothing saved:
Rasa's REST channel quirk). It counts what it was asked, for the tests' assertions.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# What the bot answers to one message: the REST channel's message objects (without recipient_id).
Script = Callable[[str], list[dict[str, Any]]]


def echo(text: str) -> list[dict[str, Any]]:
    """The default bot: repeats the message."""
    return [{"text": f"you said: {text}"}]


@dataclass
class Received:
    sender: str
    text: str
    metadata: dict[str, Any]


class FakeRasa:
    """Start with `await FakeRasa().start()`; `url` is its address; `stop()` at the end."""

    def __init__(self, script: Script = echo, *, token: str | None = None) -> None:
        self.script = script
        self.token = token
        self.delay = 0.0  # seconds before each turn's answer
        self.error_status: int | None = None  # answer turns with this HTTP status
        self.crash_inside = False  # answer 200 [] and record nothing
        self.paused: set[str] = set()  # conversations a person owns: no bot replies
        self.received: list[Received] = []
        self.tracker_reads = 0
        self.trackers: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight_per_conversation = 0
        self.most_in_flight = 0
        self.port = _free_port()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeRasa:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._turn)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await self.come_up()
        return self

    async def go_down(self) -> None:
        """Stop listening: connections are refused until `come_up`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def come_up(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def texts_from(self, sender: str) -> list[str]:
        return [r.text for r in self.received if r.sender == sender]

    def record_turn(self, sender: str, text: str, metadata: dict[str, Any]) -> None:
        """Put a finished turn in the tracker, as Rasa saves it (also used to stage one)."""
        events = self.trackers[sender]
        events.append({"event": "user", "text": text, "metadata": metadata})
        if sender in self.paused:
            return  # paused: Rasa logs the message but predicts nothing, not even action_listen
        for message in self.script(text):
            data = {"buttons": message.get("buttons"), "custom": message.get("custom")}
            events.append({"event": "bot", "text": message.get("text"), "data": data})
        events.append({"event": "action", "name": "action_listen"})

    def _authorised(self, request: web.Request) -> bool:
        return self.token is None or request.query.get("token") == self.token

    async def _turn(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "unauthorised"}, status=401)
        body = await request.json()
        sender, text = body["sender"], body["message"]
        self.received.append(Received(sender, text, body.get("metadata") or {}))
        self.in_flight[sender] += 1
        self.most_in_flight_per_conversation = max(
            self.most_in_flight_per_conversation, self.in_flight[sender]
        )
        self.most_in_flight = max(self.most_in_flight, sum(self.in_flight.values()))
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.error_status is not None:
                return web.json_response({"error": "boom"}, status=self.error_status)
            if self.crash_inside:
                return web.json_response([])
            self.record_turn(sender, text, body.get("metadata") or {})
            if sender in self.paused:
                return web.json_response([])
            replies = [{"recipient_id": sender, **m} for m in self.script(text)]
            return web.json_response(replies)
        finally:
            self.in_flight[sender] -= 1

    async def _tracker(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "unauthorised"}, status=401)
        self.tracker_reads += 1
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.trackers.get(sender, [])})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
