"""The inbox table as the router's queue: claim the next message of each conversation, record
the turn's outcome.

Claiming takes, per conversation, only the oldest message not yet processed, and only when no
message of that conversation is being processed: one turn at a time per conversation, in arrival
order, while conversations run in parallel. On PostgreSQL the claim locks the rows it takes
(`FOR UPDATE SKIP LOCKED`), so several router processes never take the same row, and a partial
unique index refuses a second `processing` row per conversation whatever happens. On SQLite run
one router process (no row locks there; one process's single claim loop is safe).

A claimed row is `processing` with a lease (`next_attempt_at`); a row still processing after its
lease (its worker died) is claimed again. Every later write checks the row is still ours (status
and attempt number).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.tickets import held_conversations, take_customer_message
from outbox.enqueue import enqueue
from outbox.messages import OutboundMessage
from store.claims import claim_oldest_per_conversation
from store.models import InboxMessage, InboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """A claimed customer message: what the router needs to run its dialogue turn."""

    inbox_id: int
    attempt: int  # 1 for the first try; above 1 the engine may already have seen it
    platform: str
    account_id: str
    user_id: str
    conversation_key: str
    text: str
    payload: str | None
    attachments: tuple[dict[str, Any], ...]  # {"kind", "url", "description"}
    user_name: str | None
    user_handle: str | None
    received_at: datetime
    # A ticket held the conversation when the message was claimed: a person owns it.
    held: bool = False


def claim_due(session_factory: sessionmaker[Session], limit: int, lease: float) -> list[Turn]:
    """Claim up to `limit` due messages, each from a different conversation, oldest first."""
    if limit < 1:
        return []
    try:
        with session_factory.begin() as session:
            return _claim(session, limit, lease)
    except IntegrityError:
        # Another router process claimed a message of one of these conversations between our
        # read and our write; the one-processing-per-conversation index refused ours.
        log.info("router: claim raced with another router; retrying")
        return []


def claim_first_in(
    session: Session, lease: float, conversation_keys: Collection[str]
) -> Turn | None:
    """In the caller's transaction: claim the oldest due message of these conversations, under
    the same rules as `claim_due`. May raise IntegrityError on PostgreSQL when another router
    process just claimed a message of the same conversation."""
    where = [InboxMessage.conversation_key.in_(list(conversation_keys))]
    claimed = _claim(session, 1, lease, where)
    return claimed[0] if claimed else None


def _claim(
    session: Session, limit: int, lease: float, where: Sequence[ColumnElement[bool]] = ()
) -> list[Turn]:
    now = datetime.now(UTC)
    rows = claim_oldest_per_conversation(
        session,
        InboxMessage,
        waiting=InboxStatus.PENDING,
        working=InboxStatus.PROCESSING,
        limit=limit,
        lease=lease,
        now=now,
        where=where,
    )
    for claimed in rows:
        claimed.claimed_at = now
    # Read in the claim's transaction, so a turn needs no extra one to know it.
    held = held_conversations(session, {r.conversation_key for r in rows}) if rows else set()
    return [_turn(r, held=r.conversation_key in held) for r in rows]


def finish_turn_in(session: Session, turn: Turn, replies: Sequence[OutboundMessage]) -> bool:
    """In the caller's transaction (the outbox sender's, which claims the first reply in it):
    the replies into the outbox, the message marked done.

    False (and nothing written) if the message is no longer ours: our lease ran out and another
    worker took it over; that worker finds the turn in the engine's tracker and enqueues it.
    """
    if not _mark_done(session, turn):
        return False
    enqueue(session, replies, inbox_message_id=turn.inbox_id)
    return True


def has_waiting(session: Session, conversation_key: str) -> bool:
    """Whether the conversation has a message waiting (pending, due or not)."""
    query = select(InboxMessage.id).where(
        InboxMessage.conversation_key == conversation_key,
        InboxMessage.status == InboxStatus.PENDING,
    )
    return session.scalar(query.limit(1)) is not None


def give_to_ticket(session_factory: sessionmaker[Session], turn: Turn) -> int | None:
    """If a person holds the conversation (an open ticket), the message goes to the ticket and
    is done, with no reply from the bot: returns the ticket id. None: the bot should answer.

    One transaction, so a ticket closed meanwhile cannot swallow the message.
    """
    with session_factory() as session, session.begin() as transaction:
        ticket_id = take_customer_message(session, turn.conversation_key, turn.received_at)
        if ticket_id is None:
            return None
        if not _mark_done(session, turn):
            transaction.rollback()  # not ours any more: the worker that has it decides
            return None
        return ticket_id


def postpone(session_factory: sessionmaker[Session], turn: Turn, delay: float, error: str) -> bool:
    """Back to `pending`, due in `delay` s; the conversation's later messages wait behind it."""
    with session_factory.begin() as session:
        return _update_if_ours(
            session,
            turn,
            status=InboxStatus.PENDING,
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
            last_error=error,
        )


def mark_failed(session_factory: sessionmaker[Session], turn: Turn, error: str) -> bool:
    """Give up on the message (the conversation moves on); `error` stays on the row."""
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        return _update_if_ours(
            session, turn, status=InboxStatus.FAILED, processed_at=now, last_error=error
        )


def release_claims(session_factory: sessionmaker[Session]) -> int:
    """Make every `processing` row due now. Only safe when no other router process is running.

    For start-up with a single router process: what its previous run left processing is taken
    again at once instead of after the lease. Returns how many rows were released.
    """
    with session_factory.begin() as session:
        result = session.execute(
            update(InboxMessage)
            .where(InboxMessage.status == InboxStatus.PROCESSING)
            .values(next_attempt_at=datetime.now(UTC))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _mark_done(session: Session, turn: Turn) -> bool:
    now = datetime.now(UTC)
    return _update_if_ours(
        session,
        turn,
        status=InboxStatus.DONE,
        processed_at=now,
        next_attempt_at=now,
        last_error=None,
    )


def _update_if_ours(session: Session, turn: Turn, **values: object) -> bool:
    result = session.execute(
        update(InboxMessage)
        .where(
            InboxMessage.id == turn.inbox_id,
            InboxMessage.status == InboxStatus.PROCESSING,
            InboxMessage.attempts == turn.attempt,
        )
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def _turn(row: InboxMessage, *, held: bool = False) -> Turn:
    return Turn(
        inbox_id=row.id,
        attempt=row.attempts,
        platform=row.platform,
        account_id=row.account_id,
        user_id=row.user_id,
        conversation_key=row.conversation_key,
        text=row.text,
        payload=row.payload,
        attachments=tuple(row.attachments),
        user_name=row.user_name,
        user_handle=row.user_handle,
        received_at=row.received_at,
        held=held,
    )
