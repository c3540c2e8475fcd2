"""SLA due times: counted from the handoff, or from the next opening when the team is away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk.preferences import DEFAULT_SLA_MINUTES
from desk.sla import breached, due_at
from store.business_hours import parse_business_hours
from store.models import Priority

# Monday to Friday 09:00-18:00 in Rome.
HOURS = parse_business_hours(
    {
        "timezone": "Europe/Rome",
        "weekly": {d: ["09:00-18:00"] for d in ("monday", "tuesday", "wednesday", "thursday")}
        | {"friday": ["09:00-18:00"]},
    }
)


def test_during_business_hours_the_clock_starts_at_the_handoff() -> None:
    tuesday_10 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Rome
    assert due_at(tuesday_10, Priority.HIGH, DEFAULT_SLA_MINUTES, HOURS) == tuesday_10 + timedelta(
        minutes=30
    )


def test_outside_business_hours_the_clock_starts_at_the_next_opening() -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    monday_9_rome = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert due_at(saturday, Priority.URGENT, DEFAULT_SLA_MINUTES, HOURS) == (
        monday_9_rome + timedelta(minutes=15)
    )


def test_breached_when_the_first_reply_is_late_or_still_missing() -> None:
    due = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert not breached(due, due - timedelta(seconds=1), now=due + timedelta(hours=1))
    assert breached(due, due + timedelta(seconds=1), now=due + timedelta(hours=1))
    assert not breached(due, None, now=due)
    assert breached(due, None, now=due + timedelta(seconds=1))
    assert not breached(None, None, now=due)
