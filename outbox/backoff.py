"""How long to wait before trying again: exponential, capped, with jitter.

Shared by the outbox (platform refused for now) and the router (engine unreachable).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delays of `base`, 2×, 4×… seconds up to `cap`, each shortened by up to `jitter` (a share).

    Jitter spreads retries so that many rows that failed together do not retry together.
    """

    base: float = 1.0
    cap: float = 300.0
    jitter: float = 0.5

    def delay(
        self,
        attempts: int,
        retry_after: float | None = None,
        rng: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after the `attempts`-th failed try (1 for the first).

        A platform's `retry_after` is a floor: we never come back before it, only slightly
        after it (jittered up, so rows freed by one reset do not all arrive at once).
        """
        exponential = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        delay = exponential * (1 - self.jitter * rng())
        if retry_after is not None and retry_after > 0:
            return max(delay, retry_after * (1 + 0.1 * rng()))
        return delay
