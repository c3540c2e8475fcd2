"""Handoff requests: the bot records a conversation for a person to take over.

The record keeps what the bot knew (intents, codes and what the lookup found, the last
messages) in a JSON `context`, so the person does not have to ask the customer again.
Functions flush but do not commit: the caller owns the transaction, e.g.
`with session_factory().begin() as session: record_handoff(session, request)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import HandoffReason, HandoffRequest, HandoffStatus, Priority

SUMMARY_MAX = 300
NAME_MAX = 200
ID_MAX = 200
PLATFORM_MAX = 32


class CodeSeen(TypedDict, total=False):
    """A code the customer gave, as the bot understood it."""

    code: str  # canonical form
    kind: str  # "tracking_number", "order_code" or "unknown"
    valid: bool
    courier_code: str | None
    courier_name: str | None
    found: str  # what the lookup said, e.g. "in_transit", "delivered", "not found"


class TranscriptLine(TypedDict):
    """One message of the conversation."""

    sender: Literal["customer", "bot"]
    text: str
    at: str  # ISO 8601 timestamp


class HandoffContext(TypedDict, total=False):
    """The suggested shape of `NewHandoff.context` (any JSON object is accepted)."""

    intents: list[str]  # intents recognised so far, oldest first
    codes: list[CodeSeen]
    transcript: list[TranscriptLine]  # the last messages, oldest first


@dataclass(frozen=True)
class NewHandoff:
    """What the bot knows when it hands a conversation over."""

    platform: str  # "messenger", "x", "rest", ...
    conversation_id: str  # Rasa sender id
    customer_id: str
    reason: HandoffReason | str  # a HandoffReason value
    summary: str  # one line for the desk's list; longer text is cut
    customer_name: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)  # see HandoffContext
    priority: Priority | str = Priority.NORMAL
    priority_signals: tuple[str, ...] = ()  # why the priority (desk.priority)
    sla_due_at: datetime | None = None  # a person's first reply is due then (desk.sla)


@dataclass(frozen=True)
class HandoffInfo:
    """A stored handoff request."""

    id: int
    created_at: datetime  # timezone-aware (UTC)
    status: HandoffStatus
    platform: str
    conversation_id: str
    customer_id: str
    customer_name: str | None
    reason: HandoffReason
    summary: str
    context: dict[str, Any]


def record_handoff(session: Session, request: NewHandoff, *, now: datetime | None = None) -> int:
    """Store an open handoff request and return its id.

    Raises ValueError for an unknown reason or an id too long to store; a long summary or
    name is shortened instead, and values JSON cannot hold (datetimes, ...) become strings.
    """
    reason = HandoffReason(request.reason)
    for name, value, limit in (
        ("platform", request.platform, PLATFORM_MAX),
        ("conversation_id", request.conversation_id, ID_MAX),
        ("customer_id", request.customer_id, ID_MAX),
    ):
        if not value or len(value) > limit:
            raise ValueError(f"{name} must be 1 to {limit} characters, got {value!r}")
    now = now or datetime.now(UTC)
    handoff = HandoffRequest(
        created_at=now,
        updated_at=now,
        last_customer_message_at=now,
        priority=Priority(request.priority),
        priority_signals=list(request.priority_signals),
        sla_due_at=request.sla_due_at,
        status=HandoffStatus.OPEN,
        platform=request.platform,
        conversation_id=request.conversation_id,
        customer_id=request.customer_id,
        customer_name=_shorten(request.customer_name, NAME_MAX) if request.customer_name else None,
        reason=reason,
        summary=_shorten(request.summary, SUMMARY_MAX),
        context=_json_object(request.context),
    )
    session.add(handoff)
    session.flush()
    return handoff.id


def open_handoffs_count(session: Session) -> int:
    """How many handoff requests nobody has claimed yet."""
    query = select(func.count()).where(HandoffRequest.status == HandoffStatus.OPEN)
    return session.scalar(query) or 0


def recent_handoffs_count(
    session: Session, platform: str, customer_id: str, since: datetime
) -> int:
    """How many handoffs this customer had since `since` (repeated contact ranks higher)."""
    query = select(func.count()).where(
        HandoffRequest.platform == platform,
        HandoffRequest.customer_id == customer_id,
        HandoffRequest.created_at >= since,
    )
    return session.scalar(query) or 0


def get_handoff(session: Session, handoff_id: int) -> HandoffInfo | None:
    """The handoff request with this id, or None."""
    handoff = session.get(HandoffRequest, handoff_id)
    if handoff is None:
        return None
    return HandoffInfo(
        id=handoff.id,
        created_at=handoff.created_at,
        status=handoff.status,
        platform=handoff.platform,
        conversation_id=handoff.conversation_id,
        customer_id=handoff.customer_id,
        customer_name=handoff.customer_name,
        reason=handoff.reason,
        summary=handoff.summary,
        context=handoff.context,
    )


def _shorten(text: str, limit: int) -> str:
    """One line (newlines and runs of spaces collapsed), cut to `limit` with an ellipsis."""
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _json_object(context: Mapping[str, Any]) -> dict[str, Any]:
    # A round trip through JSON now, so a bad value fails here and not at commit time, and the
    # stored document is exactly what a later read returns.
    result = json.loads(json.dumps(dict(context), default=str, ensure_ascii=False))
    assert isinstance(result, dict)
    return result
