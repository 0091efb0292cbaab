"""Intake ordering: the inbox file is removed only after the database says the original is safe."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.errors import DatabaseError
from pipeline.jobs.intake import take_file
from pipeline.records.database import Database
from pipeline.settings import Settings


class FailingDatabase(Database):
    """A database whose commits fail, standing in for a server that went away mid-intake."""

    def __init__(self) -> None:
        pass

    @contextlib.contextmanager
    def session(self) -> Iterator[object]:
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
