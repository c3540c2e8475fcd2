"""Create the message path tables: inbox, outbox, poll cursors.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Frozen copy of the schema at this revision: it does not import `store.models`, so later
model changes cannot alter what this migration does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INBOX_STATUSES = ("pending", "processing", "done", "failed")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


def one_of(column: str, values: Sequence[str], name: str) -> sa.CheckConstraint:
    """The CHECK constraint store.models puts on a status column (same name, same values)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(name))


def json_document() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def only_while(status: str) -> sa.TextClause:
    """The WHERE of a partial index (both databases)."""
    return sa.text(f"status = '{status}'")


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("platform_message_id", sa.String(length=255), nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("attachments", json_document(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("user_handle", sa.String(length=100), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_messages"),
        sa.UniqueConstraint(
            "platform", "platform_message_id", name="uq_inbox_messages_platform_message_id"
        ),
        one_of("status", INBOX_STATUSES, "ck_inbox_messages_inbox_status"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_inbox_messages_conversation_key_id", "inbox_messages", ["conversation_key", "id"]
    )
    op.create_index(
        "ix_inbox_messages_status_next_attempt_at", "inbox_messages", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ux_inbox_messages_one_processing_per_conversation",
        "inbox_messages",
        ["conversation_key"],
        unique=True,
        sqlite_where=only_while("processing"),
        postgresql_where=only_while("processing"),
    )

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inbox_message_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", json_document(), nullable=False),
        sa.Column("custom", json_document(), nullable=True),
        sa.Column("from_person", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform_message_ids", json_document(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbox_message_id"],
            ["inbox_messages.id"],
            name="fk_outbox_messages_inbox_message_id_inbox_messages",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        sa.UniqueConstraint(
            "inbox_message_id", "position", name="uq_outbox_messages_inbox_message_id_position"
        ),
        one_of("status", OUTBOX_STATUSES, "ck_outbox_messages_outbox_status"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_outbox_messages_conversation_key_id", "outbox_messages", ["conversation_key", "id"]
    )
    op.create_index(
        "ix_outbox_messages_status_next_attempt_at",
        "outbox_messages",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ux_outbox_messages_one_sending_per_conversation",
        "outbox_messages",
        ["conversation_key"],
        unique=True,
        sqlite_where=only_while("sending"),
        postgresql_where=only_while("sending"),
    )

    op.create_table(
        "poll_cursors",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("newest_event_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "account_id", name="pk_poll_cursors"),
    )


def downgrade() -> None:
    op.drop_table("poll_cursors")
    op.drop_table("outbox_messages")
    op.drop_table("inbox_messages")
