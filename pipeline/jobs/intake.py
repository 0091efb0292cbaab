"""Take one stable file from the inbox: archive the original, record it, then remove it.

Order matters and is the whole point: the original is copied durably into the archive first,
the database row is committed second, and only then is the inbox file deleted. A crash at any
moment leaves the file either still in the inbox or recorded with its original safe.
"""

from __future__ import annotations

import logging
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive.store import StoredFile, store_original, unique_path
from pipeline.errors import InputFileError, StorageError
from pipeline.ingest.filetypes import MediaType, sniff, suffix_for
from pipeline.jobs import audit, work
from pipeline.records import states
from pipeline.records.database import Database
from pipeline.records.models import Batch, Document, State
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    """What happened to a file taken from the inbox."""

    document_id: int | None  # None: refused without a record (not an ordinary file)
    state: str
    batch: str
    message: str


def batch_row(session: Session, name: str) -> Batch:
    """The batch called ``name``, created when it is first used."""
    batch = session.scalar(select(Batch).where(Batch.name == name))
    if batch is None:
        batch = Batch(name=name)
        session.add(batch)
        session.flush()
    return batch


def write_error_note(
    target: Path, original_name: str, reason: str, document_id: int | None, batch: str
) -> Path:
    """Write ``<name>.error.txt`` beside a quarantined file, in words a clerk can act on."""
    note = target.with_name(target.name + ".error.txt")
    when = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    ref = f", document {document_id}" if document_id is not None else ""
    note.write_text(
        f'hoso could not process "{original_name}" (batch {batch}{ref}) on {when}.\n\n'
        f"Reason: {reason}\n\n"
        "The original file is kept unchanged. Once the problem is fixed, drop the file into the "
        "inbox again; it will be processed anew.\n",
        encoding="utf-8",
    )
    return note


def quarantine_file(
    source: Path,
    settings: Settings,
    batch: str,
    name: str,
    reason: str,
    document_id: int | None,
    *,
    move: bool,
) -> Path:
    """Put a file that cannot be processed in the quarantine folder with a note of why."""
    folder = settings.quarantine_dir
    if not batch[:4].isdigit():  # keep the clerk's batch folder; day batches go to the top
        folder = folder / batch
    folder.mkdir(parents=True, exist_ok=True)
    target = unique_path(folder, name)
    try:
        if move:
            shutil.move(str(source), target)
        else:
            shutil.copyfile(source, target)
        write_error_note(target, name, reason, document_id, batch)
    except OSError as exc:
        raise StorageError(
            f"The file {name} could not be put in quarantine at {folder} ({exc.strerror or exc})."
        ) from exc
    return target


SYSTEM_ACTOR = "hoso"  # actions the service takes on its own


def not_a_file(path: Path) -> str | None:
    """What an inbox entry is when it is not an ordinary file (a link, a FIFO, a device)."""
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a link to another file"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not an ordinary file"


def take_file(db: Database, settings: Settings, path: Path, batch: str) -> IntakeResult:
    """Archive, record and remove one inbox file; see the module note for the order.

    An entry that is not an ordinary file is never opened or followed: a link could point at
    any file on the machine (which would then be archived and offered for download), a FIFO
    would block. It is moved to quarantine with a note, and the refusal audited.
    """
    kind = not_a_file(path)
    if kind is not None:
        return _refuse_entry(db, settings, path, batch, kind)
    media_type: MediaType | None = None
    refusal: str | None = None
    try:
        media_type = sniff(path)
    except InputFileError as exc:
        refusal = exc.message
    suffix = suffix_for(media_type) if media_type else (path.suffix.lower()[:10] or ".bin")
    stored = store_original(path, settings.originals_dir, suffix)
    inbox_path = str(path.relative_to(settings.inbox_dir))
    with db.session(write=True) as session:
        doc, message = _record(
            session, settings, stored, path.name, inbox_path, batch, media_type, refusal
        )
        result = IntakeResult(doc.id, doc.state, batch, message)
        audit.record(
            session,
            SYSTEM_ACTOR,
            "ingest",
            f"document:{doc.id}",
            file=inbox_path,
            sha256=stored.sha256,
            batch=batch,
            outcome=message,
        )
    if refusal is not None:
        quarantine_file(path, settings, batch, path.name, refusal, result.document_id, move=True)
    else:
        path.unlink(missing_ok=True)
    log.info("%s: %s", inbox_path, message)
    return result


def _refuse_entry(
    db: Database, settings: Settings, path: Path, batch: str, kind: str
) -> IntakeResult:
    inbox_path = str(path.relative_to(settings.inbox_dir))
    reason = (
        f"{path.name} is {kind}, not a scan file; hoso takes only ordinary files. Copy the scan "
        "itself into the inbox."
    )
    with db.session(write=True) as session:
        audit.record(
            session, SYSTEM_ACTOR, "refuse", "", file=inbox_path, batch=batch, reason=reason
        )
    quarantine_file(path, settings, batch, path.name, reason, None, move=True)
    log.warning("%s: refused: %s", inbox_path, reason)
    return IntakeResult(None, "refused", batch, "refused: " + reason)


def _record(
    session: Session,
    settings: Settings,
    stored: StoredFile,
    name: str,
    inbox_path: str,
    batch: str,
    media_type: MediaType | None,
    refusal: str | None,
) -> tuple[Document, str]:
    batch_obj = batch_row(session, batch)
    relative = str(stored.path.relative_to(settings.archive_dir))

    def new_document(state: State, error: str | None) -> Document:
        return Document(
            batch=batch_obj,
            original_name=name,
            inbox_path=inbox_path,
            sha256=stored.sha256,
            size=stored.size,
            media_type=media_type.value if media_type else "",
            original_path=relative,
            state=state.value,
            error=error,
        )

    existing = session.scalar(
        select(Document).where(Document.sha256 == stored.sha256, Document.duplicate_of_id.is_(None))
    )
    if existing is not None:
        if (
            existing.inbox_path == inbox_path
            and existing.batch_id == batch_obj.id
            and (existing.state != State.FAILED.value)
        ):
            return existing, "already taken before an interruption; the inbox copy is removed"
        if existing.state == State.FAILED.value and refusal is None:
            states.move(existing, State.RECEIVED)
            existing.error = None
            work.enqueue(session, work.PROCESS, existing.id)
            return existing, f"dropped again after failing; document {existing.id} is retried"
        duplicate = new_document(
            State.DUPLICATE,
            error=f"Exact duplicate of document {existing.id} ({existing.original_name}); "
            "not processed again.",
        )
        duplicate.duplicate_of_id = existing.id
        session.add(duplicate)
        session.flush()
        return duplicate, f"duplicate of document {existing.id}, not processed again"
    doc = new_document(State.FAILED if refusal else State.RECEIVED, error=refusal)
    session.add(doc)
    session.flush()
    if refusal is None:
        work.enqueue(session, work.PROCESS, doc.id)  # in the transaction that records it
    return doc, "refused: " + refusal if refusal else "received"
