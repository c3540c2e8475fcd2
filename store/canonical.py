"""The one spelling under which a tracking number or order code is stored and looked up.

Uses `codes.check_code` (the courier definitions) when the `codes` package provides it, so the
store agrees with what the bot recognises in messages; otherwise falls back to upper case
without whitespace, which is also how `codes` spells a normalised tracking number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

_WHITESPACE = re.compile(r"\s+")


class CodeCheck(Protocol):
    """What `codes.check_code` returns (the fields the store uses)."""

    @property
    def kind(self) -> str: ...  # "tracking_number", "order_code" or "unknown"
    @property
    def valid(self) -> bool: ...
    @property
    def normalized(self) -> str: ...
    @property
    def courier_code(self) -> str | None: ...
    @property
    def courier_name(self) -> str | None: ...


@dataclass(frozen=True)
class TrackingNumber:
    """A tracking number in canonical form, with the courier its format belongs to (if known)."""

    number: str
    courier_code: str | None = None
    courier_name: str | None = None
    problem: str | None = None  # why it cannot be a real tracking number; None when fine


@cache
def _checker() -> Callable[[str], CodeCheck] | None:
    try:
        from codes import check_code
    except ImportError:  # the codes package is optional for the store
        return None
    checker: Callable[[str], CodeCheck] = check_code
    return checker


def basic_form(text: str) -> str:
    """Upper case, no whitespace: the fallback canonical form."""
    return _WHITESPACE.sub("", text).upper()


def tracking_number(text: str) -> TrackingNumber:
    """Canonical form of a tracking number, and whether its check digit (if any) is right.

    A number no courier definition knows is accepted as is (the brand may use a courier the
    definitions lack); one that has a known format but fails its check digit is a typo.
    """
    check = _checker()
    fallback = basic_form(text)
    if check is None:
        return TrackingNumber(fallback)
    result = check(text)
    if result.kind != "tracking_number":
        return TrackingNumber(fallback)
    if not result.valid:
        courier = result.courier_name or "its courier"
        return TrackingNumber(
            result.normalized or fallback,
            result.courier_code,
            result.courier_name,
            problem=f"{fallback!r} looks like a {courier} tracking number but its check digit "
            "is wrong",
        )
    return TrackingNumber(result.normalized, result.courier_code, result.courier_name)


def order_code(text: str) -> str:
    """Canonical form of an order code (the brand's formats, else upper case without spaces)."""
    check = _checker()
    if check is not None:
        result = check(text)
        if result.kind == "order_code" and result.normalized:
            return result.normalized
    return basic_form(text)
