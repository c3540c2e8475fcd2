"""A worker pool over a database queue: claim due rows, handle each in its own task.

The router (inbox rows) and the outbox sender (outbox rows) both run on it. One loop per process
claims as many rows as it has free slots; what "due" means and how a row is handled is theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Job = TypeVar("Job")


class ClaimLoop(Generic[Job]):
    """Runs `handle(job)` for the jobs `claim(free_slots)` returns, `concurrency` at a time.

    `claim` is blocking (database work): it runs in a thread. Idle, the loop looks again every
    `poll_interval` seconds, or at once after `notify()` or when a job ends.
    """

    def __init__(
        self,
        name: str,
        claim: Callable[[int], Sequence[Job]],
        handle: Callable[[Job], Awaitable[None]],
        *,
        concurrency: int,
        poll_interval: float,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.name = name
        self._claim = claim
        self._handle = handle
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self._active: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Start claiming (call from the running event loop)."""
        if self._loop_task is None:
            self._stopping = False
            self._loop_task = asyncio.create_task(self._run(), name=self.name)

    def notify(self) -> None:
        """Something may be due now: look without waiting for the next poll."""
        self._wakeup.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Claim nothing more; let running jobs finish for up to `grace` s, then cancel them.

        A cancelled job leaves its row claimed; the row's lease runs out and it is taken again.
        """
        self._stopping = True
        self._wakeup.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        if self._active:
            _, unfinished = await asyncio.wait(set(self._active), timeout=grace)
            for task in unfinished:
                task.cancel()
            for task in unfinished:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @property
    def busy(self) -> int:
        """Jobs running now."""
        return len(self._active)

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before claiming: a notify() that arrives during the claim is not lost.
            self._wakeup.clear()
            free = self.concurrency - len(self._active)
            jobs: Sequence[Job] = ()
            if free > 0:
                try:
                    jobs = await asyncio.to_thread(self._claim, free)
                except Exception:
                    # The database may be down for a moment; keep the loop alive and try again.
                    log.exception("%s: claiming failed; trying again", self.name)
            for job in jobs:
                task = asyncio.create_task(self._guarded(job))
                self._active.add(task)
                task.add_done_callback(self._finished)
            if free > 0 and len(jobs) == free:
                continue  # every slot filled: there may be more due right away
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval)

    async def _guarded(self, job: Job) -> None:
        try:
            await self._handle(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A job's own failure must not stop the pool; the row stays claimed until its lease
            # ends and is then taken again.
            log.exception("%s: handling a job failed", self.name)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        self._wakeup.set()  # a slot is free, and the conversation's next row may now be due
