"""extracted fields: issuer, date, case type, parties and the numbers each document cites

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("printed_number", sa.String(length=128), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("issuer", sa.String(length=512), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("issued_on", sa.String(length=10), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("case_type", sa.String(length=16), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
    op.create_index("ix_documents_number", "documents", ["number"])
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("name_folded", sa.String(length=512), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("id_number", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=1024), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_parties_document_id", "parties", ["document_id"])
    op.create_index("ix_parties_name_folded", "parties", ["name_folded"])
    op.create_table(
        "document_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=128), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_numbers_document_id", "document_numbers", ["document_id"])
    op.create_index("ix_document_numbers_number", "document_numbers", ["number"])


def downgrade() -> None:
    op.drop_table("document_numbers")
    op.drop_table("parties")
    op.drop_index("ix_documents_number", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        for column in ("fields", "case_type", "issued_on", "issuer", "printed_number"):
            batch.drop_column(column)
