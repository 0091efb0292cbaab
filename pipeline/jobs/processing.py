"""Processing received documents and recording what came of them.

Reading pages happens outside any database transaction (it takes seconds to minutes); the
searchable PDF is placed into the archive and the rows written in one short transaction at the end.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.store import discard, link_into_place, safe_name, stage_file, unique_path
from pipeline.chain import DocumentResult, page_marks
from pipeline.errors import DatabaseError, HosoError, NotFound, StorageError
from pipeline.extract import Extraction
from pipeline.jobs import linking, searching, work
from pipeline.jobs.intake import quarantine_file
from pipeline.parallel import Job, Outcome
from pipeline.records import states
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
    """A document leased to a worker: the work item, who holds it, and what to read."""

    document_id: int
    original: Path
    name: str
    batch: str
    attempts: int
    item_id: int
    owner: str


@dataclass(frozen=True)
class Expired:
    """A document whose worker died on it too often: failed, its original to be set aside."""

    document_id: int
    original: Path
    name: str
    batch: str
    reason: str


def count_waiting(db: Database, owner: str) -> int:
    """How many documents ``owner`` could take now (not those other workers hold)."""
    return work.due_count(db, work.PROCESS, owner)


def claim_received(
    db: Database,
    settings: Settings,
    limit: int,
    owner: str,
    subjects: list[int] | None = None,
) -> tuple[list[Claim], list[Expired]]:
    """Lease up to ``limit`` documents to ``owner`` for processing, oldest first.

    A document whose previous worker died holding it (its lease ran out) is taken over; one
    that has been tried ``workers.max_attempts`` times is failed instead, with the reason, and
    returned in the second list so its original can be set aside (:func:`set_aside`).
    ``subjects``: only these documents (a Celery message names the one it is about).
    """
    claims: list[Claim] = []
    expired: list[Expired] = []
    if limit <= 0:
        return claims, expired
    if subjects is None and not work.anything_to_claim(db, work.PROCESS, owner):
        return claims, expired  # the idle watcher's every turn: a read, no write lock
    options = settings.workers
    with db.session() as session:
        work.begin_claim(session)
        taken = work.claim(
            session, work.PROCESS, owner, limit, options.lease_seconds, subjects=subjects
        )
        for item in taken:
            doc = session.get(Document, item.subject_id)
            if doc is None or doc.state not in (State.RECEIVED.value, State.PROCESSING.value):
                work.finish(session, item.id, owner)  # nothing left to do for it
                continue
            original = settings.archive_dir / doc.original_path
            if item.attempts > options.max_attempts:
                reason = (
                    f"Processing stopped {options.max_attempts} times without finishing "
                    "(the worker was killed or ran out of memory); the file is probably too "
                    "large or damaged. Scan it again, or split it."
                )
                work.fail(session, item.id, owner, reason)
                if doc.state == State.RECEIVED.value:
                    states.move(doc, State.PROCESSING)
                states.move(doc, State.FAILED)
                doc.error = reason
                expired.append(Expired(doc.id, original, doc.original_name, doc.batch.name, reason))
                continue
            if doc.state == State.RECEIVED.value:
                states.move(doc, State.PROCESSING)
            doc.attempts = item.attempts
            claims.append(
                Claim(
                    doc.id,
                    original,
                    doc.original_name,
                    doc.batch.name,
                    item.attempts,
                    item.id,
                    owner,
                )
            )
    return claims, expired


def set_aside(expired: list[Expired], settings: Settings) -> None:
    """Put a copy of each expired document's original in quarantine with the reason."""
    for gone in expired:
        log.warning("document %s failed: %s", gone.document_id, gone.reason)
        try:
            quarantine_file(
                gone.original,
                settings,
                gone.batch,
                gone.name,
                gone.reason,
                gone.document_id,
                move=False,
            )
        except HosoError as exc:
            log.error("could not quarantine document %s: %s", gone.document_id, exc)


