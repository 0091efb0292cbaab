import hashlib
import stat
from pathlib import Path

import pytest

from pipeline.archive.store import place_file, safe_name, store_original, unique_path
from pipeline.errors import StorageError


def test_original_is_stored_by_hash_read_only_and_once(tmp_path: Path) -> None:
    data = b"%PDF-1.4 original bytes"
    source = tmp_path / "scan.pdf"
    source.write_bytes(data)
    stored = store_original(source, tmp_path / "originals", ".pdf")
    sha = hashlib.sha256(data).hexdigest()
    assert stored.sha256 == sha and stored.created and stored.size == len(data)
    assert stored.path == tmp_path / "originals" / sha[:2] / f"{sha}.pdf"
    assert stored.path.read_bytes() == data
    assert not stored.path.stat().st_mode & stat.S_IWUSR
    again = store_original(source, tmp_path / "originals", ".pdf")
    assert again.path == stored.path and not again.created
    assert [p.name for p in (tmp_path / "originals").rglob("*") if p.is_file()] == [f"{sha}.pdf"]


def test_archived_files_are_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "out.pdf"
    source.write_bytes(b"one")
    target = tmp_path / "archive" / "doc.pdf"
    placed = place_file(source, target)
    assert placed.sha256 == hashlib.sha256(b"one").hexdigest()
    source.write_bytes(b"two")
    with pytest.raises(StorageError, match="never overwrites"):
        place_file(source, target)
    assert target.read_bytes() == b"one"


def test_names_keep_vietnamese_and_avoid_collisions(tmp_path: Path) -> None:
    assert safe_name("Quyết định 215/QĐ-CCTHADS.pdf") == "Quyết định 215_QĐ-CCTHADS.pdf"
    (tmp_path / "a.pdf").write_bytes(b"")
    assert unique_path(tmp_path, "a.pdf").name == "a (2).pdf"


def test_a_staged_file_is_linked_into_place_never_over_another(tmp_path: Path) -> None:
    from pipeline.archive.store import link_into_place, stage_file
    from pipeline.errors import StorageError

    source = tmp_path / "searchable.pdf"
    source.write_bytes(b"%PDF-1.7 the searchable copy")
    folder = tmp_path / "archive" / "documents" / "Kệ 1"
    staged, digest = stage_file(source, folder, "a1b2")
    assert staged.parent == folder and staged.name.startswith(".")  # hidden from readers
    target = folder / "000001-scan.pdf"
    target.write_bytes(b"filed by someone else")
    with pytest.raises(StorageError):
        link_into_place(staged, target)
    assert target.read_bytes() == b"filed by someone else"  # untouched
    target.unlink()
    link_into_place(staged, target)
    assert target.read_bytes() == b"%PDF-1.7 the searchable copy" and not staged.exists()
    assert digest == hashlib.sha256(target.read_bytes()).hexdigest()
