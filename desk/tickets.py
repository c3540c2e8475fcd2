"""Tickets: the handoff requests the bot stored, as the desk works them.

A ticket is open (in the queue), claimed (one agent owns it) or closed (with a resolution).
While it is not closed the conversation belongs to people: the router gives the customer's
messages to the ticket and the engine stays paused (see `take_customer_message`).

Functions take the caller's session and flush; the caller commits (`desk.service` does). Every
change moves `updated_at`, which is what live consoles watch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from desk.sla import breached
from outbox.enqueue import enqueue
from outbox.messages import OutboundMessage
from store.models import (
    Agent,
    HandoffRequest,
    HandoffStatus,
    InboxMessage,
    OutboxMessage,
    Priority,
    Resolution,
    TicketNote,
)

NOTE_MAX = 5_000
REPLY_MAX = 5_000
PRIORITY_ORDER = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2}
# A ticket in these holds its conversation: people own it, not the bot.
NOT_CLOSED = (HandoffStatus.OPEN, HandoffStatus.CLAIMED)


class DeskError(Exception):
    """An action the desk refuses, with a message for the agent. `status`: the HTTP status."""

    status = 400


class TicketNotFound(DeskError):
    status = 404


class TicketConflict(DeskError):
    """Someone else owns the ticket, or it is closed."""

    status = 409


class ReplyNotAllowed(DeskError):
    """The platform does not let a person reply now (too late, or no sender configured)."""

    status = 422


@dataclass(frozen=True)
class TicketSummary:
    """A ticket as the queue lists it."""

    id: int
    status: HandoffStatus
    platform: str
    customer_id: str
    customer_name: str | None
    reason: str
    summary: str
    priority: Priority
    priority_signals: tuple[str, ...]
    created_at: datetime
    sla_due_at: datetime | None
    updated_at: datetime
    assignee_id: int | None
    assignee_name: str | None
    first_response_at: datetime | None
    closed_at: datetime | None
    resolution: Resolution | None

    def waiting_seconds(self, now: datetime) -> float:
        """Since the handoff (until closing, for a closed ticket)."""
        return ((self.closed_at or now) - self.created_at).total_seconds()

    def sla_breached(self, now: datetime) -> bool:
        """No person answered by the due time."""
        return breached(self.sla_due_at, self.first_response_at, now)

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The JSON API's shape."""
        return {
            "id": self.id,
            "status": self.status.value,
            "platform": self.platform,
            "customer": {"id": self.customer_id, "name": self.customer_name},
            "reason": self.reason,
            "summary": self.summary,
            "priority": self.priority.value,
            "priority_signals": list(self.priority_signals),
            "created_at": self.created_at.isoformat(),
            "waiting_seconds": round(self.waiting_seconds(now)),
            "sla_due_at": self.sla_due_at.isoformat() if self.sla_due_at else None,
            "sla_breached": self.sla_breached(now),
            "assignee": (
                {"id": self.assignee_id, "name": self.assignee_name} if self.assignee_id else None
            ),
            "first_response_at": _iso(self.first_response_at),
            "closed_at": _iso(self.closed_at),
            "resolution": self.resolution.value if self.resolution else None,
        }


EntryKind = Literal["customer", "bot", "agent", "note"]


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of a ticket's transcript: a message either way, or a private note."""

    kind: EntryKind
    text: str
    at: datetime | None
    author: str | None = None  # the agent, for replies and notes
    delivery: str | None = None  # outbox status of a reply: pending, sending, sent, failed
    error: str | None = None  # why a reply was not delivered

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "at": _iso(self.at),
            "author": self.author,
            "delivery": self.delivery,
            "error": self.error,
        }


@dataclass(frozen=True)
class TicketDetail:
    """A ticket with its context (codes, lookups, intents) and the whole transcript."""

    ticket: TicketSummary
    conversation_key: str
    customer_handle: str | None
    language: str
    intents: tuple[str, ...]
    codes: tuple[dict[str, Any], ...]
    last_customer_message_at: datetime | None
    transcript: tuple[TranscriptEntry, ...] = field(default_factory=tuple)

    def as_json(self, now: datetime) -> dict[str, Any]:
        data = self.ticket.as_json(now)
        data["customer"]["handle"] = self.customer_handle
        data.update(
            conversation=self.conversation_key,
            language=self.language,
            intents=list(self.intents),
            codes=list(self.codes),
            last_customer_message_at=_iso(self.last_customer_message_at),
            transcript=[entry.as_json() for entry in self.transcript],
        )
        return data


# --- reading ------------------------------------------------------------------------------


