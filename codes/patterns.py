"""Regexes that find tracking numbers and order codes in free text.

One pattern per kind, an alternation over all formats, in plain Python `re` syntax so the Rasa
engine can use it too (codes/nlu_regex.py writes it to nlu_data/codes_regex.yml). They are meant
to be used with re.IGNORECASE. A match is exactly the code as written: spaces inside it as the
format allows, none around it, and never part of a longer run of letters and digits.
"""

from __future__ import annotations

import re

from codes.definitions import TrackingFormat, shipped_formats
from codes.orders import OrderFormat, configured_order_formats
from codes.tracking import normalize

FLAGS = re.IGNORECASE

# Whitespace within a line: a number may be written in groups, but a line break ends it (one
# number per line is a common way to list several).
_SPACE = r"[^\S\r\n]"
# Not inside a run of letters and digits: at the start, the previous character is not
# alphanumeric or the match itself starts with a non-alphanumeric (`#12345` after "order").
_START = r"(?:(?<![A-Za-z0-9])|(?![A-Za-z0-9]))(?!\s)"
_END = r"(?<!\s)(?:(?![A-Za-z0-9])|(?<![A-Za-z0-9]))"
# Python's `re` takes the first alternative that matches, not the longest. A tracking number
# followed by a space and a digit is most likely a longer number written in groups, so no match
# may stop there: "4207 8745 9400 1112 0620 6406 2607 87" must not end at a 28-digit DPD reading.
_NOT_CONTINUED = rf"(?!{_SPACE}+[0-9])"
# Named or plain capturing groups: the engine only needs the whole match.
_CAPTURING_GROUP = re.compile(r"(?<!\\)\((?:\?P<\w+>|(?!\?))")
# A character class that admits whitespace, e.g. DHL eCommerce's `[0-9A-Z\s]{10,39}`.
_CLASS_WITH_SPACE = re.compile(r"\[([^\]^]*)\\s([^\]]*)\]")


def _for_free_text(pattern: str) -> str:
    pattern = _CAPTURING_GROUP.sub("(?:", pattern)
    # In a class, a space is allowed only before a chunk holding a digit: otherwise the number
    # runs on into the customer's next words ("GM2951173225174494 and the").
    pattern = _CLASS_WITH_SPACE.sub(
        lambda m: rf"(?:[{m[1]}{m[2]}]|{_SPACE}(?=[0-9A-Za-z]*[0-9]))", pattern
    )
    pattern = pattern.removeprefix(r"\s*").removesuffix(r"\s*")
    return pattern.replace(r"\s", _SPACE)


def _alternation(patterns: list[str], end: str = _END) -> str:
    return _START + "(?:" + "|".join(patterns) + ")" + end


def _shortest_example(fmt: TrackingFormat) -> int:
    return min((len(normalize(v)) for v in fmt.valid_examples), default=0)


def tracking_pattern(formats: tuple[TrackingFormat, ...] | None = None) -> str:
    r"""One pattern for every tracking-number format.

    Formats whose numbers are longer go first (by their shortest valid test number), so that
    where a number is followed by letters the longer reading is still tried first. Formats built
    on a loose class that admits spaces (DHL eCommerce's `[0-9A-Z\s]{10,39}`) go last: they
    would otherwise take the head of a more specific number ("LX 687 496 511" of an S10 "LX 687
    496 511 IT").
    """
    ordered = sorted(
        formats or shipped_formats(),
        key=lambda f: (not _CLASS_WITH_SPACE.search(f.pattern), _shortest_example(f)),
        reverse=True,
    )
    return _alternation([_for_free_text(f.pattern) for f in ordered], _END + _NOT_CONTINUED)


def order_pattern(formats: tuple[OrderFormat, ...] | None = None) -> str:
    """One pattern for every order-code format (not their answer patterns), in file order."""
    chosen = formats if formats is not None else configured_order_formats()
    return _alternation([_for_free_text(f.pattern.pattern) for f in chosen])
