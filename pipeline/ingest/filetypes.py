"""Recognise scan files by their bytes, not their names."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pipeline.errors import CorruptFile, UnsupportedFileType


class MediaType(StrEnum):
    """The kinds of scan hoso reads."""

    PDF = "application/pdf"
    TIFF = "image/tiff"
    JPEG = "image/jpeg"
    PNG = "image/png"

    @property
    def is_image(self) -> bool:
        """Whether the file is a raster image rather than a PDF."""
        return self is not MediaType.PDF


_SUFFIX = {
    MediaType.PDF: ".pdf",
    MediaType.TIFF: ".tif",
    MediaType.JPEG: ".jpg",
    MediaType.PNG: ".png",
}

# Names that editors and copy tools use for files still being written.
_TRANSIENT_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp", ".error.txt")


def suffix_for(media_type: MediaType) -> str:
    """The file name ending hoso gives a stored original of this type."""
    return _SUFFIX[media_type]


def sniff_bytes(head: bytes) -> MediaType | None:
    """Identify a scan from its first bytes; None when it is none of the kinds hoso reads."""
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return MediaType.TIFF
    if head[:3] == b"\xff\xd8\xff":
        return MediaType.JPEG
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return MediaType.PNG
    if b"%PDF-" in head[:1024]:
        return MediaType.PDF
    return None


def sniff(path: Path) -> MediaType:
    """Identify the scan at ``path`` or say plainly why it cannot be taken."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError as exc:
        raise CorruptFile(f"The file {path.name} cannot be opened ({exc.strerror}).") from exc
    if not head:
        raise CorruptFile(f"The file {path.name} is empty. Scan the document again.")
    media_type = sniff_bytes(head)
    if media_type is None:
        raise UnsupportedFileType(
            f"The file {path.name} is not a PDF, TIFF, JPEG or PNG scan. "
            "Save the scan in one of those formats and drop it into the inbox again."
        )
    return media_type


def is_transient_name(name: str) -> bool:
    """Whether a file name belongs to a file that is not a finished scan (temp, hidden, lock)."""
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(_TRANSIENT_SUFFIXES)
