"""What the reports page shows: how the desk and the bot did, per day and per platform.

Every figure is counted in the database (GROUP BY), so a range with 100,000 messages moves only
a few hundred numbers to Python; percentiles are the one exception and are computed here from
one day's values at a time. Days are calendar days in the desk's time zone (the business
hours'), from local midnight to local midnight, so a DST day has 23 or 25 hours.

Definitions (each figure is keyed by the day its first timestamp falls on):

- **Inbound messages**: customer messages stored in the inbox (`received_at`).
- **Answered**: a customer message is answered when a reply to the customer that was sent
  (outbox status `sent`) followed it in its conversation: a bot reply to that message or to a
  later one of the same conversation (`outbox.inbox_message_id >= inbox.id`; inbox ids are the
  arrival order), or a reply not produced by a turn — a person's reply, the "back to the bot"
  note — created at or after the message arrived. A reply still pending or failed does not
  count.
- **Bot first response**: from a message's arrival (`received_at`) to the earliest `sent_at` of
  the bot's replies to that very message. Messages without a sent bot reply are not in it.
- **Human first response**: from a ticket's creation to `first_response_at` (a person's first
  reply), for tickets created that day that have one.
- **Bot containment**: of the conversations with at least one customer message that day, the
  share for which no ticket was created that day.
- **Handoffs by reason**: tickets created that day, by `reason`.
- **Agent pickup time**: from a ticket's creation to `claimed_at`, median and 90th percentile
  (linear interpolation between closest ranks) of the tickets created that day that were
  picked up (closing an unclaimed ticket picks it up).
- **SLA breaches**: tickets created that day with an SLA due time whose first reply came after
  it, or has not come and the due time has passed — `desk.sla.breached`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from store.models import HandoffRequest, InboxMessage, OutboxMessage, OutboxStatus

# The longest range one report covers: keeps the per-row day lookup (a CASE over the day
# boundaries) cheap and the charts readable.
MAX_DAYS = 92


@dataclass(frozen=True)
class Bucket:
    """One bar of a histogram: values from `low` (included) to `high` (excluded; None: no end)."""

    label: str
    low: float
    high: float | None


# Seconds from a customer's message to the bot's first reply.
BOT_BUCKETS: tuple[Bucket, ...] = (
    Bucket("< 1 s", 0, 1),
    Bucket("1–5 s", 1, 5),
    Bucket("5–30 s", 5, 30),
    Bucket("30 s–5 min", 30, 300),
    Bucket("> 5 min", 300, None),
)
# Minutes from a ticket's creation to a person's first reply.
HUMAN_BUCKETS: tuple[Bucket, ...] = (
    Bucket("< 5 min", 0, 5),
    Bucket("5–15 min", 5, 15),
    Bucket("15–30 min", 15, 30),
    Bucket("30–60 min", 30, 60),
    Bucket("1–4 h", 60, 240),
    Bucket("> 4 h", 240, None),
)


@dataclass(frozen=True)
class Messages:
    """Customer messages of one day on one platform, and how many were answered."""

    day: date
    platform: str
    inbound: int
    answered: int

    @property
    def share_answered(self) -> float | None:
        return self.answered / self.inbound if self.inbound else None


@dataclass(frozen=True)
class Distribution:
    """How many values of one day on one platform fell in each bucket (in bucket order)."""

    day: date
    platform: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Containment:
    """Conversations of one day on one platform; `with_ticket` of them were handed to a person."""

    day: date
    platform: str
    conversations: int
    with_ticket: int

    @property
    def contained(self) -> int:
        return self.conversations - self.with_ticket

    @property
    def share_contained(self) -> float | None:
        return self.contained / self.conversations if self.conversations else None


@dataclass(frozen=True)
class Handoffs:
    """Tickets created on one day on one platform for one reason."""

    day: date
    platform: str
    reason: str
    count: int


@dataclass(frozen=True)
class Pickup:
    """How long the tickets created on one day waited for a person to take them (seconds).
    `platform` None: all the report's platforms together."""

    day: date
    platform: str | None
    picked_up: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class SlaBreaches:
    """Tickets created on one day on one platform with an SLA due time, and how many missed it."""

    day: date
    platform: str
    tickets: int
    breached: int


