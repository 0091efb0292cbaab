"""Read-only views of the records, as plain dicts for the CLI's tables and JSON (and the web)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pipeline.errors import NotFound
from pipeline.jobs import work
from pipeline.jobs.linking import link_history
from pipeline.records.database import Database
from pipeline.records.models import Batch, Document, State
from pipeline.review import warnings
from pipeline.settings import Settings


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def document_summary(doc: Document, settings: Settings) -> dict[str, Any]:
    """The fields every listing shows for a document."""
    return {
        "id": doc.id,
        "file": doc.original_name,
        "sha256": doc.sha256,
        "batch": doc.batch.name,
        "state": doc.state,
        "pages": doc.page_count,
        "confidence": doc.mean_confidence,
        "doc_type": doc.doc_type,
        "number": doc.number,
        "issuer": doc.issuer,
        "date": doc.issued_on,
        "case_type": doc.case_type,
        "case": doc.case.code if doc.case else None,
        "link_state": doc.link_state,
        "link_method": doc.link_method,
        "link_score": doc.link_score,
        "archived_path": str(settings.archive_dir / doc.output_path) if doc.output_path else None,
        "original_path": str(settings.archive_dir / doc.original_path)
        if doc.original_path
        else None,
        "duplicate_of": doc.duplicate_of_id,
        "error": doc.error,
        "note": doc.review_note,
        "flags": list(doc.flags or []),
        "warnings": warnings(doc.flags),
        "created_at": _iso(doc.created_at),
        "processed_at": _iso(doc.processed_at),
    }


def list_documents(
    db: Database,
    settings: Settings,
    *,
    state: str | None = None,
    batch: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Documents, newest first, optionally filtered by state and batch."""
    with db.session() as session:
        query = (
            select(Document)
            .options(selectinload(Document.batch))
            .order_by(Document.id.desc())
            .limit(limit)
        )
        if state:
            query = query.where(Document.state == state)
        if batch:
            query = query.join(Batch).where(Batch.name == batch)
        return [document_summary(doc, settings) for doc in session.scalars(query)]


def show_document(db: Database, settings: Settings, document_id: int) -> dict[str, Any]:
    """One document with its pages' text and confidence."""
    with db.session() as session:
        doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound(
                f"There is no document {document_id}. "
                "`hoso documents list` shows the documents there are."
            )
        data = document_summary(doc, settings)
        data["size"] = doc.size
        data["media_type"] = doc.media_type
        data["attempts"] = doc.attempts
        data["inbox_path"] = doc.inbox_path
        data["output_sha256"] = doc.output_sha256
        data["printed_number"] = doc.printed_number
        data["review_note"] = doc.review_note
        data["approved_by"] = doc.approved_by
        data["versions"] = [
            {
                "version": v.version,
                "signer": v.signer,
                "level": v.level,
                "signed_at": _iso(v.signed_at),
                "sha256": v.sha256,
            }
            for v in doc.versions
        ]
        data["cited"] = [n.number for n in doc.numbers if not n.own]
        data["parties"] = [
            {
                "role": p.role,
                "name": p.name,
                "birth_year": p.birth_year,
                "id_number": p.id_number,
                "address": p.address,
                "confidence": p.confidence,
            }
            for p in doc.parties
        ]
        amounts: Any = (doc.fields or {}).get("amounts") or {}
        data["amounts"] = list(amounts.get("value", []))
        data["fields"] = doc.fields
        data["link_candidates"] = [
            {"rank": c.rank + 1, "case": c.case.code, "score": c.score, "reason": c.reason}
            for c in doc.candidates
        ]
        data["link_history"] = link_history(session, document_id)
        data["page_details"] = [
            {
                "index": p.index,
                "text": p.text,
                "confidence": p.confidence,
                "source": p.source,
                "dpi": p.dpi,
                "quality": p.quality,
                "turned": p.turned,
                "marks": p.marks or [],
                "corrections": [
                    {
                        "before": c.before,
                        "after": c.after,
                        "box": [c.x0, c.y0, c.x1, c.y1],
                        "confidence": c.confidence,
                    }
                    for c in p.corrections
                ],
            }
            for p in doc.pages
        ]
        return data


def status(db: Database, *, errors: int = 10) -> dict[str, Any]:
    """Counts per state, per batch, and the latest errors."""
    with db.session() as session:
        counts = {state.value: 0 for state in State}
        for state, count in session.execute(
            select(Document.state, func.count()).group_by(Document.state)
        ):
            counts[state] = count
        batches: dict[str, dict[str, Any]] = {}
        for name, state, count in session.execute(
            select(Batch.name, Document.state, func.count())
            .join(Document)
            .group_by(Batch.name, Document.state)
            .order_by(Batch.name)
        ):
            entry = batches.setdefault(name, {"name": name, "documents": 0, "states": {}})
            entry["documents"] += count
            entry["states"][state] = count
        failed = session.scalars(
            select(Document)
            .options(selectinload(Document.batch))
            .where(Document.state == State.FAILED.value)
            .order_by(Document.updated_at.desc())
            .limit(errors)
        ).all()
        result = {
            "states": counts,
            "total": sum(counts.values()),
            "batches": list(batches.values()),
            "recent_errors": [
                {
                    "id": d.id,
                    "file": d.original_name,
                    "batch": d.batch.name,
                    "error": d.error,
                    "at": _iso(d.updated_at),
                }
                for d in failed
            ],
        }
    result["queue"] = work.queue_state(db).as_dict()
    return result
