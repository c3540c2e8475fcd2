"""Buttons on X: API v2 DMs have no quick replies, so options are a numbered list in the text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from outbox.messages import Button

_NUMBER = re.compile(r"^\s*(\d+)\s*[.)]?\s*$")


def render(text: str, buttons: Sequence[Button]) -> str:
    """`text`, then one numbered line per option: "1. Track a parcel"."""
    if not buttons:
        return text
    lines = "\n".join(f"{number}. {button.title}" for number, button in enumerate(buttons, 1))
    return f"{text}\n\n{lines}" if text else lines


def choose(reply: str, buttons: Sequence[Button]) -> Button | None:
    """The option a customer's reply picks: its number ("2", "2.") or its words ("track a parcel").

    For whoever remembers which options were offered last; None when the reply is anything else.
    """
    number = _NUMBER.match(reply)
    if number:
        index = int(number.group(1)) - 1
        return buttons[index] if 0 <= index < len(buttons) else None
    words = _words(reply)
    return next((button for button in buttons if _words(button.title) == words), None)


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))
