"""Admin settings: business hours (file default, then the database) and SLA targets."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.preferences import (
    DEFAULT_SLA_MINUTES,
    business_hours,
    business_hours_document,
    save_business_hours,
    save_sla_targets,
    sla_targets,
)
from store.models import Priority


def test_business_hours_come_from_the_file_until_an_admin_saves_some(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        default = business_hours_document(session)
    assert default["timezone"] and any(default["weekly"].values())

    with sessions.begin() as session:
        save_business_hours(
            session,
            {"timezone": "America/New_York", "weekly": {"saturday": ["10:00-14:00"]}},
        )
    with sessions() as session:
        hours = business_hours(session)
        document = business_hours_document(session)
    assert hours.timezone.key == "America/New_York"
    assert document["weekly"]["saturday"] == ["10:00-14:00"]
    assert document["weekly"]["monday"] == []


def test_bad_business_hours_are_refused_and_nothing_changes(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        before = business_hours_document(session)
    with pytest.raises(ValueError, match="is not like 09:00-18:00"), sessions.begin() as session:
        save_business_hours(session, {"timezone": "UTC", "weekly": {"monday": ["9 to 5"]}})
    with pytest.raises(ValueError, match="unknown timezone"), sessions.begin() as session:
        save_business_hours(session, {"timezone": "Mars/Base", "weekly": {}})
    with sessions() as session:
        assert business_hours_document(session) == before


def test_sla_targets_default_then_saved_and_validated(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert sla_targets(session) == DEFAULT_SLA_MINUTES
    with sessions.begin() as session:
        save_sla_targets(session, {"urgent": "10", "high": 20, "normal": "240"})
    with sessions() as session:
        assert sla_targets(session) == {
            Priority.URGENT: 10,
            Priority.HIGH: 20,
            Priority.NORMAL: 240,
        }
    with (
        pytest.raises(ValueError, match="SLA for high: 'soon' is not a whole number"),
        sessions.begin() as session,
    ):
        save_sla_targets(session, {"high": "soon"})
    with (
        pytest.raises(ValueError, match="SLA for urgent: must be 1 to"),
        sessions.begin() as session,
    ):
        save_sla_targets(session, {"urgent": 0})
