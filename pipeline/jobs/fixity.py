"""``hoso verify --all``: every file the archive holds, against what the database recorded.

Originals and searchable PDFs are checked by SHA-256; signed versions by SHA-256 and by their
signatures (integrity, whole-file coverage, trust). Files are read by a pool of processes, so a
large archive is checked at disk and CPU speed, and every changed or missing file is reported,
not only the first.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive.store import sha256_of
from pipeline.jobs import lookup
from pipeline.records.database import Database
from pipeline.records.models import Document, SignedVersion
from pipeline.settings import Settings
from pipeline.signing.verify import check_pdf, load_roots


@dataclass(frozen=True)
class FileCheck:
    """One archived file: what it is, where, and what is wrong with it ("" when nothing)."""

    document_id: int
    kind: str  # original, searchable, signed v<k>
    path: str
    problem: str = ""
    signer: str = ""  # for a signed version: who signed, as the certificate names them


@lru_cache(maxsize=4)
def _roots(paths: tuple[Path, ...]) -> list[Any]:
    """Trust roots, read once per worker process rather than once per file."""
    return load_roots(list(paths))


def _check(item: tuple[int, str, Path, str, tuple[Path, ...]]) -> FileCheck:
    document_id, kind, path, sha256, roots = item
    if not path.is_file():
        return FileCheck(document_id, kind, str(path), "missing")
    if sha256_of(path) != sha256:
        return FileCheck(document_id, kind, str(path), "changed: its SHA-256 differs")
    if kind.startswith("signed"):
        try:
            checks = check_pdf(path, _roots(roots))
        except Exception as exc:  # damaged beyond reading is a failed check
            return FileCheck(document_id, kind, str(path), f"unreadable ({exc.__class__.__name__})")
        signer = "; ".join(c.signer for c in checks)
        if not checks or not all(c.ok for c in checks):
            return FileCheck(document_id, kind, str(path), "signature check failed", signer)
        return FileCheck(document_id, kind, str(path), signer=signer)
    return FileCheck(document_id, kind, str(path))


def _items(
    session: Session, settings: Settings, document_id: int | None = None
) -> list[tuple[int, str, Path, str, tuple[Path, ...]]]:
    """What to check: each recorded file with its hash (of one document, or of all)."""
    roots = tuple(settings.path(p) for p in settings.signing.trust_roots)
    base = settings.archive_dir
    items: list[tuple[int, str, Path, str, tuple[Path, ...]]] = []
    docs = select(Document).where(Document.duplicate_of_id.is_(None))
    versions = select(SignedVersion).order_by(SignedVersion.document_id, SignedVersion.version)
    if document_id is not None:
        docs = docs.where(Document.id == document_id)
        versions = versions.where(SignedVersion.document_id == document_id)
    for doc in session.scalars(docs):
        if doc.original_path:
            items.append((doc.id, "original", base / doc.original_path, doc.sha256, roots))
        if doc.output_path and doc.output_sha256:
            items.append((doc.id, "searchable", base / doc.output_path, doc.output_sha256, roots))
    for version in session.scalars(versions):
        items.append(
            (
                version.document_id,
                f"signed v{version.version}",
                base / version.path,
                version.sha256,
                roots,
            )
        )
    return items


def verify_archive(db: Database, settings: Settings, jobs: int) -> list[FileCheck]:
    """Check every recorded file; the result lists each file with its problem, if any."""
    with db.session() as session:
        items = _items(session, settings)
    if jobs <= 1 or len(items) < 50:
        return [_check(item) for item in items]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_check, items, chunksize=32))


def verify_document(db: Database, settings: Settings, document_id: int) -> list[FileCheck]:
    """Check one document's files: the original, the searchable PDF and each signed version."""
    with db.session() as session:
        lookup.document(session, document_id)  # an unknown id is NotFound, not "nothing wrong"
        items = _items(session, settings, document_id)
    return [_check(item) for item in items]


def recorded_sha256(db: Database, settings: Settings, path: Path) -> str | None:
    """The SHA-256 recorded when ``path`` was filed as a signed version, or None if it was not."""
    try:
        relative = path.resolve().relative_to(settings.archive_dir.resolve())
    except ValueError:
        return None
    with db.session() as session:
        version = session.scalars(
            select(SignedVersion).where(SignedVersion.path == str(relative))
        ).first()
        return version.sha256 if version else None