def queue(
    session: Session,
    *,
    include_closed: bool = False,
    statuses: Collection[HandoffStatus] | None = None,
    assignee_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[TicketSummary]:
    """Tickets in the order they should be picked up: priority, then SLA due time, then age.

    Open and claimed ones, closed ones too with `include_closed`, or exactly `statuses`.
    """
    rank = case(
        *((HandoffRequest.priority == p, order) for p, order in PRIORITY_ORDER.items()), else_=9
    )
    query = (
        select(HandoffRequest, Agent.display_name)
        .outerjoin(Agent, Agent.id == HandoffRequest.assignee_id)
        .order_by(
            rank,
            HandoffRequest.sla_due_at.is_(None),
            HandoffRequest.sla_due_at,
            HandoffRequest.id,
        )
        .limit(limit)
        .offset(offset)
    )
    if statuses is not None:
        query = query.where(HandoffRequest.status.in_(tuple(statuses)))
    elif not include_closed:
        query = query.where(HandoffRequest.status.in_(NOT_CLOSED))
    if assignee_id is not None:
        query = query.where(HandoffRequest.assignee_id == assignee_id)
    return [_summary(row, name) for row, name in session.execute(query)]


def queue_counts(session: Session) -> dict[str, int]:
    """How many tickets are open (unclaimed) and claimed."""
    rows = session.execute(
        select(HandoffRequest.status, func.count())
        .where(HandoffRequest.status.in_(NOT_CLOSED))
        .group_by(HandoffRequest.status)
    )
    counts = {status.value: 0 for status in NOT_CLOSED}
    counts.update({str(status): count for status, count in rows})
    return counts


def detail(session: Session, ticket_id: int) -> TicketDetail:
    """The ticket, its context and its transcript; TicketNotFound if there is none."""
    found = session.execute(
        select(HandoffRequest, Agent.display_name)
        .outerjoin(Agent, Agent.id == HandoffRequest.assignee_id)
        .where(HandoffRequest.id == ticket_id)
    ).first()
    if found is None:
        raise TicketNotFound(f"There is no ticket {ticket_id}.")
    row, name = found
    context = row.context or {}
    return TicketDetail(
        ticket=_summary(row, name),
        conversation_key=row.conversation_id,
        customer_handle=_latest_handle(session, row.conversation_id),
        language=str(context.get("language") or "en"),
        intents=tuple(str(i) for i in context.get("intents") or ()),
        codes=tuple(dict(c) for c in context.get("codes") or ()),
        last_customer_message_at=row.last_customer_message_at,
        transcript=tuple(_transcript(session, row)),
    )


def open_ticket_id(session: Session, conversation_key: str) -> int | None:
    """The ticket that holds this conversation now, if any."""
    return session.scalar(
        select(HandoffRequest.id)
        .where(
            HandoffRequest.conversation_id == conversation_key,
            HandoffRequest.status.in_(NOT_CLOSED),
        )
        .order_by(HandoffRequest.id.desc())
        .limit(1)
    )


def held_conversations(session: Session, conversation_keys: Collection[str]) -> set[str]:
    """Which of these conversations a ticket holds now (people own them, not the bot)."""
    return set(
        session.scalars(
            select(HandoffRequest.conversation_id).where(
                HandoffRequest.conversation_id.in_(list(conversation_keys)),
                HandoffRequest.status.in_(NOT_CLOSED),
            )
        )
    )


def version(session: Session) -> str:
    """Changes whenever any ticket changes: what live consoles compare, several times a second.

    The newest id catches new tickets even from a process whose clock is a little behind; the
    newest `updated_at` every other change. Each is its own subquery, so both databases answer
    from the index alone (SQLite's min/max optimisation needs one aggregate per SELECT).
    """
    top = select(func.max(HandoffRequest.id)).scalar_subquery()
    newest = select(func.max(HandoffRequest.updated_at)).scalar_subquery()
    top_id, changed = session.execute(select(top, newest)).one()
    return f"{top_id or 0}:{changed.isoformat() if changed else '-'}"


# --- the router's side --------------------------------------------------------------------


def take_customer_message(session: Session, conversation_key: str, at: datetime) -> int | None:
    """A customer wrote: if a ticket holds the conversation, it gets the message (the bot
    stays silent) and its id is returned; None means the bot should answer."""
    ticket_id = open_ticket_id(session, conversation_key)
    if ticket_id is None:
        return None
    session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == ticket_id)
        .values(updated_at=datetime.now(UTC), last_customer_message_at=at)
    )
    return ticket_id


# --- what agents do -----------------------------------------------------------------------


