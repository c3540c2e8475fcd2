"""The desk's actions as the console and the JSON API call them: each one a transaction (in a
thread), then the side effects — wake the outbox, resume the engine, tell live consoles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from desk import tickets
from desk.tickets import DeskError, TicketDetail, TicketSummary
from outbox.enqueue import enqueue
from outbox.messages import OutboundMessage
from store.models import Agent, HandoffRequest, HandoffStatus, Resolution

T = TypeVar("T")

# Said to the customer when a person hands the conversation back.
BACK_TO_BOT = (
    "Thanks for your patience! You're chatting with our automated assistant again — "
    "ask me anything about your order or parcel, or type 'agent' to reach a person."
)


class EngineControl(Protocol):
    """What the desk needs of the engine (`engine.client.EngineClient`)."""

    async def resume(self, sender_id: str) -> None: ...


@dataclass(frozen=True)
class ChannelRules:
    """What the desk must know of a platform; the connectors say (gateway.channels)."""

    can_send: bool = True
    # How long after the customer's last message a person may still reply (None: no limit).
    person_reply_window: timedelta | None = None
    profile_url: Callable[[str, str | None], str | None] = lambda user_id, handle: None
    # The customer's name from their user id, where the platform's messages carry none
    # (desk.names fills tickets with it in the background).
    lookup_name: Callable[[str], Awaitable[str | None]] | None = None


class EngineUnreachable(DeskError):
    status = 503


class Desk:
    """Tickets for the console; `on_outbox` wakes the sender, `on_change` live consoles."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        engine: EngineControl,
        channels: Mapping[str, ChannelRules],
        *,
        on_outbox: Callable[[], None] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.engine = engine
        self.channels = channels
        self.on_outbox = on_outbox or (lambda: None)
        self.on_change = on_change or (lambda: None)

    def rules(self, platform: str) -> ChannelRules:
        return self.channels.get(platform, ChannelRules(can_send=False))

    def profile_url(self, platform: str, user_id: str, handle: str | None) -> str | None:
        """A link to the customer's profile on their platform, where one exists."""
        return self.rules(platform).profile_url(user_id, handle)

    # --- reading --------------------------------------------------------------------------

    async def queue(
        self,
        *,
        include_closed: bool = False,
        statuses: Collection[HandoffStatus] | None = None,
        assignee_id: int | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[TicketSummary]:
        return await self._read(
            lambda s: tickets.queue(
                s,
                include_closed=include_closed,
                statuses=statuses,
                assignee_id=assignee_id,
                limit=limit,
                offset=offset,
            )
        )

    async def counts(self) -> dict[str, int]:
        """How many tickets are open and claimed."""
        return await self._read(tickets.queue_counts)

    async def ticket(self, ticket_id: int) -> TicketDetail:
        return await self._read(lambda s: tickets.detail(s, ticket_id))

    # --- acting ---------------------------------------------------------------------------

    async def claim(self, ticket_id: int, agent: Agent) -> None:
        await self._write(lambda s: tickets.claim(s, ticket_id, agent.id))
        self.on_change()

    async def reply(self, ticket_id: int, agent: Agent, text: str) -> int:
        """Queue a person's reply to the customer; the outbox delivers it."""

        def write(session: Session) -> int:
            platform = session.get(HandoffRequest, ticket_id)
            rules = self.rules(platform.platform if platform else "")
            return tickets.reply(
                session,
                ticket_id,
                agent,
                text,
                reply_window=rules.person_reply_window,
                sendable=rules.can_send,
            )

        outbox_id = await self._write(write)
        self.on_outbox()
        self.on_change()
        return outbox_id

    async def note(self, ticket_id: int, agent: Agent, text: str) -> int:
        note_id = await self._write(lambda s: tickets.add_note(s, ticket_id, agent, text))
        self.on_change()
        return note_id

    async def return_to_bot(self, ticket_id: int, agent: Agent) -> None:
        """Hand the conversation back: the engine answers the customer's next message."""
        await self._end(ticket_id, agent, Resolution.RETURNED_TO_BOT)

    async def close(self, ticket_id: int, agent: Agent) -> None:
        """End the ticket; should the customer write again, the bot answers (and can hand off
        again, which opens a new ticket)."""
        await self._end(ticket_id, agent, Resolution.CLOSED)

    async def _end(self, ticket_id: int, agent: Agent, resolution: Resolution) -> None:
        ticket = await self._read(lambda s: tickets.check_can_end(s, ticket_id, agent))
        conversation = ticket.conversation_id
        try:
            # First the engine: if it cannot be reached the ticket stays as it is (the customer
            # is not left with a closed ticket and a silent bot). Resuming twice is harmless.
            await self.engine.resume(conversation)
        except Exception as error:
            raise EngineUnreachable(
                "The assistant cannot be reached right now, so the conversation stays with you. "
                f"Try again in a minute. ({error})"
            ) from error

        def write(session: Session) -> None:
            tickets.end(session, ticket_id, agent, resolution)
            row = session.get(HandoffRequest, ticket_id)
            if resolution is Resolution.RETURNED_TO_BOT and row is not None:
                address = tickets.customer_address(row)
                if self.rules(row.platform).can_send and address is not None:
                    enqueue(
                        session,
                        [OutboundMessage(*address, BACK_TO_BOT)],
                        handoff_request_id=ticket_id,
                    )

        await self._write(write)
        self.on_outbox()
        self.on_change()

    # --- transactions in threads ----------------------------------------------------------

    async def _read(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.sessions() as session:
                result = work(session)
                session.expunge_all()
                return result

        return await asyncio.to_thread(run)

    async def _write(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.sessions.begin() as session:
                result = work(session)
            return result

        return await asyncio.to_thread(run)
