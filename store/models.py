"""Tables of the store: orders, their shipments and tracking events, handoff requests (the desk's
tickets), the desk's staff, notes and settings, and the message path: inbox, outbox and poll
cursors.

Statuses are Python `StrEnum`s stored as plain strings with a CHECK constraint (not native
PostgreSQL enums), so SQLite and PostgreSQL share one schema and adding a status is a simple
migration.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PLACED = "placed"
    PAID = "paid"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class ShipmentStatus(StrEnum):
    """Where a parcel is, as the courier reports it."""

    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"


class HandoffStatus(StrEnum):
    """Where a handoff request (a ticket) is on the support desk."""

    OPEN = "open"  # in the queue, nobody has it
    CLAIMED = "claimed"  # an agent owns it
    CLOSED = "closed"  # ended: see `resolution`


class Resolution(StrEnum):
    """How a ticket ended."""

    CLOSED = "closed"  # a person dealt with it
    RETURNED_TO_BOT = "returned_to_bot"  # handed back for the bot to go on


class Priority(StrEnum):
    """How soon a ticket should be picked up; the SLA target depends on it."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class AgentRole(StrEnum):
    """What a member of staff may do on the desk."""

    AGENT = "agent"  # work tickets
    ADMIN = "admin"  # also manage staff, business hours and SLA targets


class HandoffReason(StrEnum):
    """Why the bot handed the conversation to a person."""

    CUSTOMER_REQUEST = "customer_request"
    REPEATED_MISUNDERSTANDING = "repeated_misunderstanding"
    UNKNOWN_CODE = "unknown_code"
    INVALID_CODE = "invalid_code"
    DELIVERY_PROBLEM = "delivery_problem"
    COMPLAINT = "complaint"
    OTHER = "other"


class InboxStatus(StrEnum):
    """Where a customer message is on its way to the engine."""

    PENDING = "pending"  # waiting (also after the engine was unreachable: see next_attempt_at)
    PROCESSING = "processing"  # a router worker has it
    DONE = "done"  # the replies are in the outbox (or there were none: a person owns the chat)
    FAILED = "failed"  # could not be processed; last_error says why


class OutboxStatus(StrEnum):
    """Where a reply is on its way to the customer."""

    PENDING = "pending"  # waiting for its turn (or for next_attempt_at after a failed try)
    SENDING = "sending"  # handed to the platform's sender
    SENT = "sent"
    FAILED = "failed"  # the platform refused it for good; last_error says why


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC and always read back aware.

    SQLite has no timezone type and returns naive values; normalising to UTC on the way in and
    tagging UTC on the way out makes both databases behave the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timestamps with a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def _status_type(enum: type[StrEnum], name: str) -> SAEnum:
    """A VARCHAR + CHECK column type holding the enum's values (not its member names)."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base; constraint names are fixed so migrations can refer to them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Order(Base):
    """A customer's order, known by the code printed on the confirmation email."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[OrderStatus] = mapped_column(_status_type(OrderStatus, "order_status"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    items_summary: Mapped[str] = mapped_column(String(500))

    shipments: Mapped[list[Shipment]] = relationship(back_populates="order", order_by="Shipment.id")


