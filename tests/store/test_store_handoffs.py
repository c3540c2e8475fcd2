"""Handoff requests: what the bot records when a person has to take over."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from store.handoffs import (
    HandoffContext,
    NewHandoff,
    get_handoff,
    open_handoffs_count,
    record_handoff,
)
from store.models import HandoffReason, HandoffRequest, HandoffStatus

CONTEXT: HandoffContext = {
    "intents": ["greet", "track_parcel", "parcel_missing", "human_handoff"],
    "codes": [
        {
            "code": "477179081230",
            "kind": "tracking_number",
            "valid": True,
            "courier_code": "fedex",
            "courier_name": "FedEx",
            "found": "delivered",
        }
    ],
    "transcript": [
        {
            "sender": "customer",
            "text": "It says delivered but it's not here 😟",
            "at": "2025-03-12T09:58:00+00:00",
        },
        {
            "sender": "bot",
            "text": "I'm sorry! Let me get a colleague.",
            "at": "2025-03-12T09:58:02+00:00",
        },
    ],
}


def new_handoff(**changes: object) -> NewHandoff:
    fields: dict[str, object] = {
        "platform": "messenger",
        "conversation_id": "7781234567890",
        "customer_id": "7781234567890",
        "customer_name": "Olivia Brown",
        "reason": HandoffReason.DELIVERY_PROBLEM,
        "summary": "Parcel 477179081230 shows delivered, customer has not received it",
        "context": CONTEXT,
    }
    fields.update(changes)
    return NewHandoff(**fields)  # type: ignore[arg-type]


def test_a_recorded_handoff_reads_back_with_its_context(session: Session) -> None:
    now = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)

    handoff_id = record_handoff(session, new_handoff(), now=now)
    session.commit()
    session.expunge_all()

    stored = get_handoff(session, handoff_id)
    assert stored is not None
    assert stored.id == handoff_id
    assert stored.created_at == now
    assert stored.status is HandoffStatus.OPEN
    assert stored.reason is HandoffReason.DELIVERY_PROBLEM
    assert (stored.platform, stored.conversation_id, stored.customer_name) == (
        "messenger",
        "7781234567890",
        "Olivia Brown",
    )
    assert stored.context == CONTEXT


def test_open_handoffs_are_counted(session: Session) -> None:
    assert open_handoffs_count(session) == 0

    first = record_handoff(session, new_handoff())
    record_handoff(session, new_handoff(reason="customer_request", customer_name=None))
    assert open_handoffs_count(session) == 2

    handoff = session.get(HandoffRequest, first)
    assert handoff is not None
    handoff.status = HandoffStatus.CLAIMED
    assert open_handoffs_count(session) == 1


def test_summary_is_kept_to_one_short_line(session: Session) -> None:
    handoff_id = record_handoff(session, new_handoff(summary="Angry customer:\n" + "x" * 400))

    stored = get_handoff(session, handoff_id)
    assert stored is not None
    assert "\n" not in stored.summary
    assert len(stored.summary) == 300 and stored.summary.endswith("…")


def test_values_json_cannot_hold_are_stored_as_text(session: Session) -> None:
    when = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)

    handoff_id = record_handoff(session, new_handoff(context={"last_seen": when}))

    stored = get_handoff(session, handoff_id)
    assert stored is not None and stored.context == {"last_seen": "2025-03-12 10:00:00+00:00"}


def test_unknown_reason_is_refused(session: Session) -> None:
    with pytest.raises(ValueError):
        record_handoff(session, new_handoff(reason="bored"))


def test_empty_conversation_id_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="conversation_id"):
        record_handoff(session, new_handoff(conversation_id=""))


def test_missing_handoff_is_none(session: Session) -> None:
    assert get_handoff(session, 12345) is None