@dataclass(frozen=True)
class Report:
    """Every figure of the reports page for `start`..`end` (both included)."""

    start: date
    end: date
    timezone: str
    platform: str | None  # None: every platform
    generated_at: datetime
    messages: tuple[Messages, ...] = ()
    bot_first_response: tuple[Distribution, ...] = ()
    human_first_response: tuple[Distribution, ...] = ()
    containment: tuple[Containment, ...] = ()
    handoffs: tuple[Handoffs, ...] = ()
    pickup: tuple[Pickup, ...] = ()
    sla: tuple[SlaBreaches, ...] = ()
    bot_buckets: tuple[Bucket, ...] = BOT_BUCKETS
    human_buckets: tuple[Bucket, ...] = HUMAN_BUCKETS
    platforms: tuple[str, ...] = field(default=())  # those with any figure, sorted

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def as_json(self) -> dict[str, Any]:
        """The shape of GET /desk/reports.json."""

        def iso(day: date) -> str:
            return day.isoformat()

        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "timezone": self.timezone,
            "platform": self.platform,
            "platforms": list(self.platforms),
            "generated_at": self.generated_at.isoformat(),
            "messages": [
                {
                    "day": iso(m.day),
                    "platform": m.platform,
                    "inbound": m.inbound,
                    "answered": m.answered,
                    "share_answered": m.share_answered,
                }
                for m in self.messages
            ],
            "bot_first_response": {
                "unit": "seconds",
                "buckets": [_bucket_json(b) for b in self.bot_buckets],
                "days": [_distribution_json(d) for d in self.bot_first_response],
            },
            "human_first_response": {
                "unit": "minutes",
                "buckets": [_bucket_json(b) for b in self.human_buckets],
                "days": [_distribution_json(d) for d in self.human_first_response],
            },
            "containment": [
                {
                    "day": iso(c.day),
                    "platform": c.platform,
                    "conversations": c.conversations,
                    "with_ticket": c.with_ticket,
                    "contained": c.contained,
                    "share_contained": c.share_contained,
                }
                for c in self.containment
            ],
            "handoffs": [
                {"day": iso(h.day), "platform": h.platform, "reason": h.reason, "count": h.count}
                for h in self.handoffs
            ],
            "pickup": [
                {
                    "day": iso(p.day),
                    "platform": p.platform,
                    "picked_up": p.picked_up,
                    "median_seconds": p.median_seconds,
                    "p90_seconds": p.p90_seconds,
                }
                for p in self.pickup
            ],
            "sla": [
                {
                    "day": iso(s.day),
                    "platform": s.platform,
                    "tickets": s.tickets,
                    "breached": s.breached,
                }
                for s in self.sla
            ],
        }


