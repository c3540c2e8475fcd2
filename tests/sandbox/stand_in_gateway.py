"""A tiny stand-in for the gateway: checks webhook signatures with the connectors' own code and
records what arrived, so the sandbox can be tested without the real gateway."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from connectors.messenger import WEBHOOK_PATH as MESSENGER_PATH
from connectors.messenger import signature as messenger_signature
from connectors.x import signature as x_signature
from connectors.x.crc import crc_response
from connectors.x.webhook import PATH as X_PATH


@dataclass(frozen=True)
class Webhook:
    platform: str
    body: dict[str, Any]


@dataclass
class StandInGateway:
    messenger_app_secret: str
    x_consumer_secret: str
    received: list[Webhook] = field(default_factory=list)  # only correctly signed webhooks
    refused: int = 0  # webhooks with a missing or wrong signature

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(MESSENGER_PATH, self._messenger)
        app.router.add_get(X_PATH, self._x_crc)
        app.router.add_post(X_PATH, self._x)
        return app

    def bodies(self, platform: str) -> list[dict[str, Any]]:
        return [webhook.body for webhook in self.received if webhook.platform == platform]

    async def _messenger(self, request: web.Request) -> web.Response:
        raw = await request.read()
        header = request.headers.get(messenger_signature.SIGNATURE_HEADER)
        secret = self.messenger_app_secret.encode()
        valid = messenger_signature.is_valid_signature(secret, raw, header)
        return self._record("messenger", raw, valid)

    async def _x(self, request: web.Request) -> web.Response:
        raw = await request.read()
        header = request.headers.get(x_signature.SIGNATURE_HEADER)
        valid = x_signature.is_valid_signature(self.x_consumer_secret, raw, header)
        return self._record("x", raw, valid)

    async def _x_crc(self, request: web.Request) -> web.Response:
        return web.json_response(crc_response(self.x_consumer_secret, request.query["crc_token"]))

    def _record(self, platform: str, raw: bytes, valid: bool) -> web.Response:
        if not valid:
            self.refused += 1
            return web.json_response({"error": "bad signature"}, status=403)
        self.received.append(Webhook(platform, json.loads(raw)))
        return web.json_response({"accepted": 1})
