"""Claiming queue rows: the oldest due row of each conversation, held for a lease.

The inbox (messages for the router) and the outbox (replies for the sender) are the same kind of
queue: rows in arrival order per conversation, one in work per conversation at a time, taken
again when a worker died and its lease ran out.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from store.models import InboxMessage, OutboxMessage

Row = TypeVar("Row", InboxMessage, OutboxMessage)


def claim_oldest_per_conversation(
    session: Session,
    model: type[Row],
    *,
    waiting: Any,
    working: Any,
    limit: int,
    lease: float,
    now: datetime,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Row]:
    """Mark up to `limit` due rows `working` (one try more, lease until now + `lease`) and return
    them: each the oldest of its conversation, none whose conversation has a row in work.

    Due: `waiting` with its next attempt come, or `working` with its lease run out (the worker
    died). `SKIP LOCKED` lets several processes claim side by side on PostgreSQL.
    """
    other = _other(model)
    # Another row of the same conversation goes first: one in work, or an older one waiting.
    waits_for_another = exists().where(
        other.conversation_key == model.conversation_key,
        other.id != model.id,
        or_(other.status == working, and_(other.status == waiting, other.id < model.id)),
    )
    query = (
        select(model)
        .where(
            *where,
            model.status.in_([waiting, working]),
            model.next_attempt_at <= now,
            ~waits_for_another,
        )
        .order_by(model.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=model)
    )
    rows = list(session.scalars(query))
    for row in rows:
        row.status = working
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=lease)
    return rows


@functools.cache
def _other(model: type[Row]) -> Any:
    # Made once: a new alias per claim costs more Python time than the query (its columns are
    # adapted anew each time), and claims sit on the path of every reply.
    return aliased(model)
