"""The support team's opening hours: is someone in now, and if not, when next?

Read from `settings.business_hours_path` (default `store/business_hours.yml`, which documents
the format). All arithmetic happens on aware datetimes compared in UTC, so daylight-saving
changes in the team's time zone need no special cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from settings import get_settings

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_DAY_MINUTES = 24 * 60
_SEARCH_DAYS = 366  # how far next_opening looks before deciding the team never opens


@dataclass(frozen=True)
class Interval:
    """Open from `start` to `end` (exclusive), in minutes after local midnight."""

    start: int
    end: int  # up to 1440 (24:00)


@dataclass(frozen=True)
class BusinessHours:
    """A weekly timetable in one time zone, plus days off."""

    timezone: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]  # seven entries, Monday first
    closed_dates: frozenset[date] = frozenset()

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The opening intervals of a local calendar day."""
        return () if day in self.closed_dates else self.weekly[day.weekday()]

    def at(self, day: date, minutes: int) -> datetime:
        """The instant a local wall-clock time happens (a time skipped by DST maps past the gap)."""
        wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return wall.replace(tzinfo=self.timezone).astimezone(UTC).astimezone(self.timezone)


def parse_business_hours(data: Any) -> BusinessHours:
    """Build the timetable from the YAML document's data; ValueError says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("business hours: expected a mapping with timezone and weekly")
    try:
        timezone = ZoneInfo(str(data.get("timezone", "Europe/Rome")))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"business hours: unknown timezone {data.get('timezone')!r}") from error
    weekly_data = data.get("weekly") or {}
    if not isinstance(weekly_data, dict) or set(weekly_data) - set(WEEKDAYS):
        raise ValueError(f"business hours: weekly must map weekday names ({', '.join(WEEKDAYS)})")
    weekly = tuple(_intervals(day, weekly_data.get(day) or []) for day in WEEKDAYS)
    if not any(weekly):
        raise ValueError("business hours: the team is never open")
    try:
        closed = frozenset(date.fromisoformat(str(d)) for d in data.get("closed_dates") or [])
    except ValueError as error:
        raise ValueError(f"business hours: closed_dates: {error}") from error
    return BusinessHours(timezone, weekly, closed)


def _intervals(day: str, specs: Any) -> tuple[Interval, ...]:
    if isinstance(specs, str):
        specs = [specs]
    intervals = []
    for spec in specs:
        match = _INTERVAL.fullmatch(str(spec).strip())
        if match is None:
            raise ValueError(f"business hours: {day}: {spec!r} is not like 09:00-18:00")
        start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
        start, end = start_h * 60 + start_m, end_h * 60 + end_m
        if start_m > 59 or end_m > 59 or not 0 <= start < end <= _DAY_MINUTES:
            raise ValueError(f"business hours: {day}: {spec!r} is not a range within one day")
        intervals.append(Interval(start, end))
    return tuple(sorted(intervals, key=lambda interval: interval.start))


@lru_cache(maxsize=4)
def load_business_hours(path: Path | None = None) -> BusinessHours:
    """The timetable in `path` (default: settings.business_hours_path), read once per path."""
    path = path or get_settings().business_hours_path
    with open(path, encoding="utf-8") as handle:
        return parse_business_hours(yaml.safe_load(handle))


def is_open(now: datetime, hours: BusinessHours | None = None) -> bool:
    """Whether the support team is in at the aware instant `now`."""
    hours = hours or load_business_hours()
    today = _local_date(now, hours)
    # In UTC: comparing two datetimes of the same zone would ignore `fold` around DST changes.
    instant = now.astimezone(UTC)
    return any(
        hours.at(today, interval.start) <= instant < hours.at(today, interval.end)
        for interval in hours.intervals_on(today)
    )


def next_opening(now: datetime, hours: BusinessHours | None = None) -> datetime | None:
    """When the team next opens, in its time zone; None when it is open at `now`."""
    hours = hours or load_business_hours()
    if is_open(now, hours):
        return None
    today = _local_date(now, hours)
    instant = now.astimezone(UTC)
    for offset in range(_SEARCH_DAYS):
        day = today + timedelta(days=offset)
        for interval in hours.intervals_on(day):
            opening = hours.at(day, interval.start)
            if opening.astimezone(UTC) > instant:
                return opening
    raise ValueError(f"business hours: no opening in the {_SEARCH_DAYS} days after {now}")


def _local_date(now: datetime, hours: BusinessHours) -> date:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware one, e.g. datetime.now(UTC)")
    return now.astimezone(hours.timezone).date()
