"""Opening hours: Mon-Fri 09:00-18:00 and Sat 09:00-13:00 in Rome, by default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from store.business_hours import (
    BusinessHours,
    is_open,
    load_business_hours,
    next_opening,
    parse_business_hours,
)

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def hours(repo_root: Path) -> BusinessHours:
    return load_business_hours(repo_root / "store" / "business_hours.yml")


def rome(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ROME)


def test_the_default_file_is_rome_weekdays_nine_to_six_and_saturday_morning(
    hours: BusinessHours,
) -> None:
    assert hours.timezone == ROME
    assert [[(i.start, i.end) for i in day] for day in hours.weekly] == [[(540, 1080)]] * 5 + [
        [(540, 780)],
        [],
    ]


def test_settings_point_at_the_default_file(hours: BusinessHours) -> None:
    assert load_business_hours() == hours


def test_a_minute_before_opening_it_is_closed_and_opens_in_a_minute(hours: BusinessHours) -> None:
    tuesday_0859 = rome(2025, 3, 11, 8, 59)

    assert not is_open(tuesday_0859, hours)
    assert next_opening(tuesday_0859, hours) == rome(2025, 3, 11, 9, 0)


def test_opening_and_closing_minutes(hours: BusinessHours) -> None:
    assert is_open(rome(2025, 3, 11, 9, 0), hours)
    assert next_opening(rome(2025, 3, 11, 9, 0), hours) is None
    assert is_open(rome(2025, 3, 11, 17, 59, 59), hours)
    assert not is_open(rome(2025, 3, 11, 18, 0), hours)


def test_after_closing_it_opens_the_next_morning(hours: BusinessHours) -> None:
    assert next_opening(rome(2025, 3, 11, 18, 0), hours) == rome(2025, 3, 12, 9, 0)
    assert next_opening(rome(2025, 3, 11, 23, 30), hours) == rome(2025, 3, 12, 9, 0)


def test_friday_evening_opens_saturday_morning(hours: BusinessHours) -> None:
    assert next_opening(rome(2025, 3, 14, 18, 30), hours) == rome(2025, 3, 15, 9, 0)


def test_saturday_afternoon_and_sunday_wait_for_monday(hours: BusinessHours) -> None:
    assert is_open(rome(2025, 3, 15, 12, 59), hours)
    assert not is_open(rome(2025, 3, 15, 13, 0), hours)
    assert next_opening(rome(2025, 3, 15, 13, 0), hours) == rome(2025, 3, 17, 9, 0)
    assert not is_open(rome(2025, 3, 16, 11, 0), hours)
    assert next_opening(rome(2025, 3, 16, 11, 0), hours) == rome(2025, 3, 17, 9, 0)


def test_any_time_zone_is_accepted_for_now(hours: BusinessHours) -> None:
    # 07:30 UTC on a winter Tuesday is 08:30 in Rome.
    now = datetime(2025, 3, 11, 7, 30, tzinfo=UTC)

    opening = next_opening(now, hours)

    assert opening == datetime(2025, 3, 11, 8, 0, tzinfo=UTC)
    assert opening is not None and opening.tzinfo == ROME


def test_spring_forward_weekend_opens_monday_at_nine_summer_time(hours: BusinessHours) -> None:
    # Clocks go from 02:00 CET to 03:00 CEST on Sunday 30 March 2025.
    saturday_afternoon = datetime(2025, 3, 29, 14, 0, tzinfo=UTC)  # 15:00 CET

    opening = next_opening(saturday_afternoon, hours)

    assert opening == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert opening is not None and opening.utcoffset() == rome(2025, 7, 1).utcoffset()


def test_fall_back_weekend_opens_monday_at_nine_winter_time(hours: BusinessHours) -> None:
    # Clocks go from 03:00 CEST back to 02:00 CET on Sunday 26 October 2025.
    friday_evening = datetime(2025, 10, 24, 16, 30, tzinfo=UTC)  # 18:30 CEST

    assert next_opening(friday_evening, hours) == datetime(2025, 10, 25, 7, 0, tzinfo=UTC)
    saturday_closing = datetime(2025, 10, 25, 11, 0, tzinfo=UTC)  # 13:00 CEST
    assert next_opening(saturday_closing, hours) == datetime(2025, 10, 27, 8, 0, tzinfo=UTC)
    assert is_open(datetime(2025, 10, 27, 8, 0, tzinfo=UTC), hours)  # 09:00 CET
    assert not is_open(datetime(2025, 10, 27, 7, 59, tzinfo=UTC), hours)


def test_naive_datetimes_are_refused(hours: BusinessHours) -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(datetime(2025, 3, 11, 10, 0), hours)


def test_closed_dates_split_intervals_and_midnight_end() -> None:
    hours = parse_business_hours(
        {
            "timezone": "America/New_York",
            "weekly": {"monday": ["08:00-12:00", "13:00-17:00"], "tuesday": "20:00-24:00"},
            "closed_dates": ["2025-03-10"],
        }
    )
    new_york = ZoneInfo("America/New_York")

    # Monday 10 March is a day off, so the next opening is Tuesday evening.
    assert next_opening(datetime(2025, 3, 10, 9, 0, tzinfo=new_york), hours) == datetime(
        2025, 3, 11, 20, 0, tzinfo=new_york
    )
    assert is_open(datetime(2025, 3, 11, 23, 59, tzinfo=new_york), hours)
    assert next_opening(datetime(2025, 3, 17, 12, 30, tzinfo=new_york), hours) == datetime(
        2025, 3, 17, 13, 0, tzinfo=new_york
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": "Mars/Olympus", "weekly": {"monday": "09:00-18:00"}}, "timezone"),
        ({"weekly": {"funday": "09:00-18:00"}}, "weekday"),
        ({"weekly": {"monday": "9-18"}}, "not like"),
        ({"weekly": {"monday": "18:00-09:00"}}, "within one day"),
        ({"weekly": {}}, "never open"),
    ],
)
def test_bad_files_are_explained(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_business_hours(data)
