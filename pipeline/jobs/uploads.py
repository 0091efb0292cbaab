"""What a clerk does from the web: put scans in the inbox, watch them, retry a failure.

An upload takes the same path as a file copied into the inbox folder: it is written there
(hidden until complete), and the watcher archives, records and processes it. So there is one
intake, whatever the door.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from pipeline.archive.store import safe_name, unique_path, write_stream
from pipeline.errors import InvalidInput, NotAllowed
from pipeline.ingest.inbox import scan
from pipeline.jobs import audit, lookup, work
from pipeline.jobs.approval import require_role
from pipeline.records import states
from pipeline.records.database import Database
from pipeline.records.models import Batch, State
from pipeline.settings import Settings

UPLOADERS = ("clerk", "admin")
RETRIERS = ("clerk", "officer", "admin")  # see the inbox, retry a failed document
_BATCH = re.compile(r"^[\w\- .]{1,80}$", re.UNICODE)


def check_batch_name(name: str) -> str:
    """A batch name a clerk typed, as a single inbox folder name (Vietnamese letters allowed)."""
    name = name.strip()
    if not _BATCH.match(name) or name.startswith((".", "_")):
        raise InvalidInput(
            "A batch name is one folder name of letters, digits, spaces, dots and dashes "
            "(at most 80), not starting with a dot or an underscore; for example "
            "“2026-11 Lục Ngạn”."
        )
    return name


def upload_file(
    db: Database, settings: Settings, actor: str, batch: str, filename: str, stream: BinaryIO
) -> dict[str, Any]:
    """Write an uploaded scan into ``inbox/<batch>/`` for the watcher to take."""
    batch = check_batch_name(batch)
    name = safe_name(Path(filename).name or "scan")
    with db.session() as session:
        require_role(session, actor, UPLOADERS)
    folder = settings.inbox_dir / batch
    folder.mkdir(parents=True, exist_ok=True)
    stored = write_stream(stream, unique_path(folder, name), settings.web.max_upload_mb << 20)
    relative = str(stored.path.relative_to(settings.inbox_dir))
    with db.session(write=True) as session:
        audit.record(
            session,
            actor,
            "upload",
            f"inbox:{relative}",
            sha256=stored.sha256,
            size=stored.size,
            batch=batch,
        )
    return {"file": stored.path.name, "batch": batch, "sha256": stored.sha256, "size": stored.size}


def waiting_files(settings: Settings) -> list[dict[str, Any]]:
    """Files in the inbox the watcher has not taken yet."""
    inbox = settings.inbox_dir
    files = []
    for path in scan(inbox, settings.quarantine_dir):
        relative = path.relative_to(inbox)
        stat = path.stat()
        files.append(
            {
                "file": path.name,
                "batch": "/".join(relative.parts[:-1]) or "",
                "size": stat.st_size,
                "since": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat(
                    timespec="seconds"
                ),
            }
        )
    return files


def batch_names(db: Database) -> list[str]:
    """Every batch, newest first (for the upload form's choice of an existing batch)."""
    with db.session() as session:
        return list(session.scalars(select(Batch.name).order_by(Batch.id.desc())))


def retry(db: Database, document_id: int, actor: str) -> None:
    """Queue a failed document again; its original is safe in the archive."""
    with db.session(write=True) as session:
        require_role(session, actor, RETRIERS)
        doc = lookup.document(session, document_id)
        if doc.state != State.FAILED.value:
            raise NotAllowed(
                f"Document {document_id} is {doc.state}, not failed; only a failed document "
                "can be tried again."
            )
        states.move(doc, State.RECEIVED)
        doc.attempts = 0
        work.enqueue(session, work.PROCESS, doc.id)
        audit.record(session, actor, "retry", f"document:{document_id}", error=doc.error or "")
        doc.error = None


def resubmit(db: Database, document_id: int, actor: str) -> None:
    """Send a returned document back for review, once the clerk has fixed what was asked."""
    with db.session(write=True) as session:
        require_role(session, actor, UPLOADERS)
        doc = lookup.document(session, document_id)
        if doc.state != State.RETURNED.value:
            raise NotAllowed(
                f"Document {document_id} is {doc.state}; only a returned document is resubmitted."
            )
        states.move(doc, State.READY)
        audit.record(session, actor, "resubmit", f"document:{document_id}", note=doc.review_note)
