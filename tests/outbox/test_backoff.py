"""Retry delays: exponential, capped, jittered, never before the platform's Retry-After."""

from __future__ import annotations

import pytest

from outbox.backoff import Backoff


def no_jitter() -> float:
    return 0.0


def full_jitter() -> float:
    return 1.0


def test_delays_double_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(base=2.0, cap=30.0)

    delays = [backoff.delay(attempt, rng=no_jitter) for attempt in range(1, 7)]

    assert delays == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_jitter_shortens_a_delay_by_at_most_its_share() -> None:
    backoff = Backoff(base=10.0, cap=100.0, jitter=0.5)

    assert backoff.delay(1, rng=full_jitter) == pytest.approx(5.0)
    assert 5.0 <= backoff.delay(1) <= 10.0


def test_retry_after_is_a_floor_even_when_the_back_off_is_shorter() -> None:
    backoff = Backoff(base=1.0, cap=100.0)

    assert backoff.delay(1, retry_after=60.0, rng=no_jitter) == 60.0
    assert 60.0 <= backoff.delay(1, retry_after=60.0) <= 66.0
    assert backoff.delay(8, retry_after=5.0, rng=no_jitter) == 100.0  # the longer one wins
