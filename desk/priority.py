"""How urgent a ticket is: complaints, lost or damaged parcels, customers who keep coming back
and angry wording rank higher. Each reason found is kept as a signal the agent can read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from store.models import HandoffReason, Priority

COMPLAINT = "complaint"
LOST_OR_DAMAGED = "lost or damaged parcel"
REPEATED_CONTACT = "repeated contact"
ANGRY_WORDING = "angry wording"

# Lookup results and words that mean the parcel will not arrive as it should.
_LOST_STATUSES = frozenset({"exception", "returned"})
_LOST_WORDS = re.compile(
    r"\b(lost|missing|never (arrived|came|got)|stolen|damaged|broken|smashed|crushed|"
    r"wrong (item|parcel|package)|empty box)\b",
    re.IGNORECASE,
)
_ANGRY_WORDS = re.compile(
    r"\b(ridiculous|unacceptable|disgrace(ful)?|furious|angry|outrageous|pathetic|useless|"
    r"terrible|awful|worst|scam|joke|fed up|sick of|wtf|f+u+c+k\w*|sh[i1]t\w*|crap|bullshit|"
    r"lawyer|sue you|chargeback|never again|rip ?off)\b",
    re.IGNORECASE,
)
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b")


def rank(
    reason: HandoffReason | str,
    customer_texts: Sequence[str],
    codes: Iterable[Mapping[str, Any]] = (),
    earlier_tickets: int = 0,
) -> tuple[Priority, list[str]]:
    """The priority and the signals behind it.

    Two or more signals (or a complaint that is also angry or about a lost parcel) make it
    urgent, one makes it high, none normal. `earlier_tickets`: this customer's recent handoffs.
    """
    signals: list[str] = []
    if HandoffReason(reason) is HandoffReason.COMPLAINT:
        signals.append(COMPLAINT)
    if _lost_or_damaged(customer_texts, codes):
        signals.append(LOST_OR_DAMAGED)
    if earlier_tickets > 0:
        signals.append(REPEATED_CONTACT)
    if any(is_angry(text) for text in customer_texts):
        signals.append(ANGRY_WORDING)
    if len(signals) >= 2:
        return Priority.URGENT, signals
    if signals:
        return Priority.HIGH, signals
    return Priority.NORMAL, signals


def is_angry(text: str) -> bool:
    """Swearing, threats, insults, or shouting (several words in capitals, or "!!!")."""
    if _ANGRY_WORDS.search(text) or "!!!" in text:
        return True
    shouted = _SHOUTING.findall(text)
    # Codes are capitals too ("UPS", "ORD"): a single shouted word is not shouting.
    return len([word for word in shouted if not any(ch.isdigit() for ch in word)]) >= 3


def _lost_or_damaged(texts: Sequence[str], codes: Iterable[Mapping[str, Any]]) -> bool:
    for code in codes:
        lookup = code.get("lookup") or {}
        if str(lookup.get("status") or "").lower() in _LOST_STATUSES:
            return True
    return any(_LOST_WORDS.search(text) for text in texts)
