"""Linking documents to cases in the database: the jobs-layer face of :mod:`pipeline.linking`.

After a document's fields are stored, :func:`link_document` ranks the cases it may belong to
and records the outcome: linked (method and score kept), queued for review with its ranked
candidates, or unlinked. Importing cases re-tries every unlinked and queued document. A clerk or
officer works the queue with :func:`accept` and :func:`choose`; every link, unlink, queueing and
choice is written to ``link_events`` with who and when. A document linked by hand is never
re-linked automatically.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from pipeline.errors import NotFound
from pipeline.jobs import audit, lookup
from pipeline.linking import CaseIndex, CaseRecord, Decision, DocumentFacts, decide, rank
from pipeline.records.database import Database
from pipeline.records.models import Case, Document, LinkCandidate, LinkEvent, State

SYSTEM = "hoso"  # the actor of automatic links


def _record(case: Case) -> CaseRecord:
    year = int(case.opened_on[:4]) if case.opened_on[:4].isdigit() else None
    return CaseRecord(
        case.id,
        case.code,
        case.agency,
        tuple(n.number for n in case.numbers),
        tuple(p.name for p in case.parties if p.role == "debtor"),
        tuple(p.name for p in case.parties if p.role == "creditor"),
        year,
    )


@dataclass
class IndexCache:
    """The cases in memory, rebuilt only when the case table changed (count or last update)."""

    index: CaseIndex | None = None
    signature: tuple[int, object] | None = None

    def get(self, session: Session) -> CaseIndex:
        """The current index (rebuilt if cases were added or changed since)."""
        signature = tuple(
            session.execute(select(func.count(Case.id), func.max(Case.updated_at))).one()
        )
        if self.index is None or signature != self.signature:
            cases = session.scalars(
                select(Case).options(selectinload(Case.numbers), selectinload(Case.parties))
            )
            self.index = CaseIndex.build(_record(c) for c in cases)
            self.signature = signature  # type: ignore[assignment]
            gc.freeze()  # a long-lived index: keep the collector from rescanning it
        return self.index


CACHE = IndexCache()


def facts_of(doc: Document) -> DocumentFacts:
    """What the matcher needs of a stored document."""
    year = int(doc.issued_on[:4]) if doc.issued_on[:4].isdigit() else None
    return DocumentFacts(
        tuple(n.number for n in doc.numbers),
        tuple((p.role, p.name) for p in doc.parties),
        doc.issuer,
        year,
    )


def _event(
    session: Session,
    doc: Document,
    action: str,
    actor: str,
    case_id: int | None,
    method: str = "",
    score: float | None = None,
) -> None:
    session.add(
        LinkEvent(
            document_id=doc.id,
            case_id=case_id,
            action=action,
            method=method,
            score=score,
            actor=actor,
        )
    )
    case = session.get(Case, case_id) if case_id else None
    audit.record(
        session,
        actor,
        f"link.{action}",
        f"document:{doc.id}",
        case=case.code if case else None,
        method=method,
        score=score,
    )


def apply_decision(
    session: Session, doc: Document, decision: Decision, actor: str = SYSTEM
) -> None:
    """Store a matcher decision on a document and log it."""
    doc.candidates = (
        [
            LinkCandidate(
                case_id=c.case_id, rank=k, score=c.score, method=c.method, reason=c.reason
            )
            for k, c in enumerate(decision.candidates)
        ]
        if decision.state == "review"
        else []
    )
    chosen = decision.chosen
    if chosen is not None:
        doc.case_id, doc.link_state = chosen.case_id, "linked"
        doc.link_method, doc.link_score = chosen.method, chosen.score
        _event(session, doc, "linked", actor, chosen.case_id, chosen.method, chosen.score)
        return
    doc.case_id, doc.link_method, doc.link_score = None, "", None
    if doc.link_state != decision.state:
        top = decision.candidates[0] if decision.candidates else None
        _event(
            session,
            doc,
            "queued" if decision.state == "review" else "unlinked",
            actor,
            top.case_id if top else None,
            top.method if top else "",
            top.score if top else None,
        )
    doc.link_state = decision.state


def link_document(db: Database, document_id: int, cache: IndexCache = CACHE) -> str:
    """Rank and link one stored document; returns its link state."""
    with db.session(write=True) as session:
        doc = session.get(Document, document_id)
        if doc is None or doc.link_method == "manual":
            return doc.link_state if doc else ""
        apply_decision(session, doc, decide(rank(cache.get(session), facts_of(doc))))
        return doc.link_state


def relink_pending(db: Database, cache: IndexCache = CACHE) -> dict[str, int]:
    """Re-try every ready document that is unlinked or waiting for review (after an import)."""
    counts = {"linked": 0, "review": 0, "unlinked": 0}
    with db.session(write=True) as session:
        index = cache.get(session)
        docs = session.scalars(
            select(Document).where(
                Document.state == State.READY.value,
                Document.link_state.in_(["", "unlinked", "review"]),
            )
        )
        for doc in docs:
            apply_decision(session, doc, decide(rank(index, facts_of(doc))))
            counts[doc.link_state] += 1
    return counts


def review_queue(db: Database) -> list[dict[str, Any]]:
    """Documents waiting for a person to choose their case, with ranked candidates."""
    with db.session() as session:
        docs = session.scalars(
            select(Document).where(Document.link_state == "review").order_by(Document.id)
        )
        return [
            {
                "id": d.id,
                "file": d.original_name,
                "doc_type": d.doc_type,
                "number": d.number,
                "date": d.issued_on,
                "candidates": [
                    {
                        "rank": c.rank + 1,
                        "case": c.case.code,
                        "score": round(c.score, 3),
                        "method": c.method,
                        "reason": c.reason,
                    }
                    for c in d.candidates
                ],
            }
            for d in docs
        ]


def choose(db: Database, document_id: int, case_code: str, actor: str) -> str:
    """Link a document to the case a person chose (any case, not only a candidate)."""
    with db.session(write=True) as session:
        doc = lookup.document(session, document_id)
        case = session.scalars(select(Case).where(Case.code == case_code)).one_or_none()
        if case is None:
            raise NotFound(f"There is no case {case_code}. `hoso cases list` shows the cases.")
        score = next((c.score for c in doc.candidates if c.case_id == case.id), None)
        doc.case_id, doc.link_state, doc.link_method, doc.link_score = (
            case.id,
            "linked",
            "manual",
            score,
        )
        doc.candidates = []
        _event(session, doc, "chose", actor, case.id, "manual", score)
        audit.record(session, actor, "link.choose", f"document:{document_id}", case=case.code)
        return case.code


def accept(db: Database, document_id: int, actor: str) -> str:
    """Link a queued document to its first-ranked candidate."""
    with db.session() as session:
        doc = lookup.document(session, document_id)
        if not doc.candidates:
            raise NotFound(
                f"Document {document_id} has no candidate case to accept. Choose one with "
                "`hoso review choose`."
            )
        code = doc.candidates[0].case.code
    return choose(db, document_id, code, actor)


def unlink(db: Database, document_id: int, actor: str) -> None:
    """Take a document out of its case (it stays unlinked until someone links it)."""
    with db.session(write=True) as session:
        doc = lookup.document(session, document_id)
        previous = doc.case_id
        doc.case_id, doc.link_state, doc.link_method, doc.link_score = (
            None,
            "unlinked",
            "manual",
            None,
        )
        doc.candidates = []
        _event(session, doc, "unlinked", actor, previous, "manual")
        audit.record(session, actor, "link.remove", f"document:{document_id}")


def link_history(session: Session, document_id: int) -> list[dict[str, Any]]:
    """A document's link history, oldest first (read in the caller's session)."""
    rows = session.execute(
        select(LinkEvent, Case.code)
        .outerjoin(Case, Case.id == LinkEvent.case_id)
        .where(LinkEvent.document_id == document_id)
        .order_by(LinkEvent.id)
    )
    return [
        {
            "action": e.action,
            "case": code,
            "method": e.method,
            "score": e.score,
            "actor": e.actor,
            "at": e.at.astimezone(dt.UTC).isoformat() if e.at.tzinfo else e.at.isoformat(),
        }
        for e, code in rows
    ]
