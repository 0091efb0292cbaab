"""full-text search index: SQLite FTS5, or PostgreSQL tsvector columns with GIN indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_pages USING fts5("
            "document_id UNINDEXED, page UNINDEXED, exact, folded, "
            "tokenize = 'unicode61 remove_diacritics 0')"
        )
        return
    # PostgreSQL: the text is folded by hoso (as on SQLite), so the 'simple' configuration
    # (no stemming, no stop words) is all that is needed; no unaccent extension required.
    op.execute(
        "CREATE TABLE search_pages ("
        "document_id integer NOT NULL REFERENCES documents(id) ON DELETE CASCADE, "
        "page integer NOT NULL, exact text NOT NULL, folded text NOT NULL, "
        "exact_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', exact)) STORED, "
        "folded_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED)"
    )
    op.execute("CREATE INDEX ix_search_pages_folded ON search_pages USING gin (folded_tsv)")
    op.execute("CREATE INDEX ix_search_pages_exact ON search_pages USING gin (exact_tsv)")
    op.execute("CREATE INDEX ix_search_pages_document ON search_pages (document_id)")


def downgrade() -> None:
    op.execute("DROP TABLE search_pages")
