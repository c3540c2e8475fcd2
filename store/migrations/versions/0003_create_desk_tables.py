"""Create the desk: tickets (handoff requests with owner, priority and SLA), staff, notes,
canned replies, settings and sign-in throttles; who wrote a person's reply in the outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Frozen copy of the schema at this revision: it does not import `store.models`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIORITIES = ("urgent", "high", "normal")
RESOLUTIONS = ("closed", "returned_to_bot")
ROLES = ("agent", "admin")


def one_of(column: str, values: Sequence[str], name: str) -> sa.CheckConstraint:
    """The CHECK constraint store.models puts on a status column (same name, same values)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(name))


def json_document() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("username", name="uq_agents_username"),
        one_of("role", ROLES, "ck_agents_agent_role"),
    )
    with op.batch_alter_table("handoff_requests") as batch:
        batch.add_column(
            sa.Column("priority", sa.String(length=32), nullable=False, server_default="normal")
        )
        batch.add_column(
            sa.Column("priority_signals", json_document(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("last_customer_message_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(length=32), nullable=True))
        batch.create_check_constraint(
            "ticket_priority", sa.text(f"priority IN ({_quoted(PRIORITIES)})")
        )
        batch.create_check_constraint(
            "ticket_resolution", sa.text(f"resolution IN ({_quoted(RESOLUTIONS)})")
        )
        batch.create_foreign_key(
            "fk_handoff_requests_assignee_id_agents",
            "agents",
            ["assignee_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_handoff_requests_assignee_id", ["assignee_id"])
        batch.create_index("ix_handoff_requests_updated_at", ["updated_at"])
    op.execute(
        "UPDATE handoff_requests SET updated_at = created_at, "
        "last_customer_message_at = created_at WHERE updated_at IS NULL"
    )
    with op.batch_alter_table("handoff_requests") as batch:
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_request_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_request_id"],
            ["handoff_requests.id"],
            name="fk_ticket_notes_handoff_request_id_handoff_requests",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_ticket_notes_agent_id_agents", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_notes"),
    )
    op.create_index(
        "ix_ticket_notes_handoff_request_id", "ticket_notes", ["handoff_request_id"]
    )
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canned_replies"),
        sa.UniqueConstraint("title", name="uq_canned_replies_title"),
    )
    op.create_table(
        "desk_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", json_document(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_desk_settings"),
    )
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttles"),
    )
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("handoff_request_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_outbox_messages_agent_id_agents",
            "agents",
            ["agent_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            "fk_outbox_messages_handoff_request_id_handoff_requests",
            "handoff_requests",
            ["handoff_request_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_outbox_messages_handoff_request_id", ["handoff_request_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_index("ix_outbox_messages_handoff_request_id")
        batch.drop_constraint("fk_outbox_messages_handoff_request_id_handoff_requests")
        batch.drop_constraint("fk_outbox_messages_agent_id_agents")
        batch.drop_column("handoff_request_id")
        batch.drop_column("agent_id")
    op.drop_table("login_throttles")
    op.drop_table("desk_settings")
    op.drop_table("canned_replies")
    op.drop_index("ix_ticket_notes_handoff_request_id", table_name="ticket_notes")
    op.drop_table("ticket_notes")
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_index("ix_handoff_requests_updated_at")
        batch.drop_index("ix_handoff_requests_assignee_id")
        batch.drop_constraint("fk_handoff_requests_assignee_id_agents")
        batch.drop_constraint("ck_handoff_requests_ticket_resolution")
        batch.drop_constraint("ck_handoff_requests_ticket_priority")
        for column in (
            "resolution",
            "closed_at",
            "first_response_at",
            "claimed_at",
            "assignee_id",
            "last_customer_message_at",
            "updated_at",
            "sla_due_at",
            "priority_signals",
            "priority",
        ):
            batch.drop_column(column)
    op.drop_table("agents")


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)
