"""search: vocabulary of damaged words for fuzzy matching, indexes for the filters, and SQLite
index rows numbered by document so one document's rows are found without a scan

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FILTERED = ("issued_on", "issuer", "doc_type", "case_type")


def upgrade() -> None:
    op.create_table("search_terms", sa.Column("term", sa.String(64), primary_key=True))
    for column in _FILTERED:
        op.create_index(f"ix_documents_{column}", "documents", [column])
    if op.get_bind().dialect.name == "sqlite":
        # Row numbers become document_id * 65536 + page + 1 (pipeline.search.index._rowid).
        op.execute(
            "CREATE TEMP TABLE search_pages_old AS "
            "SELECT document_id, page, exact, folded FROM search_pages"
        )
        op.execute("DELETE FROM search_pages")
        op.execute(
            "INSERT INTO search_pages (rowid, document_id, page, exact, folded) "
            "SELECT document_id * 65536 + page + 1, document_id, page, exact, folded "
            "FROM search_pages_old"
        )
        op.execute("DROP TABLE search_pages_old")


def downgrade() -> None:
    for column in _FILTERED:
        op.drop_index(f"ix_documents_{column}", "documents")
    op.drop_table("search_terms")
