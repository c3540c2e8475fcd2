"""What the tracker already knows about a conversation: derived from its events, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker

# Intents that start the parcel form; the latest of them says why the code is wanted.
PARCEL_PURPOSES = ("track_parcel", "order_status", "delivery_problem")
UNCLEAR_INTENTS = ("nlu_fallback",)


@dataclass(frozen=True)
class Customer:
    """Who is writing, as far as the channel told the engine (metadata of the user messages)."""

    platform: str
    customer_id: str
    name: str | None


def customer(tracker: Tracker) -> Customer:
    """The customer behind this conversation, from the newest user message carrying metadata."""
    metadata: dict[str, Any] = {}
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("metadata"):
            metadata = event["metadata"]
            break
    return Customer(
        platform=str(metadata.get("platform") or "rest"),
        customer_id=str(metadata.get("user_id") or tracker.sender_id),
        name=metadata.get("user_name") or metadata.get("name"),
    )


def user_events(tracker: Tracker) -> list[dict[str, Any]]:
    """The customer's messages in this session, oldest first."""
    return [e for e in tracker.events if e.get("event") == "user"]


def intent_of(event: dict[str, Any]) -> str | None:
    """The intent the engine gave a user event."""
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def intents_so_far(tracker: Tracker) -> list[str]:
    """Every intent of the session in order (the handoff context shows the customer's path)."""
    return [name for name in (intent_of(e) for e in user_events(tracker)) if name]


def previous_user_intent(tracker: Tracker) -> str | None:
    """The intent of the customer message before the latest one."""
    events = user_events(tracker)
    return intent_of(events[-2]) if len(events) >= 2 else None


def parcel_purpose(tracker: Tracker) -> str:
    """Why a code is being collected: the latest parcel intent (track_parcel if none)."""
    for name in reversed(intents_so_far(tracker)):
        if name in PARCEL_PURPOSES:
            return name
    return "track_parcel"


def last_bot_response(tracker: Tracker) -> str | None:
    """The response name (utter_…) of the bot's latest message, if it came from the domain."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


def latest_intent(tracker: Tracker) -> str | None:
    """The intent the engine gave the customer's latest message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_confidence(tracker: Tracker) -> float:
    """The engine's (calibrated) confidence in the latest message's intent; 1.0 for a button."""
    return float((tracker.latest_message.get("intent") or {}).get("confidence", 1.0))


def latest_text(tracker: Tracker) -> str:
    """The customer's latest message as written."""
    return str(tracker.latest_message.get("text") or "")


def transcript(tracker: Tracker, limit: int = 30) -> list[dict[str, Any]]:
    """The last messages of both sides, for the person taking over."""
    lines = []
    for event in tracker.events:
        if event.get("event") not in ("user", "bot") or not event.get("text"):
            continue
        lines.append(
            {
                "sender": "customer" if event["event"] == "user" else "bot",
                "text": event["text"],
                "at": event.get("timestamp"),
                **({"intent": intent_of(event)} if event["event"] == "user" else {}),
            }
        )
    return lines[-limit:]
