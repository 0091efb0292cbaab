"""The search index kept in step with the database, and searches answered for the faces.

A change to what is indexed queues an ``index`` work item in its own transaction (an outbox);
the item is worked right after the commit, so the index never shows what the database does not
hold, and one that fails is retried by the watcher; ``hoso search reindex`` rebuilds it all.
Both databases carry the index (SQLite FTS5, PostgreSQL tsvector), behind one interface.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pipeline.errors import HosoError, TooLarge
from pipeline.jobs import work
from pipeline.records.database import Database
from pipeline.records.models import Document, State
from pipeline.search.index import Filters, SearchIndex, open_index

log = logging.getLogger(__name__)
REINDEX_CHUNK = 500
MAX_QUERY = 300  # characters a search may hold
MAX_TERMS = 24  # words a search may hold
INDEX = "index"  # the kind of work item that (re)indexes a document
SEARCHABLE = (State.READY.value, State.APPROVED.value, State.ARCHIVED.value, State.RETURNED.value)


def _fields_text(doc: Document) -> str:
    parts = [doc.doc_type, doc.number, doc.printed_number, doc.issuer, doc.issued_on]
    parts += [n.number for n in doc.numbers]
    parts += [p.name for p in doc.parties]
    return "\n".join(p for p in parts if p)


def _index(index: SearchIndex, doc: Document, *, replace: bool = True) -> None:
    index.add(doc.id, [p.text for p in doc.pages], _fields_text(doc), replace=replace)


def _index_in(session: Session, document_id: int) -> None:
    """Index one stored document, or forget it if it is not searchable."""
    doc = session.get(Document, document_id)
    index = open_index(session.connection())
    if doc is None or doc.state not in SEARCHABLE:
        index.remove(document_id)
        return
    _index(index, doc)


def queue_index(session: Session, document_id: int) -> None:
    """Queue the document's (re)indexing, in the transaction that changes what is indexed.

    The queue is the outbox: an index that fails (a lock, a full disk) leaves the item to be
    retried, instead of a line in a log and a document nobody can find.
    """
    work.enqueue(session, INDEX, document_id)


def index_queued(
    db: Database,
    owner: str,
    *,
    limit: int = 50,
    subjects: list[int] | None = None,
    lease_seconds: float = 60.0,
    retry_seconds: float = 30.0,
    max_attempts: int = 5,
) -> int:
    """Index what is queued (``subjects`` only, if given); returns how many were indexed.

    Each document is indexed and its item ended in one transaction: the index lives in the same
    database, so either both happen or neither. A failure waits and is tried again, and after
    ``max_attempts`` it is failed with the reason (``hoso search reindex`` catches up).
    """
    if subjects is None and not work.anything_to_claim(db, INDEX, owner):
        return 0
    with db.session() as session:
        work.begin_claim(session)
        items = work.claim(session, INDEX, owner, limit, lease_seconds, subjects=subjects)
        taken = [(item.id, item.subject_id, item.attempts) for item in items]
    done = 0
    for item_id, document_id, attempts in taken:
        try:
            with db.session() as session:
                _index_in(session, document_id)
                work.finish(session, item_id, owner)
            done += 1
        except HosoError as exc:
            reason = f"not indexed: {exc.message}"
            log.error("document %s is stored but %s (try %d)", document_id, reason, attempts)
            try:
                with db.session() as session:
                    if attempts >= max_attempts:
                        work.fail(session, item_id, owner, reason)
                    else:
                        delay = work.backoff(attempts, retry_seconds)
                        work.retry_later(session, item_id, owner, reason, delay)
            except HosoError as again:
                log.error("document %s: the index item waits for its lease: %s", document_id, again)
    return done


def index_after_commit(db: Database, document_id: int) -> None:
    """Index a document whose change has just committed (with its item queued); never raises.

    The document is safely stored whatever happens here, so a search-index failure must not
    send it down a failure path: its item stays queued and the watcher retries it.
    """
    try:
        index_queued(db, work.worker_name(), subjects=[document_id])
    except HosoError as exc:
        log.error("document %s: indexing is left to the queue (%s)", document_id, exc.message)


def reindex(db: Database, chunk: int = REINDEX_CHUNK) -> int:
    """Rebuild the index from the database; returns the number of documents indexed.

    Documents are read ``chunk`` at a time with their pages, numbers and parties, and each chunk
    is written in one transaction, so a large archive is rebuilt without a query per document.
    """
    with db.session() as session:
        ids = list(
            session.scalars(
                select(Document.id).where(Document.state.in_(SEARCHABLE)).order_by(Document.id)
            )
        )
        open_index(session.connection()).clear()
    for start in range(0, len(ids), chunk):
        with db.session() as session:
            index = open_index(session.connection())
            docs = session.scalars(
                select(Document)
                .where(Document.id.in_(ids[start : start + chunk]))
                .options(
                    selectinload(Document.pages),
                    selectinload(Document.numbers),
                    selectinload(Document.parties),
                )
            )
            for doc in docs:
                _index(index, doc, replace=False)
    with db.session() as session:
        open_index(session.connection()).settle()
    return len(ids)


def search(
    db: Database, query: str, filters: Filters, limit: int = 20, *, fuzzy: bool = False
) -> list[dict[str, Any]]:
    """Ranked results with the document's facts, the page of the hit and a snippet.

    A query longer than :data:`MAX_QUERY` characters or :data:`MAX_TERMS` words is refused with
    a plain sentence: one pasted page of text took the index 14 s and held other requests.
    """
    if len(query) > MAX_QUERY or len(query.split()) > MAX_TERMS:
        raise TooLarge(
            f"A search may hold at most {MAX_QUERY} characters and {MAX_TERMS} words; "
            "search for the few words that matter (a name, a number)."
        )
    with db.session() as session:
        hits = open_index(session.connection()).search(query, filters, limit, fuzzy=fuzzy)
        docs = {
            doc.id: doc
            for doc in session.scalars(
                select(Document)
                .where(Document.id.in_([hit.document_id for hit in hits]))
                .options(selectinload(Document.case))
            )
        }
        return [
            {
                "id": doc.id,
                "file": doc.original_name,
                "number": doc.number,
                "doc_type": doc.doc_type,
                "issuer": doc.issuer,
                "date": doc.issued_on,
                "case": doc.case.code if doc.case else None,
                "score": hit.score,
                "page": hit.page + 1 if hit.page >= 0 else None,
                "snippet": hit.snippet,
            }
            for hit in hits
            if (doc := docs.get(hit.document_id)) is not None
        ]
