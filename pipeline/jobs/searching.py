"""The search index kept in step with the database, and searches answered for the faces.

A document is (re)indexed only after the transaction that stored it has committed, so the index
never shows what the database does not hold; ``hoso search reindex`` rebuilds it from the tables.
Both databases carry the index (SQLite FTS5, PostgreSQL tsvector), behind one interface.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from pipeline.records.database import Database
from pipeline.records.models import Document, State
from pipeline.search.index import Filters, open_index

log = logging.getLogger(__name__)
SEARCHABLE = (State.READY.value, State.APPROVED.value, State.ARCHIVED.value, State.RETURNED.value)


def _fields_text(doc: Document) -> str:
    parts = [doc.doc_type, doc.number, doc.printed_number, doc.issuer, doc.issued_on]
    parts += [n.number for n in doc.numbers]
    parts += [p.name for p in doc.parties]
    return "\n".join(p for p in parts if p)


def index_document(db: Database, document_id: int) -> None:
    """Index one stored document (after its commit)."""
    with db.session() as session:
        doc = session.get(Document, document_id)
        index = open_index(session.connection())
        if doc is None or doc.state not in SEARCHABLE:
            index.remove(document_id)
            return
        index.add(doc.id, [p.text for p in doc.pages], _fields_text(doc))


def reindex(db: Database) -> int:
    """Rebuild the index from the database; returns the number of documents indexed."""
    with db.session() as session:
        ids = list(session.scalars(select(Document.id).where(Document.state.in_(SEARCHABLE))))
        session.connection().exec_driver_sql("DELETE FROM search_pages")
    for document_id in ids:
        index_document(db, document_id)
    return len(ids)


def search(db: Database, query: str, filters: Filters, limit: int = 20) -> list[dict[str, Any]]:
    """Ranked results with the document's facts, the page of the hit and a snippet."""
    with db.session() as session:
        hits = open_index(session.connection()).search(query, filters, limit)
        out = []
        for hit in hits:
            doc = session.get(Document, hit.document_id)
            if doc is None:
                continue
            out.append(
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
            )
        return out
