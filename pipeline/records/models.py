"""Tables for batches, documents and their pages."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


class State(StrEnum):
    """Where a document is in the pipeline.

    received: the original is safe in the archive, processing has not started;
    processing: a worker is reading it (resumed after a crash);
    ready: the searchable PDF is archived and the document awaits review;
    failed: it could not be processed, the reason is in ``error``;
    duplicate: the same bytes were taken before, see ``duplicate_of_id``;
    returned: an officer sent it back, the reason is in ``review_note``;
    approved: an officer approved it and signing has not finished yet;
    archived: signed and filed in the archive (see ``versions``).
    """

    RECEIVED = "received"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    RETURNED = "returned"
    APPROVED = "approved"
    ARCHIVED = "archived"


class Base(DeclarativeBase):
    """Declarative base of hoso's tables."""


class Batch(Base):
    """A clerk's drop: one inbox subfolder, or the files of one day at the inbox's top level."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    documents: Mapped[list[Document]] = relationship(back_populates="batch")


class Document(Base):
    """One file taken from the inbox and what became of it."""

    __tablename__ = "documents"
    __table_args__ = (
        # One processed document per distinct file; duplicates point at it.
        Index(
            "uq_documents_sha256_primary",
            "sha256",
            unique=True,
            sqlite_where=text("duplicate_of_id IS NULL"),
            postgresql_where=text("duplicate_of_id IS NULL"),
        ),
        Index("ix_documents_state", "state"),
        Index("ix_documents_number", "number"),
        # Search filters (migration 0008).
        Index("ix_documents_issued_on", "issued_on"),
        Index("ix_documents_issuer", "issuer"),
        Index("ix_documents_doc_type", "doc_type"),
        Index("ix_documents_case_type", "case_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    original_name: Mapped[str] = mapped_column(String(1024))
    inbox_path: Mapped[str] = mapped_column(String(2048), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    media_type: Mapped[str] = mapped_column(String(64), default="")
    original_path: Mapped[str] = mapped_column(String(2048), default="")
    state: Mapped[str] = mapped_column(String(32), default=State.RECEIVED.value)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    mean_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    doc_type: Mapped[str] = mapped_column(String(64), default="")
    number: Mapped[str] = mapped_column(String(128), default="")
    printed_number: Mapped[str] = mapped_column(String(128), default="", server_default="")
    issuer: Mapped[str] = mapped_column(String(512), default="", server_default="")
    issued_on: Mapped[str] = mapped_column(String(10), default="", server_default="")
    case_type: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # The whole extraction with confidences and boxes, for the review screen.
    fields: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    # The enforcement case the document belongs to, how it was found, and how sure.
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    link_state: Mapped[str] = mapped_column(String(16), default="", server_default="")
    link_method: Mapped[str] = mapped_column(String(16), default="", server_default="")
    link_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What the reviewer must be told: [{"code", "page", "values"}] (pipeline.review.Flag).
    flags: Mapped[list[dict[str, object]] | None] = mapped_column(JSON, nullable=True)
    approved_by: Mapped[str] = mapped_column(String(128), default="", server_default="")
    output_path: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    output_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    batch: Mapped[Batch] = relationship(back_populates="documents")
    duplicate_of: Mapped[Document | None] = relationship(remote_side=[id])
    pages: Mapped[list[Page]] = relationship(
        back_populates="document", order_by="Page.index", cascade="all, delete-orphan"
    )
    parties: Mapped[list[PartyRow]] = relationship(
        back_populates="document", order_by="PartyRow.position", cascade="all, delete-orphan"
    )
    numbers: Mapped[list[DocumentNumber]] = relationship(
        back_populates="document", order_by="DocumentNumber.position", cascade="all, delete-orphan"
    )
    case: Mapped[Case | None] = relationship(back_populates="documents")
    versions: Mapped[list[SignedVersion]] = relationship(
        back_populates="document", order_by="SignedVersion.version", cascade="all, delete-orphan"
    )
    candidates: Mapped[list[LinkCandidate]] = relationship(
        back_populates="document", order_by="LinkCandidate.rank", cascade="all, delete-orphan"
    )


class Page(Base):
    """The text of one page and how sure the OCR was of it."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "index", name="uq_pages_document_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(16), default="ocr")
    dpi: Mapped[float] = mapped_column(Float, default=0.0)
    # Words a reviewer should look at: [{"kind": "low"|"corrected", "text", "before",
    # "confidence", "box": [x0, y0, x1, y1] as fractions of the upright page}].
    marks: Mapped[list[dict[str, object]] | None] = mapped_column(JSON, nullable=True)
    # How well the page was read: {"confidence", "syllables", "coverage", "verdict": "ok" |
    # "poor" | "doubtful" | "blank", "reasons"} (pipeline.text.quality.PageQuality); None for
    # a text layer.
    quality: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    turned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # degrees

    document: Mapped[Document] = relationship(back_populates="pages")
    corrections: Mapped[list[WordCorrection]] = relationship(
        back_populates="page", order_by="WordCorrection.id", cascade="all, delete-orphan"
    )


class WordCorrection(Base):
    """A word the post-correction changed: what OCR read, what it became, and where."""

    __tablename__ = "word_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    before: Mapped[str] = mapped_column(String(255))
    after: Mapped[str] = mapped_column(String(255))
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    gain: Mapped[float] = mapped_column(Float)

    page: Mapped[Page] = relationship(back_populates="corrections")


