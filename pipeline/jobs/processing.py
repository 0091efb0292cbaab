"""Processing received documents and recording what came of them.

Reading pages happens outside any database transaction (it takes seconds to minutes); the
searchable PDF is placed into the archive and the rows written in one short transaction at the end.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update

from pipeline.archive.store import place_file, safe_name, unique_path
from pipeline.chain import DocumentResult, page_marks
from pipeline.errors import NotFound
from pipeline.extract import Extraction
from pipeline.jobs import searching
from pipeline.jobs.intake import quarantine_file
from pipeline.parallel import Job
from pipeline.records.database import Database
from pipeline.records.models import (
    Document,
    DocumentNumber,
    Page,
    PartyRow,
    State,
    WordCorrection,
    utcnow,
)
from pipeline.settings import Settings
from pipeline.text.fold import fold

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A document handed to a worker."""

    document_id: int
    original: Path
    name: str
    batch: str
    attempts: int


def recover_interrupted(db: Database) -> int:
    """Put documents left half-processed by a crash back in the queue; returns how many."""
    with db.session() as session:
        result = session.execute(
            update(Document)
            .where(Document.state == State.PROCESSING.value)
            .values(state=State.RECEIVED.value)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def count_waiting(db: Database) -> int:
    """How many documents are received or processing."""
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.state.in_([State.RECEIVED.value, State.PROCESSING.value]))
            )
            or 0
        )


def claim_received(db: Database, settings: Settings, limit: int) -> list[Claim]:
    """Mark up to ``limit`` received documents as processing and return them, oldest first."""
    if limit <= 0:
        return []
    claims: list[Claim] = []
    with db.session() as session:
        docs = session.scalars(
            select(Document)
            .where(Document.state == State.RECEIVED.value)
            .order_by(Document.id)
            .limit(limit)
            # Several watchers on one PostgreSQL database never claim the same document.
            .with_for_update(skip_locked=True, of=Document)
        ).all()
        for doc in docs:
            doc.state = State.PROCESSING.value
            doc.attempts += 1
            claims.append(
                Claim(
                    doc.id,
                    settings.archive_dir / doc.original_path,
                    doc.original_name,
                    doc.batch.name,
                    doc.attempts,
                )
            )
    return claims


def job_for(claim: Claim, settings: Settings) -> Job:
    """The runner job that processes a claimed document into its work folder.

    The job reads the archived original through a link named like the clerk's file, so every
    message the chain writes names the file the clerk dropped, not its hash.
    """
    work = settings.work_root / f"doc-{claim.document_id}"
    if work.exists():
        shutil.rmtree(work, ignore_errors=True)  # left by an interrupted run
    work.mkdir(parents=True)
    source = work / "in" / safe_name(claim.name)
    source.parent.mkdir()
    source.symlink_to(claim.original)
    return Job(str(claim.document_id), source, work, work / "searchable.pdf")


def archive_name(settings: Settings, document_id: int, batch: str, name: str) -> Path:
    """Where a document's searchable PDF is filed: ``documents/<batch>/<id>-<name>.pdf``."""
    folder = settings.documents_dir.joinpath(*(safe_name(part) for part in batch.split("/")))
    # A file left by a run killed between filing and committing is never overwritten; the
    # resumed run files under the next free name instead.
    return unique_path(folder, f"{document_id:06d}-{safe_name(Path(name).stem)}.pdf")


def record_success(db: Database, settings: Settings, claim: Claim, result: DocumentResult) -> Path:
    """File the searchable PDF and store the pages, in one transaction."""
    assert result.output is not None
    target = archive_name(settings, claim.document_id, claim.batch, claim.name)
    placed = None
    try:
        with db.session() as session:
            doc = session.get(Document, claim.document_id)
            if doc is None:
                raise NotFound(f"Document {claim.document_id} disappeared from the database.")
            placed = place_file(result.output, target)
            doc.pages = [
                Page(
                    index=p.index,
                    text=p.text,
                    confidence=p.confidence,
                    source=p.source,
                    dpi=p.dpi,
                    marks=page_marks(p, settings.ocr.flag_below),
                    quality=p.quality.as_dict() if p.quality else None,
                    turned=p.turned,
                    corrections=[
                        WordCorrection(
                            before=c.before,
                            after=c.after,
                            x0=c.box[0],
                            y0=c.box[1],
                            x1=c.box[2],
                            y1=c.box[3],
                            confidence=c.confidence,
                            gain=c.gain,
                        )
                        for c in p.corrections
                    ],
                )
                for p in result.pages
            ]
            confidences = [p.confidence for p in result.pages if p.source == "ocr"]
            doc.page_count = len(result.pages)
            doc.mean_confidence = (
                round(sum(confidences) / len(confidences), 2) if confidences else None
            )
            doc.media_type = result.media_type.value
            if result.fields is not None:
                store_fields(doc, result.fields)
            doc.flags = [flag.as_dict() for flag in result.flags]
            doc.output_path = str(target.relative_to(settings.archive_dir))
            doc.output_sha256 = placed.sha256
            doc.state = State.READY.value
            doc.error = None
            doc.processed_at = utcnow()
    except BaseException:
        if placed is not None:
            target.unlink(missing_ok=True)
        raise
    searching.index_after_commit(db, claim.document_id)  # after the commit, never ahead of it
    return target


def store_fields(doc: Document, fields: Extraction) -> None:
    """Put an extraction on a document: the columns searched and linked on, and the whole."""
    doc.doc_type = str(fields.doc_type.value)
    doc.number = str(fields.number.value)
    doc.printed_number = fields.number.printed
    doc.issuer = str(fields.issuer.value)
    doc.issued_on = str(fields.date.value)
    doc.case_type = str(fields.case_type.value)
    doc.fields = fields.to_dict()
    doc.parties = [
        PartyRow(
            position=k,
            role=p.role,
            name=p.name,
            name_folded=fold(p.name),
            birth_year=p.birth_year,
            id_number=p.id_number,
            address=p.address,
            confidence=p.confidence,
        )
        for k, p in enumerate(fields.parties)
    ]
    numbers = ([str(fields.number.value)] if fields.number.value else []) + list(fields.cited.value)
    doc.numbers = [
        DocumentNumber(position=k, number=n, own=k == 0 and bool(fields.number.value))
        for k, n in enumerate(numbers)
    ]


def requeue(db: Database, claim: Claim) -> None:
    """Put a document back in the queue, for a failure that was not the document's fault."""
    with db.session() as session:
        doc = session.get(Document, claim.document_id)
        if doc is not None:
            doc.state = State.RECEIVED.value


def record_failure(db: Database, settings: Settings, claim: Claim, reason: str) -> None:
    """Mark the document failed and put a copy of its original in quarantine with the reason."""
    with db.session() as session:
        doc = session.get(Document, claim.document_id)
        if doc is None:
            return
        doc.state = State.FAILED.value
        doc.error = reason
    try:
        quarantine_file(
            claim.original, settings, claim.batch, claim.name, reason, claim.document_id, move=False
        )
    except Exception as exc:
        log.error("could not quarantine document %s: %s", claim.document_id, exc)
