"""Files and page images for people to look at: downloads, thumbnails, the viewer's pages.

Every download is recorded in the audit log: who took which file of which document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.errors import NotFound
from pipeline.imaging.poppler import render_preview
from pipeline.jobs import audit, lookup
from pipeline.records.database import Database
from pipeline.records.models import Document
from pipeline.settings import Settings

Kind = Literal["original", "searchable", "signed"]
SIZES = {"thumb": 180, "view": 1100}


@dataclass(frozen=True)
class ArchivedFile:
    """A file of a document as it is served: where it is, its name for the user, its type."""

    path: Path
    name: str
    media_type: str
    sha256: str


def _file_of(doc: Document, settings: Settings, kind: Kind) -> ArchivedFile:
    stem = Path(doc.original_name).stem
    if kind == "original":
        if not doc.original_path:
            raise NotFound(f"Document {doc.id} has no archived original.")
        suffix = Path(doc.original_path).suffix
        media = doc.media_type or "application/octet-stream"
        return ArchivedFile(
            settings.archive_dir / doc.original_path, f"{stem}{suffix}", media, doc.sha256
        )
    if kind == "searchable":
        if not doc.output_path or not doc.output_sha256:
            raise NotFound(f"Document {doc.id} has no searchable PDF yet.")
        return ArchivedFile(
            settings.archive_dir / doc.output_path,
            f"{stem}.pdf",
            "application/pdf",
            doc.output_sha256,
        )
    if not doc.versions:
        raise NotFound(f"Document {doc.id} has not been signed yet.")
    latest = max(doc.versions, key=lambda v: v.version)
    return ArchivedFile(
        settings.archive_dir / latest.path,
        f"{stem}.v{latest.version}.signed.pdf",
        "application/pdf",
        latest.sha256,
    )


def download(
    db: Database, settings: Settings, document_id: int, kind: Kind, actor: str
) -> ArchivedFile:
    """The file to send, after recording who downloads it."""
    with db.session(write=True) as session:
        found = _file_of(lookup.document(session, document_id), settings, kind)
        if not found.path.is_file():
            raise NotFound(
                f"The {kind} file of document {document_id} is missing from the archive; "
                "run `hoso verify --all` and restore it from the backup."
            )
        audit.record(
            session, actor, "download", f"document:{document_id}", kind=kind, sha256=found.sha256
        )
        return found


def page_image(db: Database, settings: Settings, document_id: int, page: int, size: str) -> Path:
    """A JPEG of page ``page`` (1-based) of the newest PDF of the document, rendered once."""
    if size not in SIZES:
        raise NotFound(f"There is no page size {size}; the sizes are {', '.join(SIZES)}.")
    with db.session() as session:
        doc = lookup.document(session, document_id)
        if not 1 <= page <= max(doc.page_count, 0):
            raise NotFound(f"Document {document_id} has no page {page}.")
        kind: Kind = "signed" if doc.versions else "searchable"
        found = _file_of(doc, settings, kind)
    target = settings.previews_dir / found.sha256[:2] / f"{found.sha256}-{page}-{size}.jpg"
    if target.is_file():
        return target
    timeout = settings.programs.poppler_timeout
    return render_preview(found.path, page - 1, SIZES[size], target, timeout)
