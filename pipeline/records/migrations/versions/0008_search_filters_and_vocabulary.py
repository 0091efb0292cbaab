"""search: word pairs for fast phrases, vocabulary of damaged words for fuzzy matching, indexes
for the filters, and SQLite index rows numbered by document

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from pipeline.search.forms import pairs

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FILTERED = ("issued_on", "issuer", "doc_type", "case_type")


def upgrade() -> None:
    op.create_table("search_terms", sa.Column("term", sa.String(64), primary_key=True))
    for column in _FILTERED:
        op.create_index(f"ix_documents_{column}", "documents", [column])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # A new FTS5 table with a pairs column; rows numbered document_id * 65536 + page + 1
        # (pipeline.search.index._rowid). The old rows are copied over in chunks.
        op.execute("ALTER TABLE search_pages RENAME TO search_pages_0007")
        op.execute(
            "CREATE VIRTUAL TABLE search_pages USING fts5("
            "document_id UNINDEXED, page UNINDEXED, exact, folded, pairs, "
            "tokenize = 'unicode61 remove_diacritics 0')"
        )
        _copy(
            "SELECT document_id, page, exact, folded FROM search_pages_0007",
            "INSERT INTO search_pages (rowid, document_id, page, exact, folded, pairs) "
            "VALUES (:d * 65536 + :p + 1, :d, :p, :e, :f, :w)",
        )
        op.execute("DROP TABLE search_pages_0007")
        return
    # The parser of to_tsvector splits "ds-st" into three tokens, "ds-st", "ds" and "st", which
    # moves the words after it apart: a phrase across it would not match as FTS5 matches it.
    # The text is indexed with everything but letters and digits turned into spaces.
    for column in ("exact", "folded"):
        op.execute(f"DROP INDEX ix_search_pages_{column}")
        op.execute(f"ALTER TABLE search_pages DROP COLUMN {column}_tsv")
        op.execute(
            f"ALTER TABLE search_pages ADD COLUMN {column}_tsv tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('simple', regexp_replace({column}, '[^[:alnum:]]+', ' ', 'g'))) STORED"
        )
        op.execute(
            f"CREATE INDEX ix_search_pages_{column} ON search_pages USING gin ({column}_tsv)"
        )
    op.execute("ALTER TABLE search_pages ADD COLUMN pairs text NOT NULL DEFAULT ''")
    op.execute(
        "ALTER TABLE search_pages ADD COLUMN pairs_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', pairs)) STORED"
    )
    op.execute("CREATE INDEX ix_search_pages_pairs ON search_pages USING gin (pairs_tsv)")
    _copy(
        "SELECT document_id, page, exact, folded FROM search_pages",
        "UPDATE search_pages SET pairs = :w WHERE document_id = :d AND page = :p",
    )


def _copy(read: str, write: str, chunk: int = 2000) -> None:
    """Rows read by ``read`` written by ``write`` with their pairs, ``chunk`` at a time."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(read)).all()
    for start in range(0, len(rows), chunk):
        bind.execute(
            sa.text(write),
            [
                {"d": d, "p": p, "e": e, "f": f, "w": pairs(f)}
                for d, p, e, f in rows[start : start + chunk]
            ],
        )


def downgrade() -> None:
    for column in _FILTERED:
        op.drop_index(f"ix_documents_{column}", "documents")
    op.drop_table("search_terms")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM search_pages")  # `hoso search reindex` refills it
    else:
        op.execute("DROP INDEX ix_search_pages_pairs")
        op.execute("ALTER TABLE search_pages DROP COLUMN pairs_tsv")
        op.execute("ALTER TABLE search_pages DROP COLUMN pairs")
        for column in ("exact", "folded"):  # back to 0007's columns
            op.execute(f"DROP INDEX ix_search_pages_{column}")
            op.execute(f"ALTER TABLE search_pages DROP COLUMN {column}_tsv")
            op.execute(
                f"ALTER TABLE search_pages ADD COLUMN {column}_tsv tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('simple', {column})) STORED"
            )
            op.execute(
                f"CREATE INDEX ix_search_pages_{column} ON search_pages USING gin ({column}_tsv)"
            )
