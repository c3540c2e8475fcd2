"""Interpret the courier definitions: which formats a number has the shape of, and is it valid.

A number is checked the way the reference gem checks it: spaces removed and upper-cased, then it
must match a format's whole regex; then its check digit (if the format has one) must be right,
and any lookup the format requires (S10: a known country) must find an entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from codes.checksums import ALGORITHMS
from codes.definitions import TrackingFormat, shipped_formats

Problem = Literal["check_digit", "unrecognised"]
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TrackingMatch:
    """A number that has the shape of `format`, and whether it passes that format's checks."""

    format: TrackingFormat
    number: str  # normalised: upper case, no whitespace
    problem: Problem | None  # "check_digit", or "unrecognised" when a required lookup fails
    country: str | None  # ISO 3166 alpha-2, when the format carries one (S10)

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def tracking_url(self) -> str | None:
        url = self.format.tracking_url
        return url.replace("%s", self.number) if url else None


def normalize(text: str) -> str:
    """Upper case without whitespace: how customers' spellings of one number compare equal."""
    return _WHITESPACE.sub("", text).upper()


def match_format(fmt: TrackingFormat, number: str) -> TrackingMatch | None:
    """Check a normalised number against one format; None when it does not have its shape."""
    found = fmt.regex.fullmatch(number)
    if found is None:
        return None
    groups = {name: value for name, value in found.groupdict().items() if value is not None}
    problem: Problem | None = None
    if fmt.checksum is not None and not _checksum_ok(fmt, fmt.checksum, groups):
        problem = "check_digit"
    elif not all(_lookup_entry(fmt, name, groups) for name in fmt.required_lookups):
        problem = "unrecognised"
    country = groups.get("CountryCode")
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        country = None  # e.g. DPD's numeric country codes
    return TrackingMatch(fmt, number, problem, country)


def _checksum_ok(fmt: TrackingFormat, checksum: Mapping[str, Any], groups: dict[str, str]) -> bool:
    serial, check = groups.get("SerialNumber", ""), groups.get("CheckDigit", "")
    prepend = fmt.prepend_if
    if prepend and re.search(prepend["matches_regex"], serial):
        serial = prepend["content"] + serial
    return ALGORITHMS[checksum["name"]](serial, check, checksum)


def _lookup_entry(fmt: TrackingFormat, name: str, groups: dict[str, str]) -> bool:
    for lookup in fmt.lookups:
        if lookup.name == name and lookup.group in groups:
            return lookup.find(groups[lookup.group]) is not None
    return False


def identify(text: str, formats: tuple[TrackingFormat, ...] | None = None) -> list[TrackingMatch]:
    """Every format `text` has the shape of, best reading first.

    Several formats can accept one number (a 12-digit number can pass both FedEx's and
    Purolator's checks), so the order is deterministic: valid before invalid; then formats with a
    check digit, since a passed check is evidence and a bare shape is not; then the format whose
    regex pins more characters (`TrackingFormat.pinned_characters`); then definition order
    (courier file name, then position in the file).
    """
    number = normalize(text)
    ranked = [
        (not m.valid, fmt.checksum is None, -fmt.pinned_characters, position, m)
        for position, fmt in enumerate(formats or shipped_formats())
        if (m := match_format(fmt, number))
    ]
    return [entry[-1] for entry in sorted(ranked, key=lambda entry: entry[:-1])]
