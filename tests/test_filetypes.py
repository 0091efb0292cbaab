from pathlib import Path

import pytest

from pipeline.errors import CorruptFile, UnsupportedFileType
from pipeline.ingest.filetypes import MediaType, is_transient_name, sniff, sniff_bytes


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", MediaType.PDF),
        (b"\x00\x00junk%PDF-1.4", MediaType.PDF),
        (b"II*\x00rest", MediaType.TIFF),
        (b"MM\x00*rest", MediaType.TIFF),
        (b"\xff\xd8\xff\xe0", MediaType.JPEG),
        (b"\x89PNG\r\n\x1a\n", MediaType.PNG),
        (b"PK\x03\x04", None),
        (b"hello", None),
    ],
)
def test_sniff_bytes(head: bytes, expected: MediaType | None) -> None:
    assert sniff_bytes(head) == expected


def test_sniff_refuses_with_plain_reasons(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(CorruptFile, match="empty"):
        sniff(empty)
    doc = tmp_path / "letter.docx"
    doc.write_bytes(b"PK\x03\x04 word document")
    with pytest.raises(UnsupportedFileType, match=r"is a ZIP archive .*, not a scan"):
        sniff(doc)
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"just words")
    with pytest.raises(UnsupportedFileType, match="not a PDF, TIFF, JPEG or PNG"):
        sniff(notes)
    # A PDF inside a ZIP is still a ZIP, however early the PDF's header appears.
    hidden = tmp_path / "two scans.pdf"
    hidden.write_bytes(b"PK\x03\x04\x14\x00a.pdf%PDF-1.4 one")
    with pytest.raises(UnsupportedFileType, match="ZIP archive"):
        sniff(hidden)


@pytest.mark.parametrize(
    ("name", "transient"),
    [
        ("scan.pdf", False),
        ("Bản án 25.pdf", False),
        (".hidden.pdf", True),
        ("~$lock.pdf", True),
        ("scan.pdf.part", True),
        ("x.TMP", True),
        ("a.pdf.error.txt", True),
    ],
)
def test_transient_names(name: str, transient: bool) -> None:
    assert is_transient_name(name) is transient
