"""Structured logs: JSON lines, a conversation id on each, and nothing a customer would mind.

Tracking numbers and order codes are masked, customer names dropped, and any field that looks
like a credential removed — in our lines and in every library's, since all go through here.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from codes import find_codes

_SECRET_KEY = re.compile(r"token|secret|password|authorization|signature", re.IGNORECASE)
_CONVERSATION_KEY = re.compile(r"\b[a-z]+(?::|%3A)[\w.-]+(?::|%3A)[\w.-]+", re.IGNORECASE)
_TRACE_KEYS = frozenset({"conversation"})
_PERSONAL_KEYS = frozenset({"user_name", "user_handle", "customer_name", "name", "email", "text"})
# Credentials that may appear inside messages (URLs with access_token=…, bearer headers).
_SECRET_IN_TEXT = re.compile(
    r"((?:access_token|token|secret)=)[^&\s\"']+|(Bearer\s+)[A-Za-z0-9._\-~+/=]+", re.IGNORECASE
)


def redact_text(text: str) -> str:
    """The text with codes masked (first two and last two characters kept) and secrets removed.

    Conversation keys ("messenger:<page>:<user>", also URL-encoded) stay readable: they are how
    a line is traced, and their numeric ids would otherwise pass for tracking numbers.
    """
    keys = [m.span() for m in _CONVERSATION_KEY.finditer(text)]
    parts, last = [], 0
    for start, end, code in find_codes(text):
        if any(k_start <= start and end <= k_end for k_start, k_end in keys):
            continue
        compact = code.replace(" ", "")
        parts += [text[last:start], f"{compact[:2]}…{compact[-2:]}" if len(compact) > 6 else "…"]
        last = end
    parts.append(text[last:])
    return _SECRET_IN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", "".join(parts))


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: applied to every field of every line."""
    for key in list(event):
        value = event[key]
        if _SECRET_KEY.search(key) or (key in _PERSONAL_KEYS and key != "event"):
            event[key] = "[redacted]"
        elif isinstance(value, str) and key not in _TRACE_KEYS:
            event[key] = redact_text(value)
    return event


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """JSON lines on `stream` (stderr) for our code and for the libraries' standard logging."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,  # conversation=… bound per message
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # URLs can carry tokens
