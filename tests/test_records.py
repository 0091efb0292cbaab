"""Records and migrations on SQLite (always) and PostgreSQL (when reachable; always under CI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from pipeline.errors import DatabaseError
from pipeline.records.database import Database
from pipeline.records.models import Batch, Document, Page, State, WordCorrection


def _head() -> str:
    from alembic.script import ScriptDirectory

    from pipeline.records.database import _alembic_config, make_engine

    head = ScriptDirectory.from_config(
        _alembic_config(make_engine("sqlite://", 5))
    ).get_current_head()
    assert head is not None
    return head


HEAD = _head()  # the newest migration: the schema every database must reach


def exercise(db: Database) -> None:
    with db.session() as session:
        batch = Batch(name="Kệ 12")
        doc = Document(
            batch=batch,
            original_name="Bản án.pdf",
            sha256="a" * 64,
            original_path="originals/aa/x.pdf",
        )
        doc.pages = [
            Page(
                index=0,
                text="Nguyễn Văn Hùng",
                confidence=91.5,
                corrections=[
                    WordCorrection(
                        before="THỊ", after="THI", x0=1, y0=2, x1=3, y1=4, confidence=40.0, gain=9.5
                    )
                ],
            )
        ]
        session.add(doc)
        session.add(
            Document(
                batch=batch,
                original_name="copy.pdf",
                sha256="a" * 64,
                state=State.DUPLICATE.value,
                duplicate_of=doc,
            )
        )
    with db.session() as session:
        docs = session.scalars(select(Document).order_by(Document.id)).all()
        assert [d.state for d in docs] == ["received", "duplicate"]
        assert docs[0].pages[0].text == "Nguyễn Văn Hùng"
        assert [(c.before, c.after) for c in docs[0].pages[0].corrections] == [("THỊ", "THI")]
        assert docs[1].duplicate_of_id == docs[0].id
    # A second primary document with the same bytes is refused by the database itself.
    with pytest.raises(DatabaseError), db.session() as session:
        batch = session.scalar(select(Batch))
        session.add(Document(batch=batch, original_name="again.pdf", sha256="a" * 64))


def test_sqlite_is_created_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/sub/hoso.db"
    db = Database.open(url, 5)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    assert {"batches", "documents", "pages"} <= set(inspect(db.engine).get_table_names())
    exercise(db)
    db.close()
    Database.open(url, 5).close()  # opening again is a no-op


@pytest.mark.postgres
def test_postgresql_is_migrated_and_works(postgres_schema_url: str) -> None:
    db = Database.open(postgres_schema_url, 10)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    exercise(db)
    db.close()


def test_unreachable_database_is_a_plain_error() -> None:
    with pytest.raises(DatabaseError, match="cannot be opened"):
        Database.open("postgresql+psycopg://nobody@127.0.0.1:1/none", 2)
