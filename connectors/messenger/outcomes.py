"""Graph API answers → what the outbox should do next (sent, retry later, or tell staff). Pure.

Graph errors look like `{"error": {"message", "type", "code", "error_subcode", "is_transient"}}`;
the code matters more than the HTTP status (rate limits often come back as 400).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from outbox.messages import SendOutcome, SendResult

# Rate limits: back off and try again (4 app, 17 user, 32 page, 613 calls, 80006 Messenger BUC).
RATE_LIMIT_CODES = {4, 17, 32, 613, 80006}
# "Unknown error" / "please retry later" / "temporary send failure".
TRANSIENT_CODES = {1, 2, 1200}
# 551: the person cannot be reached (blocked the page, left Messenger). Do not retry.
UNREACHABLE_CODE = 551
# 10: Meta does not allow this message (window closed, or a permission the app lacks).
NOT_ALLOWED_CODE = 10
OUTSIDE_WINDOW_SUBCODES = {2018278}


@dataclass(frozen=True)
class GraphError:
    """The parts of a Graph error body we act on."""

    status: int
    code: int | None = None
    subcode: int | None = None
    message: str = ""
    transient: bool = False

    @classmethod
    def from_body(cls, status: int, body: Any) -> GraphError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(status=status)
        return cls(
            status=status,
            code=_int(error.get("code")),
            subcode=_int(error.get("error_subcode")),
            message=str(error.get("message") or ""),
            transient=error.get("is_transient") is True,
        )

    def describe(self) -> str:
        code = (
            f"code {self.code}" + (f"/{self.subcode}" if self.subcode else "") if self.code else ""
        )
        return ", ".join(p for p in (f"HTTP {self.status}", code, self.message) if p)


def result_for_error(
    error: GraphError, headers: Mapping[str, str], *, from_person: bool
) -> SendResult:
    """The outcome of a failed Send API call (anything but 2xx)."""
    if error.status == 429 or error.code in RATE_LIMIT_CODES:
        return SendResult(
            SendOutcome.RETRY,
            retry_after=retry_after_seconds(headers),
            error=f"Messenger rate limit ({error.describe()})",
        )
    if (
        error.status in (408, 425)
        or error.status >= 500
        or error.transient
        or error.code in TRANSIENT_CODES
    ):
        return SendResult(
            SendOutcome.RETRY,
            retry_after=retry_after_seconds(headers),
            error=f"Messenger temporarily unavailable ({error.describe()})",
        )
    if error.subcode in OUTSIDE_WINDOW_SUBCODES or "allowed window" in error.message.lower():
        return SendResult(SendOutcome.PERMANENT, error=_outside_window(error, from_person))
    if error.code == UNREACHABLE_CODE:
        return SendResult(
            SendOutcome.PERMANENT,
            error=f"The customer cannot be reached on Messenger ({error.describe()})",
        )
    if error.code == NOT_ALLOWED_CODE:
        return SendResult(
            SendOutcome.PERMANENT,
            error=f"Meta does not allow this message now ({error.describe()})",
        )
    if error.code == 190:
        return SendResult(
            SendOutcome.PERMANENT,
            error=f"Meta refused the page access token: check MESSENGER_PAGE_ACCESS_TOKEN "
            f"({error.describe()})",
        )
    return SendResult(
        SendOutcome.PERMANENT, error=f"Messenger refused the reply ({error.describe()})"
    )


def _outside_window(error: GraphError, from_person: bool) -> str:
    if from_person:
        return (
            "Outside Messenger's window: a person may answer (HUMAN_AGENT tag) only up to 7 days "
            f"after the customer's last message ({error.describe()})"
        )
    return (
        "Outside Messenger's 24-hour window: only a person may answer now, up to 7 days after "
        f"the customer's last message ({error.describe()})"
    )


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or HTTP date) or Meta's business-use-case
    usage header (`estimated_time_to_regain_access`, in minutes); None when neither says."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when - (time.time() if now is None else now))
    return _regain_access_seconds(headers.get("X-Business-Use-Case-Usage"))


def _regain_access_seconds(header: str | None) -> float | None:
    """`{"<business id>": [{"type": "messenger", "estimated_time_to_regain_access": 5}, …]}`."""
    if not header:
        return None
    try:
        usage = json.loads(header)
    except ValueError:
        return None
    minutes = [
        limit.get("estimated_time_to_regain_access")
        for limits in (usage.values() if isinstance(usage, dict) else [])
        if isinstance(limits, list)
        for limit in limits
        if isinstance(limit, dict)
    ]
    waits = [m for m in minutes if isinstance(m, int | float) and m > 0]
    return float(max(waits)) * 60 if waits else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
