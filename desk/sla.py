"""SLA timers: when a person's first reply to a ticket is due, and whether it came too late.

The clock starts when the ticket is created, or at the next opening when the team is away
(a ticket at 23:00 is not late at 23:30 when nobody works nights). It is not stopped at closing
time once started: a simple rule staff can check by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from store.business_hours import BusinessHours, next_opening
from store.models import Priority


def due_at(
    created_at: datetime, priority: Priority, targets: dict[Priority, int], hours: BusinessHours
) -> datetime:
    """When the first reply is due."""
    start = next_opening(created_at, hours) or created_at
    return start + timedelta(minutes=targets[priority])


def breached(due: datetime | None, first_response_at: datetime | None, now: datetime) -> bool:
    """The first reply came after `due`, or has not come and `due` has passed."""
    if due is None:
        return False
    return (first_response_at or now) > due
