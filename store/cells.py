"""Parsing one CSV cell into a typed value, with an error message a person can act on.

Timestamps are ISO 8601 with an offset (`2025-03-04T14:30:00+01:00`, `...Z`), or relative to
the import's "now": `now`, `now-2d`, `now-1d-3h-30m` (each term signed, units d/h/m).
Dates are ISO (`2025-03-04`) or relative to today (UTC): `today`, `today+1d`, `today-2d`.
The demo data set uses the relative forms so that it always looks recent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

_TERM = re.compile(r"([+-])(\d+)([dhm])")
_RELATIVE = re.compile(r"(now|today)((?:[+-]\d+[dhm])*)")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_LARGEST_AMOUNT = Decimal("9999999999.99")  # what Numeric(12, 2) holds

E = TypeVar("E", bound=StrEnum)


class CellError(ValueError):
    """A cell's value is unusable; the message says what is wrong (not where)."""


def required(value: str, max_length: int) -> str:
    """The trimmed text; it must not be empty or longer than `max_length`."""
    value = value.strip()
    if not value:
        raise CellError("is empty")
    return _at_most(value, max_length)


def optional(value: str, max_length: int) -> str | None:
    """The trimmed text, or None when empty."""
    value = value.strip()
    return _at_most(value, max_length) if value else None


def _at_most(value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise CellError(f"is {len(value)} characters long (at most {max_length})")
    return value


def email(value: str) -> str | None:
    """An email address, or None when empty."""
    value = value.strip()
    if not value:
        return None
    if not _EMAIL.fullmatch(value):
        raise CellError(f"{value!r} is not an email address")
    return _at_most(value, 320)


def status(value: str, enum: type[E]) -> E:
    """A status, case-insensitive; spaces and dashes are read as underscores."""
    key = re.sub(r"[\s-]+", "_", value.strip().lower())
    try:
        return enum(key)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise CellError(f"unknown status {value.strip()!r} (expected one of: {allowed})") from None


def amount(value: str) -> Decimal:
    """A non-negative money amount with at most two decimals (`89.90`)."""
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        raise CellError(f"{value.strip()!r} is not an amount (write it like 89.90)") from None
    if not result.is_finite() or not 0 <= result <= _LARGEST_AMOUNT:
        raise CellError(f"{value.strip()!r} is not an amount between 0 and {_LARGEST_AMOUNT}")
    if result != result.quantize(Decimal("0.01")):
        raise CellError(f"{value.strip()!r} has more than two decimals")
    return result


def currency(value: str) -> str:
    """An ISO 4217 currency code such as EUR or USD."""
    code = value.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise CellError(f"{value.strip()!r} is not a three-letter currency code (e.g. EUR)")
    return code


def timestamp(value: str, now: datetime) -> datetime:
    """An aware UTC datetime from ISO 8601 with offset, or `now±...` relative to `now`."""
    text = value.strip()
    if not text:
        raise CellError("is empty")
    if text.startswith("now"):
        return (now + _offset(text, "now")).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(
            f"{text!r} is not a date and time (write 2025-03-04T14:30:00+01:00 or now-2d-3h)"
        ) from None
    if parsed.tzinfo is None:
        raise CellError(f"{text!r} has no time zone (add +01:00, Z, ...)")
    return parsed.astimezone(UTC)


def optional_timestamp(value: str, now: datetime) -> datetime | None:
    """Like `timestamp`, or None when empty."""
    return timestamp(value, now) if value.strip() else None


def optional_date(value: str, now: datetime) -> date | None:
    """A date from ISO (`2025-03-04`) or `today±Nd` (today being now's UTC date), or None."""
    text = value.strip()
    if not text:
        return None
    if text.startswith("today"):
        offset = _offset(text, "today")
        if offset % timedelta(days=1):
            raise CellError(f"{text!r}: a date can only move by whole days (d)")
        return now.astimezone(UTC).date() + offset
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a date (write 2025-03-04 or today+1d)") from None


def _offset(text: str, anchor: str) -> timedelta:
    match = _RELATIVE.fullmatch(text)
    if match is None or match.group(1) != anchor:
        raise CellError(f"{text!r} is not a relative time (write {anchor}, {anchor}-2d, ...)")
    offset = timedelta()
    for sign, number, unit in _TERM.findall(match.group(2)):
        step = timedelta(**{_UNITS[unit]: int(number)})
        offset += step if sign == "+" else -step
    return offset
