"""The search index kept in step with the database, and searches answered for the faces.

A document is (re)indexed only after the transaction that stored it has committed, so the index
never shows what the database does not hold; ``hoso search reindex`` rebuilds it from the tables.
Both databases carry the index (SQLite FTS5, PostgreSQL tsvector), behind one interface.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pipeline.errors import HosoError
from pipeline.records.database import Database
from pipeline.records.models import Document, State
from pipeline.search.index import Filters, SearchIndex, open_index

log = logging.getLogger(__name__)
REINDEX_CHUNK = 500
SEARCHABLE = (State.READY.value, State.APPROVED.value, State.ARCHIVED.value, State.RETURNED.value)


def _fields_text(doc: Document) -> str:
    parts = [doc.doc_type, doc.number, doc.printed_number, doc.issuer, doc.issued_on]
    parts += [n.number for n in doc.numbers]
    parts += [p.name for p in doc.parties]
    return "\n".join(p for p in parts if p)


def _index(index: SearchIndex, doc: Document, *, replace: bool = True) -> None:
    index.add(doc.id, [p.text for p in doc.pages], _fields_text(doc), replace=replace)


def index_document(db: Database, document_id: int) -> None:
    """Index one stored document (after its commit), or forget it if it is not searchable."""
    with db.session() as session:
        doc = session.get(Document, document_id)
        index = open_index(session.connection())
        if doc is None or doc.state not in SEARCHABLE:
            index.remove(document_id)
            return
        _index(index, doc)


def index_after_commit(db: Database, document_id: int) -> None:
    """Index a document whose rows have just committed; a failure is logged, never raised.

    The document is safely stored whatever happens here, so a search-index failure must not
    send it down a failure path; the log says how to catch the index up.
    """
    try:
        index_document(db, document_id)
    except HosoError as exc:
        log.error(
            "document %s is stored but not in the search index (%s); run `hoso search reindex`.",
            document_id,
            exc.message,
        )


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
    """Ranked results with the document's facts, the page of the hit and a snippet."""
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