def claim(session: Session, ticket_id: int, agent_id: int) -> None:
    """Take an open ticket. Atomic: of two agents claiming at once exactly one succeeds, the
    other gets TicketConflict naming the owner."""
    now = datetime.now(UTC)
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == ticket_id, HandoffRequest.status == HandoffStatus.OPEN)
        .values(status=HandoffStatus.CLAIMED, assignee_id=agent_id, claimed_at=now, updated_at=now)
    )
    if getattr(result, "rowcount", 0) == 1:
        return
    row = _ticket(session, ticket_id)
    if row.status is HandoffStatus.CLAIMED and row.assignee_id == agent_id:
        return  # already ours: claiming twice is harmless
    raise TicketConflict(_unavailable(session, row))


def reply(
    session: Session,
    ticket_id: int,
    agent: Agent,
    text: str,
    *,
    reply_window: timedelta | None,
    sendable: bool = True,
    now: datetime | None = None,
) -> int:
    """Put a person's reply in the outbox; returns its outbox id.

    An open ticket is claimed by replying. Refused (DeskError, nothing stored) when another
    agent owns the ticket, it is closed, the text is empty or too long, or the platform does not
    let a person answer this late (`reply_window` after the customer's last message).
    """
    now = now or datetime.now(UTC)
    text = text.strip()
    if not text:
        raise DeskError("The reply is empty.")
    if len(text) > REPLY_MAX:
        raise DeskError(f"The reply is {len(text):,} characters; the limit is {REPLY_MAX:,}.")
    row = _owned(session, ticket_id, agent)
    if not sendable:
        raise ReplyNotAllowed(
            f"Replies cannot be sent to {row.platform} conversations from the desk: "
            "no sender is configured for that platform."
        )
    last = row.last_customer_message_at or row.created_at
    if reply_window is not None and now - last > reply_window:
        raise ReplyNotAllowed(
            f"{row.platform.capitalize()} lets a person reply only within "
            f"{_days(reply_window)} of the customer's last message, and theirs was "
            f"{_days(now - last)} ago. Reach them another way (the order's e-mail), "
            "or close the ticket."
        )
    address = customer_address(row)
    if address is None:
        raise DeskError(
            f"Ticket {row.id}'s conversation ({row.platform}) has no platform address to reply to."
        )
    platform, account_id, user_id = address
    message = OutboundMessage(
        platform=platform, account_id=account_id, user_id=user_id, text=text, from_person=True
    )
    enqueue(session, [message], agent_id=agent.id, handoff_request_id=row.id)
    outbox_id = session.scalar(
        select(func.max(OutboxMessage.id)).where(OutboxMessage.handoff_request_id == row.id)
    )
    if row.status is HandoffStatus.OPEN:
        row.status, row.assignee_id, row.claimed_at = HandoffStatus.CLAIMED, agent.id, now
    if row.first_response_at is None:
        row.first_response_at = now
    row.updated_at = now
    session.flush()
    assert outbox_id is not None
    return int(outbox_id)


def add_note(session: Session, ticket_id: int, agent: Agent, text: str) -> int:
    """A private note (any agent may add one, on any ticket, even closed)."""
    text = text.strip()
    if not text:
        raise DeskError("The note is empty.")
    if len(text) > NOTE_MAX:
        raise DeskError(f"The note is {len(text):,} characters; the limit is {NOTE_MAX:,}.")
    row = _ticket(session, ticket_id)
    now = datetime.now(UTC)
    note = TicketNote(handoff_request_id=row.id, agent_id=agent.id, text=text, created_at=now)
    session.add(note)
    row.updated_at = now
    session.flush()
    return note.id


def check_can_end(session: Session, ticket_id: int, agent: Agent) -> HandoffRequest:
    """The ticket, if this agent may close it or return it to the bot (its owner, anyone on an
    unclaimed ticket, or an admin); DeskError otherwise."""
    return _owned(session, ticket_id, agent)


def end(session: Session, ticket_id: int, agent: Agent, resolution: Resolution) -> None:
    """Close the ticket (the engine must already be resumed: see desk.service)."""
    row = _owned(session, ticket_id, agent)
    now = datetime.now(UTC)
    row.status = HandoffStatus.CLOSED
    row.resolution = resolution
    row.closed_at = now
    row.updated_at = now
    if row.assignee_id is None:
        row.assignee_id, row.claimed_at = agent.id, now
    session.flush()


# --- helpers ------------------------------------------------------------------------------


def _ticket(session: Session, ticket_id: int) -> HandoffRequest:
    row = session.get(HandoffRequest, ticket_id, with_for_update=True)
    if row is None:
        raise TicketNotFound(f"There is no ticket {ticket_id}.")
    return row


