"""Buttons on X: API v2 DMs have no quick replies, so options are a numbered list in the text.

Reading "2" or an option's words back as the choice is the router's (router/choices.py): it
remembers what was offered, for any platform without quick replies.
"""

from __future__ import annotations

from collections.abc import Sequence

from outbox.messages import Button


def render(text: str, buttons: Sequence[Button]) -> str:
    """`text`, then one numbered line per option: "1. Track a parcel"."""
    if not buttons:
        return text
    lines = "\n".join(f"{number}. {button.title}" for number, button in enumerate(buttons, 1))
    return f"{text}\n\n{lines}" if text else lines
