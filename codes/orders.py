"""The brand's order-code formats, configured in one YAML file (see codes/order_formats.yml)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from settings import get_settings

_WHITESPACE = re.compile(r"\s+")


class _FormatSpec(BaseModel):
    """One entry of the YAML file, as written there."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key should fail, not be ignored

    name: str
    description: str = ""
    pattern: str
    canonical: str
    answer_pattern: str | None = None


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formats: list[_FormatSpec]


@dataclass(frozen=True)
class OrderFormat:
    """A compiled order-code format."""

    name: str
    pattern: re.Pattern[str]
    canonical: str
    answer_pattern: re.Pattern[str] | None

    def canonical_form(self, found: re.Match[str]) -> str:
        """The canonical code for a match of `pattern` or `answer_pattern`."""
        parts = {k: _WHITESPACE.sub("", v).upper() for k, v in found.groupdict().items() if v}
        return self.canonical.format(**parts)


@dataclass(frozen=True)
class OrderMatch:
    format: OrderFormat
    code: str  # canonical form


def _compile(spec: _FormatSpec, pattern: str) -> re.Pattern[str]:
    compiled = re.compile(pattern, re.IGNORECASE)
    fields = {f for _, f, _, _ in string.Formatter().parse(spec.canonical) if f is not None}
    missing = fields - set(compiled.groupindex)
    if missing:
        raise ValueError(f"order format {spec.name!r}: {pattern!r} has no group {sorted(missing)}")
    return compiled


def load_order_formats(path: Path | None = None) -> tuple[OrderFormat, ...]:
    """The formats in `path` (default: the settings' `order_formats_path`), in file order."""
    source = path or get_settings().order_formats_path
    spec = _FileSpec.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
    return tuple(
        OrderFormat(
            name=f.name,
            pattern=_compile(f, f.pattern),
            canonical=f.canonical,
            answer_pattern=_compile(f, f.answer_pattern) if f.answer_pattern else None,
        )
        for f in spec.formats
    )


@cache
def configured_order_formats() -> tuple[OrderFormat, ...]:
    """The formats from the configured file, loaded once."""
    return load_order_formats()


def match_order(
    code: str,
    formats: tuple[OrderFormat, ...] | None = None,
    *,
    answering_question: bool = False,
) -> OrderMatch | None:
    """The first format that `code` (a whole code, trimmed) matches, with its canonical form.

    Answer patterns are tried only after every format's main pattern has failed.
    """
    candidates = formats if formats is not None else configured_order_formats()
    for fmt in candidates:
        if found := fmt.pattern.fullmatch(code):
            return OrderMatch(fmt, fmt.canonical_form(found))
    if answering_question:
        for fmt in candidates:
            if fmt.answer_pattern and (found := fmt.answer_pattern.fullmatch(code)):
                return OrderMatch(fmt, fmt.canonical_form(found))
    return None
