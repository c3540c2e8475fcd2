"""Mapping Graph API errors to outbox outcomes (pure)."""

from __future__ import annotations

from connectors.messenger.outcomes import GraphError, result_for_error, retry_after_seconds
from outbox.messages import SendOutcome


def outcome(status: int, **error: object) -> SendOutcome:
    body = {"error": {"message": "m", **error}}
    return result_for_error(GraphError.from_body(status, body), {}, from_person=False).outcome


def test_messenger_rate_limits_and_transient_errors_are_retried() -> None:
    for code in (4, 32, 613):
        assert outcome(400, code=code) is SendOutcome.RETRY
    assert outcome(400, code=2) is SendOutcome.RETRY
    assert outcome(400, code=1200, is_transient=True) is SendOutcome.RETRY
    assert outcome(503) is SendOutcome.RETRY


def test_messenger_unreachable_and_window_errors_are_permanent() -> None:
    assert outcome(400, code=551, error_subcode=1545041) is SendOutcome.PERMANENT
    assert outcome(400, code=10, error_subcode=2018278) is SendOutcome.PERMANENT
    assert outcome(400, code=10) is SendOutcome.PERMANENT


def test_messenger_bot_reply_outside_the_window_says_a_person_must_answer() -> None:
    error = GraphError.from_body(400, {"error": {"code": 10, "error_subcode": 2018278}})
    result = result_for_error(error, {}, from_person=False)
    assert result.error and "24-hour" in result.error and "person" in result.error


def test_messenger_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12.0
    date = "Wed, 21 Oct 2015 07:28:30 GMT"
    assert retry_after_seconds({"Retry-After": date}, now=1445412480.0) == 30.0
    assert retry_after_seconds({}) is None
