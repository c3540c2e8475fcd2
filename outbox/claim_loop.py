"""A worker pool over a database queue: claim due rows, handle each in its own task.

The router (inbox rows) and the outbox sender (outbox rows) both run on it. One loop per process
claims as many rows as it has free slots; what "due" means and how a row is handled is theirs.

Handling a job may claim the next job of the same conversation (in the transaction that records
the first one's outcome) and return it: it runs in the same slot, at once. And a job need not
wait for the loop to find it: the transaction that creates a row may claim it too, in a slot
kept for it beforehand (`reserve`), so the job starts the moment that transaction commits.

Every claim in the process, the loops' and those made in the writes that create or record rows,
runs on one thread, one at a time, in the order asked. On SQLite, which has no row locks, two
claims side by side could both read a row as due and both take it. And claims are Python-heavy:
two at once in threads slow each other down (the GIL).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Job = TypeVar("Job")
Claimed = TypeVar("Claimed")

_CLAIMS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claims")


class ClaimLoop(Generic[Job]):
    """Runs `handle(job)` for the jobs `claim(free_slots)` returns, `concurrency` at a time;
    when `handle` returns a job (claimed by it), that one next, in the same slot.

    `claim` is blocking (database work): it runs on the claims thread. Idle, the loop looks
    again every `poll_interval` seconds, at once after `notify()`, and when a slot frees up
    while it waited for one. Reserved slots count against `concurrency`.
    """

    def __init__(
        self,
        name: str,
        claim: Callable[[int], Sequence[Job]],
        handle: Callable[[Job], Awaitable[Job | None]],
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
        self._reserved = 0  # slots kept by `reserve` and not started yet
        self._loop_waits_for_a_slot = False
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

    def reserve(self) -> Reservation[Job] | None:
        """Keep a slot for a job that will be claimed elsewhere, in the transaction that creates
        its row (run that on the claims thread); None when every slot is busy or the pool is
        stopping. Hand the claimed job, or None, to the reservation's `start`.
        """
        if self._stopping or self._loop_task is None or self._free_slots() < 1:
            return None
        self._reserved += 1
        return Reservation(self)

    async def stop(self, grace: float = 10.0) -> None:
        """Claim nothing more; let running jobs finish for up to `grace` s, then cancel them.

        A cancelled job leaves its row claimed; the row's lease runs out and it is taken again.
        """
        self._stopping = True
        self._wakeup.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        deadline = asyncio.get_running_loop().time() + grace
        while self._reserved:  # their jobs may be claimed already: let them start
            await asyncio.sleep(0.01)
            if asyncio.get_running_loop().time() > deadline:
                break
        if self._active:
            remaining = max(0.0, deadline - asyncio.get_running_loop().time())
            _, unfinished = await asyncio.wait(set(self._active), timeout=remaining)
            for task in unfinished:
                task.cancel()
            for task in unfinished:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @property
    def stopping(self) -> bool:
        """`stop()` was called: claim nothing more."""
        return self._stopping

    @property
    def busy(self) -> int:
        """Jobs running now."""
        return len(self._active)

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before claiming: a notify() that arrives during the claim is not lost.
            self._wakeup.clear()
            free = self._free_slots()
            jobs: Sequence[Job] = ()
            if free > 0:
                try:
                    jobs = await on_claims_thread(self._claim, free)
                except Exception:
                    # The database may be down for a moment; keep the loop alive and try again.
                    log.exception("%s: claiming failed; trying again", self.name)
            for job in jobs:
                self._track(asyncio.create_task(self._guarded(job)), self._finished)
            # Every slot filled: more may be due, to claim as soon as a slot is free.
            self._loop_waits_for_a_slot = len(jobs) >= free
            if free > 0 and len(jobs) == free:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval)

    def _free_slots(self) -> int:
        return self.concurrency - len(self._active) - self._reserved

    def _start_reserved(self, job: Job | None) -> None:
        self._reserved -= 1
        if job is not None:
            self._track(asyncio.create_task(self._guarded(job)), self._finished)
        elif self._loop_waits_for_a_slot:
            self._wakeup.set()  # the slot it kept is free again

    def _track(
        self, task: asyncio.Task[None], on_done: Callable[[asyncio.Task[None]], None]
    ) -> None:
        self._active.add(task)
        task.add_done_callback(on_done)

    async def _guarded(self, job: Job) -> None:
        following: Job | None = job
        while following is not None:  # claimed already: handled even while stopping
            try:
                following = await self._handle(following)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A job's own failure must not stop the pool; the row stays claimed until its
                # lease ends and is then taken again.
                log.exception("%s: handling a job failed", self.name)
                return

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        # A job claims its conversation's next row itself, or tells the loop (`notify`) what it
        # made due: look again only if the loop is waiting for a slot.
        if self._loop_waits_for_a_slot:
            self._wakeup.set()


async def on_claims_thread(claim: Callable[..., Claimed], *args: object) -> Claimed:
    """Run `claim(*args)`, blocking database work that claims rows, on the claims thread."""
    return await asyncio.get_running_loop().run_in_executor(
        _CLAIMS, functools.partial(claim, *args)
    )


class Reservation(Generic[Job]):
    """A slot kept by `ClaimLoop.reserve`: `start` it once, with the claimed job or None."""

    def __init__(self, loop: ClaimLoop[Job]) -> None:
        self._loop: ClaimLoop[Job] | None = loop

    def start(self, job: Job | None) -> None:
        """Handle `job` (claimed) in the kept slot now; None gives the slot back."""
        if self._loop is None:
            raise RuntimeError("a reservation starts once")
        loop, self._loop = self._loop, None
        loop._start_reserved(job)
