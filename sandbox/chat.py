"""A customer's conversation with the live assistant, through the engine's REST channel."""

from __future__ import annotations

import uuid
from typing import Any

import requests


class Chat:
    """One customer's conversation with the live assistant, through the REST channel."""

    def __init__(self, engine_url: str, metadata: dict[str, Any] | None = None) -> None:
        self.engine_url = engine_url
        self.sender = f"test-{uuid.uuid4().hex[:12]}"
        self.metadata = metadata or {"platform": "messenger", "user_name": "Giulia Rossi"}

    def send(self, text: str) -> list[dict[str, Any]]:
        reply = requests.post(
            f"{self.engine_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text, "metadata": self.metadata},
            timeout=60,
        )
        reply.raise_for_status()
        return list(reply.json())

    def say(self, text: str) -> str:
        """Send and return the bot's texts joined, for assertions on wording."""
        return "\n".join(m.get("text", "") for m in self.send(text))

    def tracker(self) -> dict[str, Any]:
        reply = requests.get(f"{self.engine_url}/conversations/{self.sender}/tracker", timeout=30)
        reply.raise_for_status()
        return dict(reply.json())