class PartyRow(Base):
    """A party a document names, with its role; ``name_folded`` is for diacritic-blind lookup."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(512))
    name_folded: Mapped[str] = mapped_column(String(512), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    id_number: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(1024), default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)

    document: Mapped[Document] = relationship(back_populates="parties")


class DocumentNumber(Base):
    """A canonical document number a document carries (``own``) or cites, for exact linking."""

    __tablename__ = "document_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(128), index=True)
    own: Mapped[bool] = mapped_column(Boolean, default=False)

    document: Mapped[Document] = relationship(back_populates="numbers")


class Case(Base):
    """An enforcement case (hồ sơ thi hành án) as the office's case-management software has it."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str] = mapped_column(String(512), default="")
    status: Mapped[str] = mapped_column(String(32), default="open")
    amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    opened_on: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    numbers: Mapped[list[CaseNumber]] = relationship(
        back_populates="case", order_by="CaseNumber.id", cascade="all, delete-orphan"
    )
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", order_by="CaseParty.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(back_populates="case")


class CaseNumber(Base):
    """A decision or judgment number of a case, canonical (as extraction writes numbers)."""

    __tablename__ = "case_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "decision" or "judgment"
    number: Mapped[str] = mapped_column(String(128), index=True)

    case: Mapped[Case] = relationship(back_populates="numbers")


class CaseParty(Base):
    """A debtor or creditor of a case."""

    __tablename__ = "case_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "debtor" or "creditor"
    name: Mapped[str] = mapped_column(String(512))
    name_folded: Mapped[str] = mapped_column(String(512), index=True)

    case: Mapped[Case] = relationship(back_populates="parties")


class LinkCandidate(Base):
    """A case offered for a document in the review queue, ranked."""

    __tablename__ = "link_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(512), default="")

    document: Mapped[Document] = relationship(back_populates="candidates")
    case: Mapped[Case] = relationship()


class LinkEvent(Base):
    """Every link, unlink, queueing and choice: who, when, which case, how and how sure."""

    __tablename__ = "link_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(16))  # linked, queued, unlinked, chose, accepted
    method: Mapped[str] = mapped_column(String(16), default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One action, append-only; each entry carries the hash of the one before it.

    ``hash`` is the SHA-256 of the previous hash and this entry's content, so changing,
    removing or inserting an entry breaks the chain from there on (``hoso audit verify``).
    ``prev_hash`` is unique: two writers can never both append after the same entry.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, hashed as written
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(128), default="")  # "document:12", "case:THA-1"
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, hashed as written
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class User(Base):
    """Someone who acts in hoso, and the role that decides what they may do."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # clerk, officer, archivist, admin
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # argon2id hash; empty: the user acts through the CLI only and cannot log in to the web.
    password_hash: Mapped[str] = mapped_column(String(255), default="", server_default="")
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")  # "", vi, en


class WebSession(Base):
    """A logged-in browser: only the token's SHA-256 is kept, so a copied table opens nothing."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))  # the token every change must carry
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class SignedVersion(Base):
    """A signed copy of a document filed in the archive; a new signature is a new version."""

    __tablename__ = "signed_versions"
    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_signed_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(2048))  # relative to the archive folder
    sha256: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(128))  # the officer who approved
    level: Mapped[str] = mapped_column(String(8))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")


class WorkState(StrEnum):
    """Where a work item is.

    Waiting (maybe until ``not_before``), leased to a worker, done, or failed for good after
    its last attempt.
    """

    WAITING = "waiting"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"


OPEN_WORK = (WorkState.WAITING.value, WorkState.LEASED.value)


class WorkItem(Base):
    """A durable piece of work (process a document, sign it, index it) and who holds it.

    A worker claims an item by taking a lease, renews the lease while it works, and finishes the
    item in the same transaction that records the work. A worker that dies leaves a lease that
    expires; only then may another worker take the item over. At most one open item per kind and
    subject, so a document is never queued twice.
    """

    __tablename__ = "work_items"
    __table_args__ = (
        Index(
            "uq_work_items_open",
            "kind",
            "subject_id",
            unique=True,
            sqlite_where=text("state IN ('waiting', 'leased')"),
            postgresql_where=text("state IN ('waiting', 'leased')"),
        ),
        Index("ix_work_items_due", "kind", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # process, sign, index, ...
    subject_id: Mapped[int] = mapped_column(Integer)  # the document
    state: Mapped[str] = mapped_column(String(16), default=WorkState.WAITING.value)
    owner: Mapped[str | None] = mapped_column(String(160), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Queued again while leased: done, it goes back to waiting instead (the outbox's rule).
    again: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # When a message about it last went to the broker (workers.engine: celery); cleared when a
    # worker claims it, so it is announced again only when it is due again (or the broker lost it).
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WorkerBeat(Base):
    """A worker that said it is alive: the watch loops (and, later, other workers) beat here."""

    __tablename__ = "worker_beats"

    name: Mapped[str] = mapped_column(String(160), primary_key=True)  # host:pid:tag
    role: Mapped[str] = mapped_column(String(16))  # watch, ...
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    in_hand: Mapped[int] = mapped_column(Integer, default=0)  # items it holds now


class TaskRow(Base):
    """A long operation a person started (signing a batch) and how far it has gone.

    Kept in the database, not in a server's memory: every server process shows the same
    progress, and a restart does not forget it.
    """

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128), index=True)
    title: Mapped[str] = mapped_column(String(255))
    runner: Mapped[str] = mapped_column(String(160))  # the process doing it (host:pid:tag)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
