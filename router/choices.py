"""Numbered options for platforms without quick replies (X): "2" means the second button.

Such platforms show a reply's buttons as a numbered list ("1. Track a parcel"); the customer
answers with the number or the option's words, and the engine should get the button's payload
as if it had been pressed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from outbox.messages import Button

_NUMBER = re.compile(r"^\s*#?(\d+)\s*[.)]?\s*$")


def chosen_payload(reply: str, offered: Sequence[Button]) -> str | None:
    """The payload of the option `reply` picks (by number or title, any case), else None."""
    if not offered:
        return None
    number = _NUMBER.match(reply)
    if number:
        index = int(number.group(1)) - 1
        return offered[index].payload if 0 <= index < len(offered) else None
    words = _words(reply)
    if not words:
        return None
    return next((b.payload for b in offered if _words(b.title) == words), None)


def _words(text: str) -> str:
    # "Returns & refunds!" and "returns refunds" are the same choice.
    return " ".join(re.findall(r"\w+", text.casefold()))
