"""Words that say a customer has a problem or is upset: such a customer is never sent away."""

from __future__ import annotations

import re

from desk.priority import is_angry

# A delivery gone wrong, money, or a plea: what a person on the team would want to see.
_PROBLEM_WORDS = re.compile(
    r"\b(lost|missing|never (arrived|came|got|received|showed)|not (yet )?(received|delivered|"
    r"arrived|here|working|refunded)|(hasn'?t|haven'?t|didn'?t|did not|has not|have not|"
    r"wasn'?t|won'?t|can'?t|cannot|couldn'?t|unable) \w+|still|late|delay(ed)?|stuck|stolen|"
    r"damaged|broken|wrong|refund\w*|charged|money|cancel\w*|complain\w*|issue|problem|"
    r"help|urgent\w*|asap|waiting|days?|weeks?|again|no one|nobody|disappointed|"
    r"escalat\w*|compensat\w*)\b",
    re.IGNORECASE,
)


def has_problem_or_anger(text: str) -> bool:
    """True when the message tells of a problem, asks for help, or is angry."""
    return bool(_PROBLEM_WORDS.search(text)) or is_angry(text)
