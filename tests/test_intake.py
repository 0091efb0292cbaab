"""Intake ordering: the inbox file is removed only after the database says the original is safe."""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.errors import DatabaseError
from pipeline.ingest.inbox import scan
from pipeline.ingest.stability import StabilityTracker
from pipeline.jobs import audit
from pipeline.jobs.intake import take_file
from pipeline.records.database import Database
from pipeline.settings import Settings


class FailingDatabase(Database):
    """A database whose commits fail, standing in for a server that went away mid-intake."""

    def __init__(self) -> None:
        pass

    @contextlib.contextmanager
    def session(self, *, write: bool = False) -> Iterator[object]:
        raise DatabaseError("A database operation failed (OperationalError).")
        yield  # pragma: no cover


def test_inbox_file_stays_when_the_database_fails(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    scan = settings.inbox_dir / "scan.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(DatabaseError):
        take_file(FailingDatabase(), settings, scan, "2026-11-28")
    assert scan.exists(), "the clerk's file must not be removed before it is recorded"


def test_duplicates_and_retries(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings()
    db = Database.open(settings.resolved_database_url, 5)
    settings.inbox_dir.mkdir(parents=True)

    def drop(name: str, data: bytes) -> Path:
        path = settings.inbox_dir / name
        path.write_bytes(data)
        return path

    first = take_file(db, settings, drop("a.pdf", b"%PDF-1.4 one"), "b1")
    assert first.state == "received"
    assert not (settings.inbox_dir / "a.pdf").exists()
    dup = take_file(db, settings, drop("copy of a.pdf", b"%PDF-1.4 one"), "b1")
    assert dup.state == "duplicate" and dup.document_id != first.document_id
    refused = take_file(db, settings, drop("notes.txt", b"hello"), "b1")
    assert refused.state == "failed"
    note = settings.quarantine_dir / "b1" / "notes.txt.error.txt"
    assert "not a PDF, TIFF, JPEG or PNG" in note.read_text(encoding="utf-8")
    assert (settings.quarantine_dir / "b1" / "notes.txt").read_bytes() == b"hello"
    db.close()


def test_links_fifos_and_archives_are_refused_with_a_note(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """Nothing outside the inbox is let in through a link, a FIFO never blocks the intake, and
    a ZIP holding a PDF is refused as an archive, not taken as a one-page PDF."""
    settings = make_settings()
    db = Database.open(settings.resolved_database_url, 5)
    inbox = settings.inbox_dir
    inbox.mkdir(parents=True)
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(b"%PDF-1.4 root:x:0:0")
    (inbox / "passwd.pdf").symlink_to(secret)
    (inbox / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")  # a dangling link
    os.mkfifo(inbox / "pipe.pdf")
    with zipfile.ZipFile(inbox / "two scans.pdf", "w") as archive:
        archive.writestr("a.pdf", b"%PDF-1.4 one")
        archive.writestr("b.pdf", b"%PDF-1.4 two")
    tracker = StabilityTracker(0.0)
    for path in scan(inbox, settings.quarantine_dir):
        tracker.touch(path)
    ready = tracker.stable()  # must not open the FIFO (that would wait for a writer for ever)
    assert sorted(p.name for p in ready) == ["gone.pdf", "passwd.pdf", "pipe.pdf", "two scans.pdf"]
    results = {p.name: take_file(db, settings, p, "b1") for p in ready}
    for name in ("passwd.pdf", "gone.pdf", "pipe.pdf"):
        assert results[name].document_id is None and results[name].state == "refused"
        note = (settings.quarantine_dir / "b1" / f"{name}.error.txt").read_text(encoding="utf-8")
        assert "not a scan file" in note
    assert results["two scans.pdf"].state == "failed"
    note = (settings.quarantine_dir / "b1" / "two scans.pdf.error.txt").read_text(encoding="utf-8")
    assert "a ZIP archive" in note
    assert [p.name for p in inbox.iterdir()] == ["_failed"]  # every entry dealt with
    assert secret.read_bytes() == b"%PDF-1.4 root:x:0:0"  # the target untouched ...
    stored = [p.read_bytes() for p in settings.originals_dir.rglob("*") if p.is_file()]
    assert all(b"root:x" not in data for data in stored)  # ... and never archived
    refusals = [e for e in audit.list_entries(db) if e["action"] == "refuse"]
    assert len(refusals) == 3
    db.close()
