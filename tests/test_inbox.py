from datetime import date
from pathlib import Path

from pipeline.ingest.inbox import batch_name, is_candidate, scan


def test_batches_come_from_folders_or_the_day(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    day = date(2026, 11, 28)
    assert batch_name(inbox / "scan.pdf", inbox, day) == "2026-11-28"
    assert batch_name(inbox / "Kệ 12" / "scan.pdf", inbox, day) == "Kệ 12"
    assert batch_name(inbox / "a" / "b" / "scan.pdf", inbox, day) == "a/b"


def test_candidates_skip_quarantine_hidden_and_partial_files(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    quarantine = inbox / "_failed"
    for rel in ("a.pdf", "batch/b.tif", "_failed/c.pdf", ".d.pdf", "e.pdf.part", ".tmp/f.pdf"):
        path = inbox / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    found = [p.relative_to(inbox).as_posix() for p in scan(inbox, quarantine)]
    assert found == ["a.pdf", "batch/b.tif"]
    assert not is_candidate(tmp_path / "elsewhere.pdf", inbox, quarantine)