def job_for(claim: Claim, settings: Settings, root: Path | None = None) -> Job:
    """The runner job that processes a claimed document into its own work folder.

    The folder (under ``root``, the work folder by default) is named for this claim (document,
    attempt, worker), so a worker that takes a document over never touches the folder of the
    one it took over from. The job reads the archived original through a link named like the
    clerk's file, so every message the chain writes names the file the clerk dropped, not its
    hash. The link is relative: a folder in the shared spool reads the same on every machine,
    wherever each mounts the archive.
    """
    tag = claim.owner.rsplit(":", 1)[-1]
    root = settings.work_root if root is None else root
    work_dir = root / f"doc-{claim.document_id}-{claim.attempts}-{tag}"
    if work_dir.exists():
        shutil.rmtree(work_dir, ignore_errors=True)  # this very claim, interrupted
    work_dir.mkdir(parents=True)
    source = work_dir / "in" / safe_name(claim.name)
    source.parent.mkdir()
    source.symlink_to(os.path.relpath(claim.original, source.parent))
    return Job(str(claim.document_id), source, work_dir, work_dir / "searchable.pdf")


def archive_name(settings: Settings, document_id: int, batch: str, name: str) -> Path:
    """Where a document's searchable PDF is filed: ``documents/<batch>/<id>-<name>.pdf``."""
    folder = settings.documents_dir.joinpath(*(safe_name(part) for part in batch.split("/")))
    # Never over a file: a document processed again while its earlier PDF is still the one on
    # record is filed under the next free name.
    return unique_path(folder, f"{document_id:06d}-{safe_name(Path(name).stem)}.pdf")


def record_success(db: Database, settings: Settings, claim: Claim, result: DocumentResult) -> Path:
    """File the searchable PDF and store the pages, in one transaction."""
    assert result.output is not None
    folder = archive_name(settings, claim.document_id, claim.batch, claim.name).parent
    # Copied and hashed before the transaction: the write lock is held only for the rename.
    tag = f"{claim.document_id:06d}.{claim.owner.rsplit(':', 1)[-1]}"
    staged, sha256 = stage_file(result.output, folder, tag)
    placed = False
    target = folder
    try:
        with db.session() as session:
            doc = session.get(Document, claim.document_id)
            if doc is None:
                raise NotFound(f"Document {claim.document_id} disappeared from the database.")
            work.finish(session, claim.item_id, claim.owner)  # LeaseLost: another worker has it
            _clear_leftovers(settings, doc, staged)
            target = archive_name(settings, claim.document_id, claim.batch, claim.name)
            link_into_place(staged, target)
            placed = True
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
            doc.output_sha256 = sha256
            states.move(doc, State.READY)
            doc.error = None
            doc.processed_at = utcnow()
            searching.queue_index(session, doc.id)
    except BaseException:
        if placed:
            discard(target)
        raise
    finally:
        discard(staged)
    searching.index_after_commit(db, claim.document_id)  # after the commit, never ahead of it
    return target


def _clear_leftovers(settings: Settings, doc: Document, staged: Path) -> None:
    """Remove what earlier runs on this document left when they were killed while filing.

    A run killed between linking its PDF into place and committing leaves a PDF no row names;
    one killed while copying leaves a hidden staged file. Both carry the document's id, and only
    the holder of the document's lease (checked just before, in this transaction) files it, so
    such files are this document's leftovers, never another's work.
    """
    folder = staged.parent
    prefix = f"{doc.id:06d}"
    current = settings.archive_dir / doc.output_path if doc.output_path else None
    for path in [*folder.glob(f"{prefix}-*.pdf"), *folder.glob(f".*.{prefix}.*.tmp")]:
        if path != staged and path != current:
            log.warning(
                "document %s: removing %s, left by a run that was stopped", doc.id, path.name
            )
            discard(path)


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


def requeue(db: Database, settings: Settings, claim: Claim, reason: str) -> None:
    """Put a document back in the queue, for a failure that was not the document's fault.

    It is due again after a wait that doubles with each attempt.
    """
    delay = work.backoff(claim.attempts, settings.workers.retry_seconds)
    with db.session() as session:
        work.retry_later(session, claim.item_id, claim.owner, reason, delay)
        doc = session.get(Document, claim.document_id)
        if doc is not None and states.allowed(doc.state, State.RECEIVED):
            states.move(doc, State.RECEIVED)