def build_report(
    session: Session,
    start: date,
    end: date,
    timezone: ZoneInfo,
    *,
    platform: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Every figure for the local days `start`..`end` (included), on one platform or all.

    ValueError when the range is backwards or longer than MAX_DAYS days.
    """
    now = now or datetime.now(UTC)
    days = Days(start, end, timezone)
    if session.get_bind().dialect.name == "postgresql":
        # For this transaction only. The correlated "answered later" check makes the planner's
        # estimate high enough to JIT-compile the query, which costs more (~0.5 s) than it
        # saves on 50,000 rows; and the per-message rows are sorted in memory, not on disk.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '32MB'"))
    inbound, bot = messages(session, days, platform)
    figures: dict[str, Any] = {
        "messages": tuple(inbound),
        "bot_first_response": tuple(bot),
        "human_first_response": tuple(human_first_response(session, days, platform)),
        "containment": tuple(containment(session, days, platform)),
        "handoffs": tuple(handoffs(session, days, platform)),
        "pickup": tuple(pickup(session, days, platform)),
        "sla": tuple(sla_breaches(session, days, platform, now)),
    }
    seen = {row.platform for rows in figures.values() for row in rows if row.platform is not None}
    return Report(
        start=start,
        end=end,
        timezone=timezone.key,
        platform=platform,
        generated_at=now,
        platforms=tuple(sorted(seen)),
        **figures,
    )


# --- days ---------------------------------------------------------------------------------


class Days:
    """Local calendar days `start`..`end`, their boundaries as UTC instants, and the SQL that
    tells which of them a timestamp falls on.

    Days of equal length in a row (all but the days clocks change) start at a fixed step, so a
    timestamp's day is arithmetic on its epoch seconds; a CASE picks the run (at most a few:
    one more per daylight-saving change in the range) rather than comparing with every midnight.
    """

    def __init__(self, start: date, end: date, timezone: ZoneInfo) -> None:
        if end < start:
            raise ValueError(f"the range ends ({end}) before it starts ({start})")
        count = (end - start).days + 1
        if count > MAX_DAYS:
            raise ValueError(f"a report covers at most {MAX_DAYS} days, not {count}")
        self.dates = [start + timedelta(days=n) for n in range(count)]
        self.bounds = [
            datetime.combine(start + timedelta(days=n), time(), tzinfo=timezone).astimezone(UTC)
            for n in range(count + 1)
        ]
        epochs = [int(bound.timestamp()) for bound in self.bounds]
        # Runs of days of one length: (index of the first day, its start, the length).
        self.runs: list[tuple[int, int, int]] = []
        for n in range(count):
            length = epochs[n + 1] - epochs[n]
            if not self.runs or self.runs[-1][2] != length:
                self.runs.append((n, epochs[n], length))

    @property
    def first(self) -> datetime:
        return self.bounds[0]

    @property
    def after(self) -> datetime:
        return self.bounds[-1]

    def within(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.first, column < self.after)

    def index(self, column: Any) -> ColumnElement[int]:
        """The day number (0 = start) of a timestamp already known to be `within`."""
        numbers = [
            day_number(column, *(literal_column(str(v)) for v in (run_start, length, first_index)))
            for first_index, run_start, length in self.runs
        ]
        if len(numbers) == 1:
            return numbers[0]
        whens = [
            (column < self.bounds[self.runs[k + 1][0]], number)
            for k, number in enumerate(numbers[:-1])
        ]
        return case(*whens, else_=numbers[-1])

    def day(self, index: int) -> date:
        return self.dates[int(index)]


class day_number(FunctionElement[int]):  # lower case: it reads as a SQL function
    """`(epoch seconds of a timestamp - start) / length + first`, in whole numbers."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    moment, start, length, first = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((CAST(strftime('%s', {moment}) AS INTEGER) - {start}) / {length} + {first})"


