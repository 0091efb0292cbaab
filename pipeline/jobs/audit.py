"""The audit log: every action with who, when and what, append-only and tamper-evident.

:func:`record` appends an entry inside the caller's transaction, so an action and its entry
commit together or not at all. Each entry's hash covers the previous entry's hash, so
:func:`verify_chain` finds any entry changed, removed or inserted after the fact. On PostgreSQL
an advisory lock serialises appenders; on SQLite the database's single writer does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pipeline.records.database import Database
from pipeline.records.models import AuditEntry

GENESIS = "0" * 64
_LOCK = 0x686F736F  # "hoso"


def _digest(prev: str, at: str, actor: str, action: str, subject: str, details: str) -> str:
    payload = json.dumps([prev, at, actor, action, subject, details], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def serialise(session: Session) -> None:
    """Wait for every other audit writer now, not at the append.

    For a transaction that decides from the chain what to append (failed log-ins counted, then
    one more recorded). On PostgreSQL the chain's advisory lock, held to the end of the
    transaction; on SQLite the session must have been opened with ``db.session(write=True)``,
    which does the same.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})


def record(
    session: Session, actor: str, action: str, subject: str = "", **details: Any
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction.

    The caller's session is opened with ``db.session(write=True)``: on SQLite concurrent
    appenders would otherwise both read the same last entry and one of them fail.
    """
    serialise(session)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    body = json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=body,
        prev_hash=prev,
        hash=_digest(prev, at, actor, action, subject, body),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """How many entries were checked, and the first one that does not fit, if any."""

    entries: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """The chain is whole."""
        return self.broken_at is None


def verify_chain(db: Database) -> ChainReport:
    """Recompute every hash in order; report the first entry that was changed or is missing."""
    prev = GENESIS
    count = 0
    with db.session() as session:
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
            count += 1
            if entry.prev_hash != prev:
                return ChainReport(count, entry.id, "the entry before it was removed or changed")
            expected = _digest(
                prev, entry.at, entry.actor, entry.action, entry.subject, entry.details
            )
            if entry.hash != expected:
                return ChainReport(count, entry.id, "its content was changed")
            prev = entry.hash
    return ChainReport(count)


def list_entries(
    db: Database, limit: int = 100, action: str | None = None, subject: str | None = None
) -> list[dict[str, Any]]:
    """The latest entries, newest first."""
    with db.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action:
            query = query.where(AuditEntry.action == action)
        if subject:
            query = query.where(AuditEntry.subject == subject)
        return [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "details": json.loads(e.details),
                "hash": e.hash,
            }
            for e in session.scalars(query)
        ]
