"""What admins set on the desk: business hours with their time zone, and SLA targets.

Kept in the `desk_settings` table so every process (gateway, action server) sees a change at
once. Until an admin saves business hours, the file at `settings.business_hours_path` applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from settings import get_settings
from store.business_hours import (
    WEEKDAYS,
    BusinessHours,
    load_business_hours,
    parse_business_hours,
)
from store.models import DeskSetting, Priority

BUSINESS_HOURS = "business_hours"
SLA_TARGETS = "sla_targets"

# Minutes from a ticket's creation (or the next opening) to a person's first reply.
DEFAULT_SLA_MINUTES: dict[Priority, int] = {
    Priority.URGENT: 15,
    Priority.HIGH: 30,
    Priority.NORMAL: 60,
}
MAX_SLA_MINUTES = 7 * 24 * 60


def business_hours(session: Session) -> BusinessHours:
    """The team's timetable: the admin's, else the configured file's."""
    stored = session.get(DeskSetting, BUSINESS_HOURS)
    if stored is None:
        return load_business_hours(get_settings().business_hours_path)
    return parse_business_hours(stored.value)


def business_hours_document(session: Session) -> dict[str, Any]:
    """The timetable as the admin page edits it: {timezone, weekly: {monday: [...]}, ...}."""
    stored = session.get(DeskSetting, BUSINESS_HOURS)
    if stored is not None:
        return dict(stored.value)
    return _document(business_hours(session))


def save_business_hours(session: Session, document: Mapping[str, Any]) -> BusinessHours:
    """Check and store a timetable; ValueError says what is wrong and nothing is stored."""
    hours = parse_business_hours(dict(document))
    _put(session, BUSINESS_HOURS, _document(hours))
    return hours


def sla_targets(session: Session) -> dict[Priority, int]:
    """Minutes to a first reply, by priority."""
    stored = session.get(DeskSetting, SLA_TARGETS)
    targets = dict(DEFAULT_SLA_MINUTES)
    if stored is not None:
        targets.update({Priority(key): int(value) for key, value in stored.value.items()})
    return targets


def save_sla_targets(session: Session, minutes: Mapping[str, Any]) -> dict[Priority, int]:
    """Store targets (whole minutes, 1 minute to 7 days); ValueError names the bad one."""
    targets: dict[Priority, int] = {}
    for priority in Priority:
        raw = minutes.get(priority.value, DEFAULT_SLA_MINUTES[priority])
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError(f"SLA for {priority.value}: {raw!r} is not a whole number") from None
        if not 1 <= value <= MAX_SLA_MINUTES:
            raise ValueError(f"SLA for {priority.value}: must be 1 to {MAX_SLA_MINUTES} minutes")
        targets[priority] = value
    _put(session, SLA_TARGETS, {key.value: value for key, value in targets.items()})
    return targets


def _put(session: Session, key: str, value: Any) -> None:
    row = session.get(DeskSetting, key)
    now = datetime.now(UTC)
    if row is None:
        session.add(DeskSetting(key=key, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now
    session.flush()


def _document(hours: BusinessHours) -> dict[str, Any]:
    def hhmm(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return {
        "timezone": hours.timezone.key,
        "weekly": {
            day: [f"{hhmm(i.start)}-{hhmm(i.end)}" for i in hours.weekly[index]]
            for index, day in enumerate(WEEKDAYS)
        },
        "closed_dates": sorted(d.isoformat() for d in hours.closed_dates),
    }