@compiles(day_number, "postgresql")
def _day_number_postgresql(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    moment, start, length, first = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((CAST(FLOOR(EXTRACT(EPOCH FROM {moment})) AS BIGINT) - {start}) / {length} + {first})"


class seconds_between(FunctionElement[float]):  # lower case: it reads as a SQL function
    """`later - earlier` in seconds, in each database's own date arithmetic.

    SQLite's julianday() is a double counting days, good to some 40 µs: rounded to the
    millisecond, a value on a bucket's edge (exactly 5 s) stays on it.
    """

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


def _bucket_index(value: Any, buckets: Sequence[Bucket]) -> ColumnElement[int]:
    whens = [(value < b.high, n) for n, b in enumerate(buckets) if b.high is not None]
    return case(*whens, else_=len(buckets) - 1)


# --- the figures --------------------------------------------------------------------------


def messages(
    session: Session, days: Days, platform: str | None = None
) -> tuple[list[Messages], list[Distribution]]:
    """Inbound messages and how many were answered, and the bot's first-response times in
    BOT_BUCKETS, per day and platform: one pass over the range's messages."""
    m = InboxMessage
    own = aliased(OutboxMessage)
    # Per message: when the first of the bot's replies to it was sent. An aggregate subquery,
    # so the databases compute it once per message rather than once per use below.
    per_message = (
        select(
            m.id.label("id"),
            m.platform.label("platform"),
            m.conversation_key.label("conversation"),
            m.received_at.label("received_at"),
            func.min(own.sent_at).label("first_sent"),
            seconds_between(func.min(own.sent_at), m.received_at).label("seconds"),
        )
        .outerjoin(own, and_(own.inbox_message_id == m.id, own.status == OutboxStatus.SENT))
        .where(days.within(m.received_at), *_on(m.platform, platform))
        .group_by(m.id, m.platform, m.conversation_key, m.received_at)
        .subquery()
    )
    reply = aliased(OutboxMessage)
    # Only asked of the messages without a sent reply of their own (CASE stops at the first
    # true branch): a later answer in the conversation, by the bot or by a person.
    answered_later = exists().where(
        reply.conversation_key == per_message.c.conversation,
        reply.status == OutboxStatus.SENT,
        or_(
            reply.inbox_message_id > per_message.c.id,
            and_(
                reply.inbox_message_id.is_(None),
                reply.created_at >= per_message.c.received_at,
            ),
        ),
    )
    rows = select(
        days.index(per_message.c.received_at).label("day"),
        per_message.c.platform,
        case(
            (per_message.c.first_sent.is_(None), -1),
            else_=_bucket_index(per_message.c.seconds, BOT_BUCKETS),
        ).label("bucket"),
        case((per_message.c.first_sent.is_not(None), 1), (answered_later, 1), else_=0).label(
            "answered"
        ),
    ).subquery()
    # Grouped one level up: PostgreSQL matches GROUP BY expressions by their text, and the
    # bounds would be rendered as different parameters in the SELECT and the GROUP BY.
    query = select(
        rows.c.day, rows.c.platform, rows.c.bucket, func.count(), func.sum(rows.c.answered)
    ).group_by(rows.c.day, rows.c.platform, rows.c.bucket)
    inbound: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    timed: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(BOT_BUCKETS))
    for day, name, bucket, count, answered in session.execute(query):
        key = (int(day), str(name))
        inbound[key][0] += int(count)
        inbound[key][1] += int(answered or 0)
        if bucket is not None and int(bucket) >= 0:
            timed[key][int(bucket)] += int(count)
    return (
        sorted(
            (Messages(days.day(d), name, n, a) for (d, name), (n, a) in inbound.items()),
            key=_day_platform,
        ),
        sorted(
            (Distribution(days.day(d), name, tuple(c)) for (d, name), c in timed.items()),
            key=_day_platform,
        ),
    )


def human_first_response(
    session: Session, days: Days, platform: str | None = None
) -> list[Distribution]:
    """Minutes from a ticket's creation to a person's first reply, in HUMAN_BUCKETS."""
    h = HandoffRequest
    timed = (
        select(
            days.index(h.created_at).label("day"),
            h.platform.label("platform"),
            seconds_between(h.first_response_at, h.created_at).label("seconds"),
        )
        .where(days.within(h.created_at), *_on(h.platform, platform))
        .subquery()
    )
    return _distribution(session, timed, HUMAN_BUCKETS, days, divisor=60.0)


def _distribution(
    session: Session, timed: Any, buckets: Sequence[Bucket], days: Days, divisor: float
) -> list[Distribution]:
    # Two levels: PostgreSQL matches GROUP BY expressions by their text, and the bucket bounds
    # would be rendered as different parameters in the SELECT and the GROUP BY.
    bucketed = (
        select(
            timed.c.day,
            timed.c.platform,
            _bucket_index(timed.c.seconds / divisor, buckets).label("bucket"),
        )
        .where(timed.c.seconds.is_not(None))
        .subquery()
    )
    query = select(bucketed.c.day, bucketed.c.platform, bucketed.c.bucket, func.count()).group_by(
        bucketed.c.day, bucketed.c.platform, bucketed.c.bucket
    )
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(buckets))
    for day, name, bucket, count in session.execute(query):
        counts[(int(day), name)][int(bucket)] += int(count)
    return sorted(
        (Distribution(days.day(day), name, tuple(c)) for (day, name), c in counts.items()),
        key=_day_platform,
    )


def containment(session: Session, days: Days, platform: str | None = None) -> list[Containment]:
    """Conversations per day and platform, and how many of them got a ticket that day."""
    m, h = InboxMessage, HandoffRequest
    talked = (
        select(
            days.index(m.received_at).label("day"),
            m.platform.label("platform"),
            m.conversation_key.label("conversation"),
        )
        .where(days.within(m.received_at), *_on(m.platform, platform))
        .distinct()
        .subquery()
    )
    handed = (
        select(days.index(h.created_at).label("day"), h.conversation_id.label("conversation"))
        .where(days.within(h.created_at), *_on(h.platform, platform))
        .distinct()
        .subquery()
    )
    query = (
        select(talked.c.day, talked.c.platform, func.count(), func.count(handed.c.conversation))
        .outerjoin(
            handed,
            and_(handed.c.day == talked.c.day, handed.c.conversation == talked.c.conversation),
        )
        .group_by(talked.c.day, talked.c.platform)
    )
    return sorted(
        (
            Containment(days.day(day), name, int(total), int(ticketed))
            for day, name, total, ticketed in session.execute(query)
        ),
        key=_day_platform,
    )


