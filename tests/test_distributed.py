"""The jobs behind the Celery tasks, run in this process: the same steps, without a broker.

A document named by a message is claimed before it is read; a long one is fanned out page by page
through the spool and finished once, whatever order or how often the page messages come.
(tests/test_celery.py runs the same path through real brokers and real worker processes.)
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path

from sqlalchemy import select, update

from pipeline.chain import ChainOptions
from pipeline.jobs import distributed, work
from pipeline.jobs.intake import take_file
from pipeline.records.database import Database
from pipeline.records.models import Document, WorkItem, utcnow
from pipeline.settings import Settings
from tests.conftest import Scans, settings_for


def office(tmp_path: Path, scans: Scans, pages: int) -> tuple[Settings, Database, int]:
    settings = settings_for(
        tmp_path, workers={"fanout_pages": 3, "lease_seconds": 30}, ocr={"page_timeout": 60}
    )
    settings.inbox_dir.mkdir(parents=True)
    db = Database.open(settings.resolved_database_url, timeout=15)
    source = scans.pdf(f"fan{pages}.pdf", seed=900 + pages, pages=pages, kind="clean")
    dropped = settings.inbox_dir / source.name
    shutil.copy(source, dropped)
    result = take_file(db, settings, dropped, "b1")
    assert result.document_id is not None
    return settings, db, result.document_id


def document(db: Database, document_id: int) -> Document:
    with db.session() as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        session.expunge(doc)
        return doc


def test_a_short_document_is_read_whole_by_the_worker_that_claims_it(
    tmp_path: Path, scans: Scans
) -> None:
    settings, db, doc_id = office(tmp_path, scans, pages=2)
    options = ChainOptions.from_settings(settings)
    # What an earlier worker, killed while filing this document, left behind.
    filed = settings.documents_dir / "b1"
    filed.mkdir(parents=True)
    (filed / f"{doc_id:06d}-fan2.pdf").write_bytes(b"linked, never committed")
    (filed / f".searchable.pdf.{doc_id:06d}.dead.tmp").write_bytes(b"half copied")
    (filed / f"{doc_id + 1:06d}-other.pdf").write_bytes(b"another document's")
    assert distributed.start(db, settings, doc_id, "w1", options) == distributed.Started()
    doc = document(db, doc_id)
    assert (doc.state, doc.page_count) == ("ready", 2)
    assert doc.output_path == f"documents/b1/{doc_id:06d}-fan2.pdf"
    assert (settings.archive_dir / doc.output_path).read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in filed.iterdir()) == [
        f"{doc_id:06d}-fan2.pdf",
        f"{doc_id + 1:06d}-other.pdf",
    ]
    # The same message delivered again does nothing: the work item is done.
    assert distributed.start(db, settings, doc_id, "w2", options) == distributed.Started()
    assert document(db, doc_id).attempts == 1
    assert not any(settings.spool_dir.iterdir())


def test_a_long_document_is_read_page_by_page_and_finished_once(
    tmp_path: Path, scans: Scans
) -> None:
    settings, db, doc_id = office(tmp_path, scans, pages=4)
    options = ChainOptions.from_settings(settings)
    started = distributed.start(db, settings, doc_id, "w1", options)
    fanned = started.fanned
    assert fanned is not None and fanned.pages == 4 and started.pages == (0, 1, 2, 3)
    assert fanned.holder.startswith("fanout:")
    assert document(db, doc_id).state == "processing"
    # Pages arrive out of order, one of them twice; only the last new page says "all read".
    finished = [distributed.read_page(db, settings, fanned, i, options) for i in (2, 0, 3, 0)]
    assert finished == [False, False, False, False]
    # The message that fanned it out, delivered again (its worker died before sending every
    # page): the page not read yet is sent again.
    assert distributed.start(db, settings, doc_id, "w9", options) == distributed.Started(
        fanned, (1,)
    )
    assert distributed.read_page(db, settings, fanned, 1, options) is True
    distributed.finish(db, settings, fanned, options)
    distributed.finish(db, settings, fanned, options)  # a second finishing message: nothing
    doc = document(db, doc_id)
    assert (doc.state, doc.page_count, doc.attempts) == ("ready", 4, 1)
    assert [p.name for p in (settings.documents_dir / "b1").iterdir()] == [f"{doc_id:06d}-fan4.pdf"]
    assert not any(settings.spool_dir.iterdir())  # the pages went with the finished document
    with db.session() as session:
        items = session.scalars(select(WorkItem).where(WorkItem.kind == work.PROCESS)).all()
        assert [(i.state, i.attempts) for i in items] == [("done", 1)]


def test_pages_of_a_document_taken_over_are_not_read(tmp_path: Path, scans: Scans) -> None:
    settings, db, doc_id = office(tmp_path, scans, pages=3)
    options = ChainOptions.from_settings(settings)
    fanned = distributed.start(db, settings, doc_id, "w1", options).fanned
    assert fanned is not None
    assert distributed.read_page(db, settings, fanned, 0, options) is False
    # Every reader of its pages died: the lease runs out and a new message starts it again.
    with db.session() as session:
        session.execute(update(WorkItem).values(lease_until=utcnow()))
    again = distributed.start(db, settings, doc_id, "w2", options).fanned
    assert again is not None and again.folder != fanned.folder
    assert not (settings.spool_dir / fanned.folder).exists()  # the old run's pages are gone
    # The old run's late messages change nothing.
    assert distributed.read_page(db, settings, fanned, 1, options) is False
    distributed.finish(db, settings, fanned, options)
    assert document(db, doc_id).state == "processing"
    for i in range(3):
        distributed.read_page(db, settings, again, i, options)
    distributed.finish(db, settings, again, options)
    doc = document(db, doc_id)
    assert (doc.state, doc.attempts) == ("ready", 2)


def test_a_page_that_cannot_be_read_fails_its_document(tmp_path: Path, scans: Scans) -> None:
    settings, db, doc_id = office(tmp_path, scans, pages=3)
    options = ChainOptions.from_settings(settings)
    fanned = distributed.start(db, settings, doc_id, "w1", options).fanned
    assert fanned is not None
    # The shared base PDF is damaged under the workers (a storage fault).
    base = next((settings.spool_dir / fanned.folder / "in").iterdir())
    base.unlink()
    base.write_bytes(b"%PDF-1.4 damaged")
    assert distributed.read_page(db, settings, fanned, 0, options) is False
    doc = document(db, doc_id)
    assert doc.state == "failed" and doc.error
    assert distributed.read_page(db, settings, fanned, 1, options) is False  # nothing more


def test_a_page_that_keeps_killing_its_worker_fails_its_document(
    tmp_path: Path, scans: Scans
) -> None:
    settings, db, doc_id = office(tmp_path, scans, pages=3)
    options = ChainOptions.from_settings(settings)
    fanned = distributed.start(db, settings, doc_id, "w1", options).fanned
    assert fanned is not None
    # Three workers were killed reading page 2 (each try is counted before the page is read).
    folder = settings.spool_dir / fanned.folder
    (folder / (distributed.PAGE.format(1) + ".tries")).write_bytes(b"...")
    assert distributed.read_page(db, settings, fanned, 1, options) is False
    doc = document(db, doc_id)
    assert doc.state == "failed" and "page 2" in str(doc.error)


def test_a_page_result_not_written_by_a_reader_is_refused(tmp_path: Path, scans: Scans) -> None:
    settings, db, doc_id = office(tmp_path, scans, pages=3)
    options = ChainOptions.from_settings(settings)
    fanned = distributed.start(db, settings, doc_id, "w1", options).fanned
    assert fanned is not None
    for i in range(3):
        distributed.read_page(db, settings, fanned, i, options)
    # Someone who can write to the shared archive swaps a page's result for their own pickle.
    page = settings.spool_dir / fanned.folder / distributed.PAGE.format(2)
    page.write_bytes(b"\0" * 32 + pickle.dumps(["not", "a", "page"]))
    distributed.finish(db, settings, fanned, options)
    doc = document(db, doc_id)
    assert doc.state == "failed" and "not written by a hoso worker" in str(doc.error)


def test_leftover_spool_folders_of_closed_documents_are_swept(tmp_path: Path, scans: Scans) -> None:
    settings, db, doc_id = office(tmp_path, scans, pages=3)
    options = ChainOptions.from_settings(settings)
    fanned = distributed.start(db, settings, doc_id, "w1", options).fanned
    assert fanned is not None
    live = settings.spool_dir / fanned.folder
    left = settings.spool_dir / "doc-999-1-dead"  # a worker killed after recording document 999
    (left / "in").mkdir(parents=True)
    old = time.time() - 2 * distributed.SPOOL_GRACE
    os.utime(left, (old, old))
    os.utime(live, (old, old))
    assert distributed.sweep_spool(db, settings) == 1
    assert live.is_dir() and not left.exists()  # the open document's folder stays
