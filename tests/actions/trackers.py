"""Run actions directly, with the real domain, a real database, and trackers built from events."""

from __future__ import annotations

from typing import Any

import yaml
from rasa_sdk import Tracker

from settings import REPO_ROOT


def load_domain() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text()))


def user_event(text: str, intent: str, confidence: float = 0.9) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": []},
        "metadata": {"platform": "x", "user_id": "42", "user_name": "@sam"},
    }


def bot_event(text: str, response: str | None = None) -> dict[str, Any]:
    return {
        "event": "bot",
        "text": text,
        "metadata": {"utter_action": response} if response else {},
    }


def tracker_of(events: list[dict[str, Any]], slots: dict[str, Any] | None = None) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id="conversation-1",
        slots=slots or {},
        latest_message={**latest["parse_data"], "text": latest["text"]},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )
