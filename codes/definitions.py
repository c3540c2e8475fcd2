"""Load the courier definitions shipped in `codes/couriers/*.json` (jkeen/tracking_number_data).

The JSON format is described in that project's README; this module only turns it into typed,
compiled objects. Anything in a definition we would not know how to honour fails the load, so an
update of the data cannot silently weaken validation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from codes.checksums import ALGORITHMS

COURIERS_DIR = Path(__file__).resolve().parent / "couriers"
# Formats this project defines itself (same JSON format), loaded after the copied ones.
OUR_COURIERS_DIR = Path(__file__).resolve().parent / "couriers_ours"

_KNOWN_VALIDATION_KEYS = {"checksum", "serial_number_format", "additional"}
# PCRE/Ruby spell a named group `(?<Name>...)`; Python spells it `(?P<Name>...)`.
_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")
# What `pinned_characters` skips: escapes, group openers and quantifier counts.
_NOT_PINNING = re.compile(r"\\.|\(\?(?:P<\w+>|<?[=!]|:)|\{\d+(?:,\d*)?\}")
_CLASS = re.compile(r"\[[^\]]*\]")
_WIDE_CLASSES = {"[0-9]", "[A-Z]", "[0-9A-Z]", "[A-Z0-9]"}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it holds dicts
class Lookup:
    """An `additional` table: what a named group's value means, e.g. S10 country -> post."""

    name: str
    group: str
    entries: tuple[Mapping[str, Any], ...]

    def find(self, value: str) -> Mapping[str, Any] | None:
        """The first entry matching `value` (exactly, or by regex search as the gem does)."""
        for entry in self.entries:
            if "matches" in entry and entry["matches"] == value:
                return entry
            if "matches_regex" in entry and re.search(entry["matches_regex"], value):
                return entry
        return None


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it holds dicts
class TrackingFormat:
    """One tracking-number format of one courier."""

    id: str
    name: str
    courier_code: str
    courier_name: str
    pattern: str  # Python syntax, with the definition's named groups and optional spaces
    regex: re.Pattern[str]
    pinned_characters: int  # how specific the shape is: see `pinned_characters()`
    checksum: Mapping[str, Any] | None
    prepend_if: Mapping[str, str] | None  # validation.serial_number_format.prepend_if
    required_lookups: tuple[str, ...]  # validation.additional.exists
    lookups: tuple[Lookup, ...]
    tracking_url: str | None
    valid_examples: tuple[str, ...]
    invalid_examples: tuple[str, ...]


def to_python_regex(pattern: str | list[str]) -> str:
    """The definition's regex (a string or a list of pieces) in Python `re` syntax."""
    joined = "".join(pattern) if isinstance(pattern, list) else pattern
    return _NAMED_GROUP.sub("(?P<", joined)


def pinned_characters(pattern: str) -> int:
    """How many characters the regex pins down: literals (UPS's `1Z`) and narrow classes
    (Purolator's `[0-5]`). A rough measure of how specific a shape is, used only to choose
    between formats that accept the same number; optional and alternative parts count too.
    """
    skeleton = _NOT_PINNING.sub("", pattern)
    narrow = sum(c not in _WIDE_CLASSES for c in _CLASS.findall(skeleton))
    return narrow + sum(ch.isalnum() for ch in _CLASS.sub("", skeleton))


def _slug(name: str) -> str:
    # A few definitions have no `id`; derive a stable one from the name.
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _parse_format(courier: Mapping[str, Any], spec: Mapping[str, Any]) -> TrackingFormat:
    validation: Mapping[str, Any] = spec.get("validation") or {}
    unknown = set(validation) - _KNOWN_VALIDATION_KEYS
    if unknown:
        raise ValueError(f"{spec['name']}: unsupported validation keys {sorted(unknown)}")
    checksum = validation.get("checksum")
    if checksum is not None and checksum["name"] not in ALGORITHMS:
        raise ValueError(f"{spec['name']}: unsupported checksum {checksum['name']!r}")
    serial_format: Mapping[str, Any] = validation.get("serial_number_format") or {}
    if set(serial_format) - {"prepend_if"}:
        raise ValueError(f"{spec['name']}: unsupported serial_number_format {serial_format}")
    pattern = to_python_regex(spec["regex"])
    tests = spec.get("test_numbers") or {}
    return TrackingFormat(
        id=spec.get("id") or _slug(spec["name"]),
        name=spec["name"],
        courier_code=courier["courier_code"],
        courier_name=courier["name"],
        pattern=pattern,
        regex=re.compile(pattern),
        pinned_characters=pinned_characters(pattern),
        checksum=checksum,
        prepend_if=serial_format.get("prepend_if"),
        required_lookups=tuple((validation.get("additional") or {}).get("exists", ())),
        lookups=tuple(
            Lookup(a["name"], a["regex_group_name"], tuple(a["lookup"]))
            for a in spec.get("additional") or ()
        ),
        tracking_url=spec.get("tracking_url"),
        valid_examples=tuple(tests.get("valid", ())),
        invalid_examples=tuple(tests.get("invalid", ())),
    )


def load_formats(directory: Path = COURIERS_DIR) -> tuple[TrackingFormat, ...]:
    """Every format of every courier file in `directory`, in file then definition order."""
    formats: list[TrackingFormat] = []
    for path in sorted(directory.glob("*.json")):
        courier = json.loads(path.read_text(encoding="utf-8"))
        formats.extend(_parse_format(courier, spec) for spec in courier["tracking_numbers"])
    return tuple(formats)


@cache
def shipped_formats() -> tuple[TrackingFormat, ...]:
    """The formats shipped with the product, loaded once."""
    return load_formats() + load_formats(OUR_COURIERS_DIR)