def give_back(db: Database, claims: list[Claim]) -> None:
    """Return documents a stopping worker had not finished to the queue, untried."""
    with db.session() as session:
        for claim in claims:
            if work.release(session, claim.item_id, claim.owner):
                doc = session.get(Document, claim.document_id)
                if doc is not None and states.allowed(doc.state, State.RECEIVED):
                    states.move(doc, State.RECEIVED)
                    doc.attempts = max(0, doc.attempts - 1)


def record_failure(db: Database, settings: Settings, claim: Claim, reason: str) -> None:
    """Mark the document failed and put a copy of its original in quarantine with the reason."""
    try:
        with db.session() as session:
            work.fail(session, claim.item_id, claim.owner, reason)
            doc = session.get(Document, claim.document_id)
            if doc is None:
                return
            states.move(doc, State.FAILED)
            doc.error = reason
    except work.LeaseLost as exc:
        # Another worker took the document over meanwhile: its outcome stands, not this one.
        log.warning("document %s: %s", claim.document_id, exc.message)
        return
    try:
        quarantine_file(
            claim.original, settings, claim.batch, claim.name, reason, claim.document_id, move=False
        )
    except Exception as exc:
        log.error("could not quarantine document %s: %s", claim.document_id, exc)


def _link(db: Database, document_id: int) -> str:
    """Link a ready document to its case; a failure leaves it unlinked, never failed."""
    try:
        return linking.link_document(db, document_id)
    except HosoError as exc:
        log.error("document %s: could not link it to a case: %s", document_id, exc.message)
        return "not linked (error)"


def settle(
    db: Database, settings: Settings, claim: Claim, outcome: Outcome, *, stopping: bool = False
) -> None:
    """Record what became of a claimed document, whichever worker read it; never raises.

    Ready (and linked to its case); handed back untried when the worker is stopping; retried
    after a worker crash, which may have been another document's; failed with its reason
    otherwise. A worker whose lease was taken over records nothing. ``stopping``: this
    service is shutting down, so a crashed worker process was stopped, not broken.
    """
    try:
        if outcome.result is not None:
            target = record_success(db, settings, claim, outcome.result)
            state = _link(db, claim.document_id)
            log.info(
                "document %s ready: %s (%d pages), case link: %s",
                claim.document_id,
                target.name,
                len(outcome.result.pages),
                state,
            )
        elif outcome.error_type == "WorkerCrashed" and stopping:
            # Stopping: the Ctrl-C that stops this service reached the workers too. The
            # document did nothing wrong; it goes back untried, due at once.
            give_back(db, [claim])
            log.info("document %s handed back: the service is stopping", claim.document_id)
        elif (
            outcome.error_type == "WorkerCrashed" and claim.attempts < settings.workers.max_attempts
        ):
            reason = outcome.error or "A worker process crashed."
            requeue(db, settings, claim, reason)
            log.warning("document %s: worker crashed; retrying", claim.document_id)
        else:
            reason = outcome.error or "Processing failed for an unknown reason."
            if outcome.error_type == "WorkerCrashed":
                reason += (
                    f" It happened {claim.attempts} times; the file is probably damaged."
                    " Scan it again."
                )
            record_failure(db, settings, claim, reason)
            log.warning("document %s failed: %s", claim.document_id, reason)
    except work.LeaseLost as exc:
        log.warning("document %s: %s", claim.document_id, exc.message)
    except (DatabaseError, StorageError) as exc:
        # Not the document's fault (the database away, the archive read-only or full): it
        # goes back to the queue and finishes on its own when they return (or, with the
        # database away, its lease runs out and it is taken again).
        log.error("could not record document %s: %s", claim.document_id, exc)
        try:
            requeue(db, settings, claim, str(exc))
        except HosoError as again:
            log.error(
                "document %s will be retried when its lease ends: %s", claim.document_id, again
            )
    except HosoError as exc:
        log.error("could not record document %s: %s", claim.document_id, exc)
        try:
            record_failure(db, settings, claim, str(exc))
        except HosoError as again:
            log.error("document %s: %s", claim.document_id, again)