def _owned(session: Session, ticket_id: int, agent: Agent) -> HandoffRequest:
    """The ticket, if it is not closed and `agent` may act on it."""
    row = _ticket(session, ticket_id)
    if row.status is HandoffStatus.CLOSED:
        raise TicketConflict(f"Ticket {ticket_id} is closed.")
    if row.assignee_id not in (None, agent.id) and agent.role != "admin":
        raise TicketConflict(_unavailable(session, row))
    return row


def _unavailable(session: Session, row: HandoffRequest) -> str:
    if row.status is HandoffStatus.CLOSED:
        return f"Ticket {row.id} is closed."
    owner = session.get(Agent, row.assignee_id) if row.assignee_id else None
    return f"Ticket {row.id} is already taken by {owner.display_name if owner else 'someone'}."


def _summary(row: HandoffRequest, assignee_name: str | None) -> TicketSummary:
    return TicketSummary(
        id=row.id,
        status=row.status,
        platform=row.platform,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        reason=row.reason.value,
        summary=row.summary,
        priority=row.priority,
        priority_signals=tuple(row.priority_signals or ()),
        created_at=row.created_at,
        sla_due_at=row.sla_due_at,
        updated_at=row.updated_at,
        assignee_id=row.assignee_id,
        assignee_name=assignee_name,
        first_response_at=row.first_response_at,
        closed_at=row.closed_at,
        resolution=row.resolution,
    )


def _transcript(session: Session, row: HandoffRequest) -> list[TranscriptEntry]:
    """What the bot recorded up to the handoff, then everything since, in time order."""
    entries: list[TranscriptEntry] = []
    for line in (row.context or {}).get("transcript") or ():
        entries.append(
            TranscriptEntry(
                kind="customer" if line.get("sender") == "customer" else "bot",
                text=str(line.get("text") or ""),
                at=_parse_time(line.get("at")),
            )
        )
    until = row.closed_at or datetime.max.replace(tzinfo=UTC)
    later: list[TranscriptEntry] = []
    inbound = session.execute(
        select(InboxMessage.text, InboxMessage.received_at)
        .where(
            InboxMessage.conversation_key == row.conversation_id,
            InboxMessage.received_at > row.created_at,
            InboxMessage.received_at <= until,
        )
        .order_by(InboxMessage.id)
    )
    later += [TranscriptEntry("customer", text, at) for text, at in inbound]
    outbound = session.execute(
        select(OutboxMessage, Agent.display_name)
        .outerjoin(Agent, Agent.id == OutboxMessage.agent_id)
        .where(
            OutboxMessage.conversation_key == row.conversation_id,
            OutboxMessage.created_at >= row.created_at,
            OutboxMessage.created_at <= until,
        )
        .order_by(OutboxMessage.id)
    )
    later += [
        TranscriptEntry(
            "agent" if message.from_person else "bot",
            message.text,
            message.created_at,
            author=name,
            delivery=message.status.value,
            error=message.last_error,
        )
        for message, name in outbound
    ]
    notes = session.execute(
        select(TicketNote, Agent.display_name)
        .outerjoin(Agent, Agent.id == TicketNote.agent_id)
        .where(TicketNote.handoff_request_id == row.id)
        .order_by(TicketNote.id)
    )
    later += [TranscriptEntry("note", n.text, n.created_at, author=name) for n, name in notes]
    # Stable: a customer message and the bot's answer stored in the same instant keep order.
    later.sort(key=lambda entry: entry.at or row.created_at)
    return entries + later


def _latest_handle(session: Session, conversation_key: str) -> str | None:
    return session.scalar(
        select(InboxMessage.user_handle)
        .where(
            InboxMessage.conversation_key == conversation_key,
            InboxMessage.user_handle.is_not(None),
        )
        .order_by(InboxMessage.id.desc())
        .limit(1)
    )


def customer_address(row: HandoffRequest) -> tuple[str, str, str] | None:
    """(platform, account, user) from the conversation key `platform:account:user`; None for a
    conversation that did not come through a platform (the engine's REST channel)."""
    parts = row.conversation_id.split(":", 2)
    if len(parts) != 3 or parts[0] != row.platform:
        return None
    return parts[0], parts[1], parts[2]


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:.0f} days" if days >= 1.5 else f"{span.total_seconds() / 3600:.0f} hours"


__all__: Sequence[str] = [
    "DeskError",
    "ReplyNotAllowed",
    "TicketConflict",
    "TicketDetail",
    "TicketNotFound",
    "TicketSummary",
    "TranscriptEntry",
    "add_note",
    "claim",
    "customer_address",
    "detail",
    "end",
    "open_ticket_id",
    "queue",
    "queue_counts",
    "reply",
    "take_customer_message",
    "version",
]