class Shipment(Base):
    """A parcel with a courier's tracking number; may be known before (or without) its order."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(64), unique=True)
    courier_code: Mapped[str] = mapped_column(String(32))
    courier_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[ShipmentStatus] = mapped_column(_status_type(ShipmentStatus, "shipment_status"))
    estimated_delivery: Mapped[date | None]
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )

    order: Mapped[Order | None] = relationship(back_populates="shipments")
    events: Mapped[list[ShipmentEvent]] = relationship(
        back_populates="shipment",
        order_by="(ShipmentEvent.occurred_at, ShipmentEvent.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ShipmentEvent(Base):
    """One scan in a shipment's tracking history."""

    __tablename__ = "shipment_events"
    # The natural key of an event; re-importing the same history updates rather than duplicates.
    __table_args__ = (
        UniqueConstraint("shipment_id", "occurred_at", "description", name="uq_shipment_events"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300))
    status: Mapped[ShipmentStatus] = mapped_column(
        _status_type(ShipmentStatus, "shipment_event_status")
    )

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class HandoffRequest(Base):
    """A conversation the bot passed to a person, with what it knew at that moment: the desk's
    ticket. While it is not closed the conversation belongs to people, not to the bot."""

    __tablename__ = "handoff_requests"
    __table_args__ = (
        Index("ix_handoff_requests_status_created_at", "status", "created_at"),
        Index("ix_handoff_requests_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[HandoffStatus] = mapped_column(_status_type(HandoffStatus, "handoff_status"))
    platform: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    customer_id: Mapped[str] = mapped_column(String(200))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[HandoffReason] = mapped_column(_status_type(HandoffReason, "handoff_reason"))
    summary: Mapped[str] = mapped_column(String(300))
    context: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # --- the desk --------------------------------------------------------------------------
    priority: Mapped[Priority] = mapped_column(
        _status_type(Priority, "ticket_priority"), default=Priority.NORMAL
    )
    # Why the priority is what it is ("complaint", "angry wording", ...), for the agent.
    priority_signals: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    # The first reply of a person is due then (SLA); stored, so a restart keeps the timer.
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Any change a console should show (new message, claim, reply, note, close) moves it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[Resolution | None] = mapped_column(
        _status_type(Resolution, "ticket_resolution")
    )

    assignee: Mapped[Agent | None] = relationship()


class Agent(Base):
    """A member of the support staff who signs in to the desk."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[AgentRole] = mapped_column(_status_type(AgentRole, "agent_role"))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TicketNote(Base):
    """A private note on a ticket: staff see it, the customer never does."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_request_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_requests.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CannedReply(Base):
    """A ready-made answer staff can put in the reply box."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100), unique=True)
    text: Mapped[str] = mapped_column(Text)


class DeskSetting(Base):
    """One desk setting chosen by an admin (business hours, SLA targets), as a JSON value."""

    __tablename__ = "desk_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginThrottle(Base):
    """Failed sign-ins per user name or per address: the next try waits until `blocked_until`."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # "user:alice", "ip:..."
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxMessage(Base):
    """A customer message as stored on arrival; `id` is the arrival order."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        # A redelivered webhook (or a re-read poll page) inserts nothing.
        UniqueConstraint(
            "platform", "platform_message_id", name="uq_inbox_messages_platform_message_id"
        ),
        Index("ix_inbox_messages_conversation_key_id", "conversation_key", "id"),
        Index("ix_inbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # At most one message per conversation is with a worker: the database itself refuses a
        # second, whatever the claiming query or the number of router processes.
        Index(
            "ux_inbox_messages_one_processing_per_conversation",
            "conversation_key",
            unique=True,
            sqlite_where=sql_text("status = 'processing'"),
            postgresql_where=sql_text("status = 'processing'"),
        ),
        # Ids never go back, even after the newest row is deleted: they are the arrival order.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    platform_message_id: Mapped[str] = mapped_column(String(255))
    conversation_key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    user_name: Mapped[str | None] = mapped_column(String(200))
    user_handle: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[InboxStatus] = mapped_column(_status_type(InboxStatus, "inbox_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Pending: not before this time (back-off). Processing: the worker's lease ends then, and a
    # row still processing afterwards is taken as abandoned by a crashed worker.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # latest claim
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A reply as stored before it is sent; sent in `id` order within its conversation."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # A turn processed twice (a crash between the engine's answer and our commit) cannot
        # enqueue its replies twice. NULL inbox ids (a person's replies) never conflict.
        UniqueConstraint(
            "inbox_message_id", "position", name="uq_outbox_messages_inbox_message_id_position"
        ),
        Index("ix_outbox_messages_conversation_key_id", "conversation_key", "id"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # At most one reply per conversation is being sent: replies arrive in order.
        Index(
            "ux_outbox_messages_one_sending_per_conversation",
            "conversation_key",
            unique=True,
            sqlite_where=sql_text("status = 'sending'"),
            postgresql_where=sql_text("status = 'sending'"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_messages.id", ondelete="SET NULL")
    )
    platform: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    conversation_key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)  # within the turn that produced it
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument)
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    from_person: Mapped[bool] = mapped_column(Boolean, default=False)
    # A person's reply: who wrote it, on which ticket.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    handoff_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("handoff_requests.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[OutboxStatus] = mapped_column(_status_type(OutboxStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Pending: not before this time (back-off, Retry-After). Sending: the sender's lease ends
    # then, and a row still sending afterwards is retried (its worker crashed).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    platform_message_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PollCursor(Base):
    """The newest platform event seen by a poller (X without webhooks), per account."""

    __tablename__ = "poll_cursors"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    newest_event_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