def handoffs(session: Session, days: Days, platform: str | None = None) -> list[Handoffs]:
    """Tickets created per day, platform and reason."""
    h = HandoffRequest
    rows = (
        select(
            days.index(h.created_at).label("day"),
            h.platform.label("platform"),
            h.reason.label("reason"),
        )
        .where(days.within(h.created_at), *_on(h.platform, platform))
        .subquery()
    )
    query = select(rows.c.day, rows.c.platform, rows.c.reason, func.count()).group_by(
        rows.c.day, rows.c.platform, rows.c.reason
    )
    return sorted(
        (
            Handoffs(days.day(day), name, str(reason), int(count))
            for day, name, reason, count in session.execute(query)
        ),
        key=lambda row: (row.day, row.platform, row.reason),
    )


def pickup(session: Session, days: Days, platform: str | None = None) -> list[Pickup]:
    """Median and 90th percentile of the pickup time per day, per platform and all together."""
    h = HandoffRequest
    query = select(
        days.index(h.created_at),
        h.platform,
        seconds_between(h.claimed_at, h.created_at),
    ).where(days.within(h.created_at), h.claimed_at.is_not(None), *_on(h.platform, platform))
    values: dict[tuple[int, str | None], list[float]] = defaultdict(list)
    for day, name, seconds in session.execute(query):
        values[(int(day), name)].append(float(seconds))
        values[(int(day), None)].append(float(seconds))
    found = []
    for (day, name), seconds_list in values.items():
        ordered = sorted(seconds_list)
        found.append(
            Pickup(
                days.day(day),
                name,
                len(ordered),
                percentile(ordered, 0.5),
                percentile(ordered, 0.9),
            )
        )
    return sorted(found, key=lambda row: (row.day, row.platform is not None, row.platform or ""))


def sla_breaches(
    session: Session, days: Days, platform: str | None = None, now: datetime | None = None
) -> list[SlaBreaches]:
    """Tickets with an SLA due time per day and platform, and how many breached it by `now`."""
    now = now or datetime.now(UTC)
    h = HandoffRequest
    late = func.coalesce(h.first_response_at, literal(now, h.first_response_at.type)) > (
        h.sla_due_at
    )
    rows = (
        select(
            days.index(h.created_at).label("day"),
            h.platform.label("platform"),
            case((late, 1), else_=0).label("breached"),
        )
        .where(days.within(h.created_at), h.sla_due_at.is_not(None), *_on(h.platform, platform))
        .subquery()
    )
    query = select(rows.c.day, rows.c.platform, func.count(), func.sum(rows.c.breached)).group_by(
        rows.c.day, rows.c.platform
    )
    return sorted(
        (
            SlaBreaches(days.day(day), name, int(count), int(late_count or 0))
            for day, name, count, late_count in session.execute(query)
        ),
        key=_day_platform,
    )


# --- helpers ------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) of sorted values, interpolating between the closest ranks."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _on(column: Any, platform: str | None) -> list[ColumnElement[bool]]:
    return [] if platform is None else [column == platform]


def _day_platform(row: Messages | Distribution | Containment | SlaBreaches) -> tuple[date, str]:
    return row.day, row.platform


def _bucket_json(bucket: Bucket) -> dict[str, Any]:
    return {"label": bucket.label, "from": bucket.low, "to": bucket.high}


def _distribution_json(row: Distribution) -> dict[str, Any]:
    return {"day": row.day.isoformat(), "platform": row.platform, "counts": list(row.counts)}


def totals(rows: Iterable[Distribution], width: int) -> list[int]:
    """The bucket counts of several days or platforms added up."""
    summed = [0] * width
    for row in rows:
        for n, count in enumerate(row.counts):
            summed[n] += count
    return summed
