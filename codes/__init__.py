"""Recognise and validate tracking numbers and order codes that customers write.

`check_code` judges one code; `find_codes` finds code-shaped spans in a message. Tracking
formats come from the courier definitions in codes/couriers/, order formats from
codes/order_formats.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from codes.orders import match_order
from codes.patterns import FLAGS, order_pattern, tracking_pattern
from codes.tracking import TrackingMatch, identify

__all__ = ["CodeCheck", "check_code", "find_codes"]

# Punctuation customers put around a code ("(1Z...)", "#12345."); `#` is part of shop numbers.
_SURROUNDING = " \t\r\n.,;:!?\"'()[]{}<>"


@dataclass(frozen=True)
class CodeCheck:
    """What one code the customer wrote turned out to be."""

    raw: str  # what the customer wrote
    kind: Literal["tracking_number", "order_code", "unknown"]
    normalized: str  # canonical form for store lookups ("" for unknown)
    valid: bool  # True when the format and check digit (if any) are right
    problem: Literal["check_digit", "unrecognised"] | None
    courier_code: str | None  # e.g. "ups", "usps", "fedex", "dhl", "amazon", "s10"
    courier_name: str | None  # the courier's name in the definitions, e.g. "UPS"
    format_name: str | None  # e.g. "UPS", "USPS 20", "shop"
    tracking_url: str | None  # the courier's tracking page for a valid number, if it has one
    country: str | None  # ISO 3166 alpha-2 for formats that carry one (S10: the issuing post)


def _tracking_check(raw: str, match: TrackingMatch) -> CodeCheck:
    fmt = match.format
    return CodeCheck(
        raw=raw,
        kind="tracking_number",
        normalized=match.number,
        valid=match.valid,
        problem=match.problem,
        courier_code=fmt.courier_code,
        courier_name=fmt.courier_name,
        format_name=fmt.name,
        tracking_url=match.tracking_url if match.valid else None,
        country=match.country,
    )


def check_code(text: str, *, answering_question: bool = False) -> CodeCheck:
    """Judge `text` as one code (surrounding spaces and punctuation are ignored).

    Precedence: a valid tracking number; else a valid order code (with `answering_question`, the
    looser answer patterns too, e.g. a bare `12345`); else a tracking number whose check digit is
    wrong; else unknown. Among tracking formats, `codes.tracking.identify` decides.
    """
    code = text.strip(_SURROUNDING)
    tracking = identify(code)
    if tracking and tracking[0].valid:
        return _tracking_check(text, tracking[0])
    order = match_order(code, answering_question=answering_question)
    if order is not None:
        return CodeCheck(
            raw=text,
            kind="order_code",
            normalized=order.code,
            valid=True,
            problem=None,
            courier_code=None,
            courier_name=None,
            format_name=order.format.name,
            tracking_url=None,
            country=None,
        )
    for match in tracking:
        if match.problem == "check_digit":
            return _tracking_check(text, match)
    return CodeCheck(
        raw=text,
        kind="unknown",
        normalized="",
        valid=False,
        problem="unrecognised",
        courier_code=None,
        courier_name=None,
        format_name=None,
        tracking_url=None,
        country=None,
    )


@cache
def _search_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, FLAGS) for p in (tracking_pattern(), order_pattern()))


def find_codes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, exact substring) of every tracking- or order-code-shaped span in `text`.

    Shape only: pass each substring to `check_code` to validate it. Spans do not overlap; where
    a tracking and an order pattern overlap, the one starting first (then the longer) is kept.
    """
    found = sorted(
        (m.start(), -m.end()) for pattern in _search_patterns() for m in pattern.finditer(text)
    )
    spans: list[tuple[int, int, str]] = []
    for start, negative_end in found:
        if not spans or start >= spans[-1][1]:
            spans.append((start, -negative_end, text[start:-negative_end]))
    return spans
