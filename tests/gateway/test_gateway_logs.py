"""Logs carry a conversation id and no codes, names or credentials."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from gateway.logs import configure_logging, redact_text


def test_codes_in_text_are_masked_and_the_rest_is_kept() -> None:
    text = "where is 1Z5R89390357567127 and order #12345?"
    assert redact_text(text) == "where is 1Z…27 and order …?"  # short codes: nothing kept


def test_credentials_inside_text_are_removed() -> None:
    line = "POST https://graph/me/messages?access_token=EAAB123secret&x=1 Bearer abc.DEF-123"
    cleaned = redact_text(line)
    assert "EAAB123secret" not in cleaned and "abc.DEF-123" not in cleaned
    assert "access_token=[redacted]" in cleaned


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """configure_logging() into a buffer for one test; root logger and structlog put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()


def test_lines_are_json_with_the_conversation_and_without_personal_fields(
    log_lines: io.StringIO,
) -> None:
    structlog.contextvars.bind_contextvars(conversation="messenger:1:42")
    try:
        structlog.get_logger("test").info(
            "inbound", user_name="Giulia Rossi", text="my code 1Z5R89390357567127", page_token="t0k"
        )
        logging.getLogger("library").warning("retrying %s", "1Z5R89390357567127")
    finally:
        structlog.contextvars.clear_contextvars()
    lines = [json.loads(line) for line in log_lines.getvalue().strip().splitlines()]
    ours, library = lines
    assert ours["conversation"] == "messenger:1:42" and library["conversation"] == "messenger:1:42"
    assert ours["user_name"] == "[redacted]" and ours["page_token"] == "[redacted]"
    assert "1Z5R89390357567127" not in json.dumps(lines) and "Giulia" not in json.dumps(lines)


def test_conversation_keys_stay_readable_while_codes_beside_them_are_masked() -> None:
    line = (
        "engine down for messenger:100000000000001:5133076449847 "
        "(GET /conversations/messenger%3A100000000000001%3A5133076449847/tracker) "
        "about 1Z5R89390357567127"
    )
    cleaned = redact_text(line)
    assert "messenger:100000000000001:5133076449847" in cleaned
    assert "messenger%3A100000000000001%3A5133076449847" in cleaned
    assert "1Z5R89390357567127" not in cleaned and "1Z…27" in cleaned
