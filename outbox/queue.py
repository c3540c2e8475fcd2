"""The outbox table as a queue: claim the replies that are due, record what became of each.

Claiming takes, per conversation, only the oldest reply not yet sent, and only when none of that
conversation's replies is being sent: so a conversation's replies go out one at a time, in order,
while different conversations go out in parallel. On PostgreSQL the claim locks the rows it takes
(`FOR UPDATE SKIP LOCKED`), so several sender processes never take the same row; on SQLite run
one sender process (SQLite has no row locks; one process's claims, made one at a time on the
claims thread of `outbox.claim_loop`, are safe).

A claimed row is `sending` with a lease (`next_attempt_at`); every later write checks that the
row is still ours (status and attempt number), so a worker whose lease ran out cannot overwrite
the outcome of the one that took the row over. Recording an outcome may claim the conversation's
next reply in the same transaction (`NextReply`): a turn's replies go out back to back, one
write between them. Such a write claims, so it runs where claims run.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from outbox.messages import Button, OutboundMessage
from store.claims import claim_oldest_per_conversation
from store.models import InboxMessage, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """A claimed reply: the row, which try this is, and the message to send."""

    outbox_id: int
    attempt: int  # 1 for the first try; also the claim's token
    message: OutboundMessage
    # When the customer message this answers reached the inbox (None for a person's message):
    # end-to-end latency is measured from it.
    received_at: datetime | None = None


@dataclass(frozen=True)
class NextReply:
    """Also claim the conversation's next reply, if due, in the transaction that records an
    outcome: for these `platforms`, held for `lease` seconds."""

    platforms: Collection[str]
    lease: float


@dataclass(frozen=True)
class Recorded:
    """What recording an outcome found."""

    ours: bool  # False: the row was no longer ours (our lease ran out; another worker took it)
    following: Delivery | None = None  # the conversation's next reply, claimed with it


def claim_due(
    session_factory: sessionmaker[Session],
    platforms: Collection[str],
    limit: int,
    lease: float,
) -> list[Delivery]:
    """Claim up to `limit` due replies for `platforms`, each from a different conversation."""
    if not platforms or limit < 1:
        return []
    try:
        with session_factory.begin() as session:
            return _claim(session, platforms, limit, lease)
    except IntegrityError:
        # Another process claimed a row of one of these conversations between our read and our
        # write; the one-sending-per-conversation index refused ours. Nothing taken; look again.
        log.info("outbox: claim raced with another sender; retrying")
        return []


def claim_next_in(
    session: Session, next_reply: NextReply, conversation_key: str
) -> Delivery | None:
    """In the caller's transaction: claim the conversation's next reply if it is due, under the
    same rules as `claim_due` (none while another of its replies is being sent, none ahead of an
    older one). May raise IntegrityError on PostgreSQL when another process just claimed one of
    the conversation's replies."""
    if not next_reply.platforms:
        return None
    where = [OutboxMessage.conversation_key == conversation_key]
    claimed = _claim(session, next_reply.platforms, 1, next_reply.lease, where)
    return claimed[0] if claimed else None


def mark_sent(
    session_factory: sessionmaker[Session],
    delivery: Delivery,
    platform_ids: list[str],
    next_reply: NextReply | None = None,
) -> Recorded:
    """Record the delivery (and claim `next_reply`)."""
    now = datetime.now(UTC)
    return _finish(
        session_factory,
        delivery,
        next_reply,
        status=OutboxStatus.SENT,
        sent_at=now,
        next_attempt_at=now,
        platform_message_ids=platform_ids,
        last_error=None,
    )


def retry_later(
    session_factory: sessionmaker[Session],
    delivery: Delivery,
    delay: float,
    error: str,
    platform_ids: list[str],
    next_reply: NextReply | None = None,
) -> Recorded:
    """Put the reply back, due in `delay` s, with the error for staff. Its conversation's later
    replies wait behind it, so `next_reply` finds one only when `delay` is nothing."""
    return _finish(
        session_factory,
        delivery,
        next_reply,
        status=OutboxStatus.PENDING,
        next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
        platform_message_ids=platform_ids,
        last_error=error,
    )


def mark_failed(
    session_factory: sessionmaker[Session],
    delivery: Delivery,
    error: str,
    platform_ids: list[str],
    next_reply: NextReply | None = None,
) -> Recorded:
    """Give up on the reply, `error` on the row for staff (and claim `next_reply`: the
    conversation goes on)."""
    return _finish(
        session_factory,
        delivery,
        next_reply,
        status=OutboxStatus.FAILED,
        platform_message_ids=platform_ids,
        last_error=error,
    )


def release_claims(session_factory: sessionmaker[Session]) -> int:
    """Make every `sending` row due now. Only safe when no other sender process is running.

    For start-up with a single sender process: its previous run's rows need not wait for their
    leases to run out. Returns how many rows were released.
    """
    with session_factory.begin() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .values(next_attempt_at=datetime.now(UTC))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _finish(
    session_factory: sessionmaker[Session],
    delivery: Delivery,
    next_reply: NextReply | None,
    **values: object,
) -> Recorded:
    try:
        with session_factory.begin() as session:
            if not _update_if_ours(session, delivery, values):
                return Recorded(ours=False)  # whoever has the row now goes on with the conversation
            if next_reply is None:
                return Recorded(ours=True)
            key = delivery.message.conversation_key
            return Recorded(ours=True, following=claim_next_in(session, next_reply, key))
    except IntegrityError:
        if next_reply is None:
            raise
        # The next reply's claim raced with another process, which now has the conversation;
        # the whole transaction was undone: record the outcome alone.
        log.info("outbox: claim raced with another sender, which has this conversation now")
        return _finish(session_factory, delivery, None, **values)


def _update_if_ours(session: Session, delivery: Delivery, values: dict[str, object]) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == delivery.outbox_id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.attempts == delivery.attempt,
        )
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def _claim(
    session: Session,
    platforms: Collection[str],
    limit: int,
    lease: float,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Delivery]:
    rows = claim_oldest_per_conversation(
        session,
        OutboxMessage,
        waiting=OutboxStatus.PENDING,
        working=OutboxStatus.SENDING,
        limit=limit,
        lease=lease,
        now=datetime.now(UTC),
        where=[*where, OutboxMessage.platform.in_(list(platforms))],
    )
    received = _received_at(session, [r.inbox_message_id for r in rows])
    return [Delivery(r.id, r.attempts, _message(r), received.get(r.inbox_message_id)) for r in rows]


def _received_at(session: Session, inbox_ids: list[int | None]) -> dict[int | None, datetime]:
    wanted = [i for i in inbox_ids if i is not None]
    if not wanted:
        return {}
    query = select(InboxMessage.id, InboxMessage.received_at).where(InboxMessage.id.in_(wanted))
    return {inbox_id: at for inbox_id, at in session.execute(query)}


def _message(row: OutboxMessage) -> OutboundMessage:
    return OutboundMessage(
        platform=row.platform,
        account_id=row.account_id,
        user_id=row.user_id,
        text=row.text,
        buttons=tuple(Button(b["title"], b["payload"]) for b in row.buttons),
        custom=row.custom,
        from_person=row.from_person,
        follows_previous=row.position > 0,
    )
