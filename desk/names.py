"""Customers' names on tickets whose platform's messages carry none (Messenger gives only an id).

The name costs one request to the platform (`ChannelRules.lookup_name`). It is made here, in the
background once the ticket exists — never on the message's path — and the answer lands on the
ticket (`customer_name`, and `updated_at` so live consoles show it). A failed lookup is not
repeated for `RETRY_AFTER` seconds, so a refusing API is not hammered. Each gateway process runs
one filler; two may ask for the same customer, and the first answer stored stays
(`UPDATE ... WHERE customer_name IS NULL`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from desk.live import TicketWatcher
from desk.service import Desk
from desk.tickets import NOT_CLOSED
from store.handoffs import NAME_MAX
from store.models import HandoffRequest

log = logging.getLogger(__name__)

RETRY_AFTER = 600.0  # seconds: at most one lookup per ticket per ten minutes while it fails
IDLE = 60.0  # seconds: look again at least this often (failed lookups come due), changes or not
# Tickets looked at per pass; more wait for the next one (a backlog after a platform outage).
_BATCH = 200

Lookup = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class _Nameless:
    ticket_id: int
    platform: str
    customer_id: str


class NameFiller:
    """Fills the names of not-closed tickets that have none, where the platform can say it."""

    def __init__(
        self,
        desk: Desk,
        *,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.desk = desk
        self.retry_after = retry_after
        self._clock = clock
        self._failed: dict[int, float] = {}  # ticket id → when its lookup last failed

    async def fill_missing(self) -> int:
        """One pass: look the nameless tickets' customers up and store what is found; how many
        tickets got a name."""
        lookups = {p: r.lookup_name for p, r in self.desk.channels.items() if r.lookup_name}
        if not lookups:
            return 0
        cutoff = self._clock() - self.retry_after
        self._failed = {t: at for t, at in self._failed.items() if at > cutoff}
        nameless = await asyncio.to_thread(self._nameless, sorted(lookups))
        found: dict[tuple[str, str], str | None] = {}  # each customer asked once per pass
        filled = 0
        for ticket in nameless:
            if ticket.ticket_id in self._failed:
                continue
            customer = (ticket.platform, ticket.customer_id)
            if customer not in found:
                found[customer] = await _ask(lookups[ticket.platform], ticket)
            name = found[customer]
            if name is None:
                self._failed[ticket.ticket_id] = self._clock()
            elif await asyncio.to_thread(self._store, ticket.ticket_id, name[:NAME_MAX]):
                filled += 1
                self.desk.on_change()
        if filled:
            log.info("desk: customers' names filled on %d ticket(s)", filled)
        return filled

    def _nameless(self, platforms: Sequence[str]) -> list[_Nameless]:
        with self.desk.sessions() as session:
            rows = session.execute(
                select(HandoffRequest.id, HandoffRequest.platform, HandoffRequest.customer_id)
                .where(
                    HandoffRequest.status.in_(NOT_CLOSED),
                    HandoffRequest.customer_name.is_(None),
                    HandoffRequest.platform.in_(platforms),
                )
                .order_by(HandoffRequest.id)
                .limit(_BATCH)
            )
            return [_Nameless(*row) for row in rows]

    def _store(self, ticket_id: int, name: str) -> bool:
        """True when this process stored the name (another may have been first)."""
        with self.desk.sessions.begin() as session:
            result = session.execute(
                update(HandoffRequest)
                .where(HandoffRequest.id == ticket_id, HandoffRequest.customer_name.is_(None))
                .values(customer_name=name, updated_at=datetime.now(UTC))
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]


async def _ask(lookup: Lookup, ticket: _Nameless) -> str | None:
    """The platform's answer; a lookup that raises counts as no answer."""
    try:
        name = await lookup(ticket.customer_id)
    except Exception:
        log.exception("desk: looking up the customer of ticket %d failed", ticket.ticket_id)
        return None
    return (name or "").strip() or None


async def keep_names_filled(desk: Desk, watcher: TicketWatcher, *, idle: float = IDLE) -> None:
    """Fill names whenever the tickets change (a new one arrives) and at least every `idle`
    seconds; runs until cancelled."""
    filler = NameFiller(desk)
    changed = asyncio.Event()

    async def watch() -> None:
        async for _ in watcher.changes():
            changed.set()

    watching = asyncio.create_task(watch(), name="desk-names-watch")
    try:
        while True:
            changed.clear()
            try:
                await filler.fill_missing()
            except Exception:
                # The database may be down for a moment: the next change or tick tries again.
                log.exception("desk: filling customers' names failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), idle)
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
