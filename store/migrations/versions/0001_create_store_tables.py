"""Create the store tables: orders, shipments, shipment events, handoff requests.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Frozen copy of the schema at this revision: it does not import `store.models`, so later
model changes cannot alter what this migration does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_STATUSES = ("placed", "paid", "packed", "shipped", "delivered", "cancelled", "returned")
SHIPMENT_STATUSES = (
    "label_created",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
    "returned",
)
HANDOFF_STATUSES = ("open", "claimed", "closed")
HANDOFF_REASONS = (
    "customer_request",
    "repeated_misunderstanding",
    "unknown_code",
    "invalid_code",
    "delivery_problem",
    "complaint",
    "other",
)


def one_of(column: str, values: Sequence[str], name: str) -> sa.CheckConstraint:
    """The CHECK constraint store.models puts on a status column (same name, same values)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    # op.f: the name is final, not to be run through the naming convention again.
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(name))


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("items_summary", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("code", name="uq_orders_code"),
        one_of("status", ORDER_STATUSES, "ck_orders_order_status"),
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("courier_code", sa.String(length=32), nullable=False),
        sa.Column("courier_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("estimated_delivery", sa.Date(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_shipments_order_id_orders",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shipments"),
        sa.UniqueConstraint("tracking_number", name="uq_shipments_tracking_number"),
        one_of("status", SHIPMENT_STATUSES, "ck_shipments_shipment_status"),
    )
    op.create_index("ix_shipments_order_id", "shipments", ["order_id"])
    op.create_table(
        "shipment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name="fk_shipment_events_shipment_id_shipments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shipment_events"),
        sa.UniqueConstraint("shipment_id", "occurred_at", "description", name="uq_shipment_events"),
        one_of("status", SHIPMENT_STATUSES, "ck_shipment_events_shipment_event_status"),
    )
    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_requests"),
        one_of("status", HANDOFF_STATUSES, "ck_handoff_requests_handoff_status"),
        one_of("reason", HANDOFF_REASONS, "ck_handoff_requests_handoff_reason"),
    )
    op.create_index("ix_handoff_requests_conversation_id", "handoff_requests", ["conversation_id"])
    op.create_index(
        "ix_handoff_requests_status_created_at", "handoff_requests", ["status", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("handoff_requests")
    op.drop_table("shipment_events")
    op.drop_table("shipments")
    op.drop_table("orders")
