"""Recognise scan files by their bytes, not their names."""

from __future__ import annotations

import struct
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

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


# Containers and documents that are not scans, by their magic at offset 0: named in the refusal,
# and never taken for a PDF that happens to appear inside them.
_NOT_SCANS = (
    (b"PK\x03\x04", "a ZIP archive (or a Word, Excel or OpenDocument file)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word or Excel file"),
    (b"{\\rtf", "an RTF document"),
)


def container_kind(head: bytes) -> str | None:
    """What a file that is not a scan is, when its first bytes say so (an archive, a document)."""
    for magic, kind in _NOT_SCANS:
        if head.startswith(magic):
            return kind
    return None


def sniff_bytes(head: bytes) -> MediaType | None:
    """Identify a scan from its first bytes; None when it is none of the kinds hoso reads.

    Images by their magic at offset 0; a PDF by ``%PDF-`` at offset 0 or, as PDF readers allow,
    after a little leading junk, but never inside a container (a ZIP holding a PDF is a ZIP).
    """
    if container_kind(head) is not None:
        return None
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
    container = container_kind(head)
    if container is not None:
        raise UnsupportedFileType(
            f"The file {path.name} is {container}, not a scan. Take the scans out of it and drop "
            "each into the inbox as a PDF, TIFF, JPEG or PNG file."
        )
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


def looks_complete(path: Path) -> bool:
    """Whether a scan's bytes end as its format ends: a writer that paused is not done.

    A scanner or a network copy that stalls longer than the stability wait leaves a file that
    is stable and still half-written. PDF: ``%%EOF`` near the end; JPEG: the end-of-image
    marker; PNG: the IEND chunk; TIFF: every directory in the chain lies inside the file. Files
    of other kinds are "complete" (they are refused on their own merits).
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
            kind = sniff_bytes(head)
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 2048))
            tail = handle.read()
            if kind is MediaType.TIFF:
                return _tiff_complete(handle, head, size)
    except OSError:
        return False
    body = tail.rstrip(b"\x00\r\n\t ")
    if kind is MediaType.PDF:
        return b"%%EOF" in tail[-1024:]
    if kind is MediaType.JPEG:
        return body.endswith(b"\xff\xd9")
    if kind is MediaType.PNG:
        return b"IEND" in body[-12:]
    return True


def _tiff_complete(handle: BinaryIO, head: bytes, size: int) -> bool:
    """Every directory of the chain, and the image data each names, lie inside the file."""
    order = "<" if head[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", head[4:8])
    seen = 0
    while offset:
        if offset + 2 > size or seen > 10_000:
            return False
        handle.seek(offset)
        (entries,) = struct.unpack(order + "H", handle.read(2))
        end = offset + 2 + 12 * entries + 4
        if end > size:
            return False
        table = handle.read(12 * entries + 4)
        tags = {}
        for k in range(entries):
            tag, kind, count, value = struct.unpack(order + "HHI4s", table[12 * k : 12 * k + 12])
            tags[tag] = (kind, count, value)
        for starts, lengths in ((273, 279), (324, 325)):  # strips, or tiles
            if starts in tags and lengths in tags:
                first = _tiff_values(handle, order, *tags[starts], size)
                counts = _tiff_values(handle, order, *tags[lengths], size)
                if first is None or counts is None:
                    return False
                if any(a + b > size for a, b in zip(first, counts, strict=False)):
                    return False
        (offset,) = struct.unpack(order + "I", table[-4:])
        seen += 1
    return seen > 0


def _tiff_values(
    handle: BinaryIO, order: str, kind: int, count: int, value: bytes, size: int
) -> list[int] | None:
    """The SHORT or LONG values of a TIFF entry; None when they lie beyond the file's end."""
    width = {3: 2, 4: 4}.get(kind)
    if width is None or count > 1_000_000:
        return None
    code = order + ("H" if width == 2 else "I") * count
    if width * count <= 4:
        return list(struct.unpack(code, value[: width * count]))
    (where,) = struct.unpack(order + "I", value)
    if where + width * count > size:
        return None
    handle.seek(where)
    return list(struct.unpack(code, handle.read(width * count)))
