"""durable work items with leases; documents waiting or half-processed are queued

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(160), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "uq_work_items_open",
        "work_items",
        ["kind", "subject_id"],
        unique=True,
        sqlite_where=sa.text("state IN ('waiting', 'leased')"),
        postgresql_where=sa.text("state IN ('waiting', 'leased')"),
    )
    op.create_index("ix_work_items_due", "work_items", ["kind", "state", "not_before"])
    # What the old watcher would have picked up at its next start: received documents, and
    # those a stopped watcher left in processing (they go back to received, as it did).
    op.execute("UPDATE documents SET state = 'received' WHERE state = 'processing'")
    op.execute(
        "INSERT INTO work_items (kind, subject_id, state, attempts, not_before, created_at) "
        "SELECT 'process', id, 'waiting', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
        "FROM documents WHERE state = 'received' ORDER BY id"
    )


def downgrade() -> None:
    op.drop_index("ix_work_items_due", "work_items")
    op.drop_index("uq_work_items_open", "work_items")
    op.drop_table("work_items")
