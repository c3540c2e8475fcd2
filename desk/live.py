"""Live consoles: one watcher per process notices any ticket change and wakes every open page.

Tickets change in other processes too (the action server opens them), so the watcher looks at
the database's version of the tickets (`desk.tickets.version`, two index lookups) every
`interval` seconds, and at once when this process changed something (`poke`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.orm import Session, sessionmaker

from desk.tickets import version

log = logging.getLogger(__name__)


class TicketWatcher:
    """Tells subscribers the tickets' version whenever it changes."""

    def __init__(self, sessions: sessionmaker[Session], interval: float = 0.1) -> None:
        self.sessions = sessions
        self.interval = interval
        self.current = ""
        self._changed = asyncio.Condition()
        self._poke = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="desk-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def poke(self) -> None:
        """Something changed here: look now."""
        self._poke.set()

    async def changes(self) -> AsyncIterator[str]:
        """The current version at once, then each new one (for one live page)."""
        seen = self.current
        yield seen
        while True:
            async with self._changed:
                last = seen
                await self._changed.wait_for(lambda last=last: self.current != last)  # type: ignore[misc]
                seen = self.current
            yield seen

    async def _run(self) -> None:
        while True:
            self._poke.clear()
            try:
                latest = await asyncio.to_thread(self._read)
            except Exception:
                # The database may be down for a moment; pages keep what they show.
                log.exception("desk: reading the tickets' version failed")
            else:
                if latest != self.current:
                    async with self._changed:
                        self.current = latest
                        self._changed.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self.interval)

    def _read(self) -> str:
        with self.sessions() as session:
            return version(session)
