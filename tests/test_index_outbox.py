"""The search index fed through the work queue: a failed indexing is retried, not lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from pipeline.errors import DatabaseError
from pipeline.jobs import searching, work
from pipeline.records.database import Database
from pipeline.records.models import Batch, Document, Page, State, WorkItem, utcnow
from pipeline.search.index import Filters


def test_an_index_that_fails_is_retried_until_the_document_can_be_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'outbox.db'}", timeout=15)
    with db.session() as session:
        doc = Document(
            batch=Batch(name="Kệ 9"),
            original_name="qd.pdf",
            sha256="a" * 64,
            state=State.READY.value,
            pages=[Page(index=0, text="Quyết định cưỡng chế kê biên tài sản của ông Lò Văn Pủa")],
        )
        session.add(doc)
        session.flush()
        searching.queue_index(session, doc.id)
        document_id = doc.id

    real = searching.open_index
    calls = {"n": 0}

    def broken(connection: Any) -> Any:  # the index's table locked, the disk full...
        calls["n"] += 1
        raise DatabaseError("the search index could not be written (disk full)")

    monkeypatch.setattr(searching, "open_index", broken)
    searching.index_after_commit(db, document_id)  # logs, never raises
    assert calls["n"] == 1
    with db.session() as session:
        item = session.scalars(select(WorkItem).where(WorkItem.kind == searching.INDEX)).one()
        assert item.state == "waiting" and "disk full" in (item.last_error or "")
        session.execute(update(WorkItem).values(not_before=utcnow()))  # its wait is over
    monkeypatch.setattr(searching, "open_index", real)
    assert searching.search(db, "Pủa", Filters()) == []  # not found yet: the item still waits
    assert searching.index_queued(db, work.worker_name()) == 1  # what the watcher does
    (hit,) = searching.search(db, "Pủa", Filters())
    assert hit["id"] == document_id
    with db.session() as session:
        item = session.scalars(select(WorkItem).where(WorkItem.kind == searching.INDEX)).one()
        assert item.state == "done" and item.attempts == 2
    db.close()
