"""Users, batch review, approval with separation of duties, and signing into the archive.

An officer reviews a batch, returns the documents that are wrong (with a reason) or leaves them
out, and approves the rest. Approval signs each document with the configured key and files the
signed copy in the archive under ``signed/<year>/<case or batch>/``; nothing there is ever
overwritten: signing again makes a new version beside the old one. Whoever ingested or edited a
document (as the audit log records) cannot approve it. Signing happens outside any database
transaction; the rows and the file's move into place are committed together, and a file whose
rows did not commit is removed.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from pipeline.archive.store import discard, link_into_place, safe_name, sha256_of
from pipeline.errors import HosoError, NotAllowed, NotFound
from pipeline.jobs import audit, work
from pipeline.records import states
from pipeline.records.database import Database
from pipeline.records.models import AuditEntry, Batch, Document, SignedVersion, State, User
from pipeline.review import warnings
from pipeline.settings import Settings
from pipeline.signing.appearance import StampSpec
from pipeline.signing.keys import Pkcs11Key, Pkcs12Key
from pipeline.signing.sign import SignOptions, sign_pdf

log = logging.getLogger(__name__)
ROLES = ("clerk", "officer", "archivist", "admin")
APPROVERS = ("officer", "admin")  # approve, return, sign
# Actions that make someone the author of a document, who may then not approve it.
AUTHORING = ("ingest", "field.edit", "upload")
SIGN = "sign"  # the kind of work item that signs an approved document


def add_user(db: Database, name: str, role: str, actor: str) -> None:
    """Register a user (or change their role)."""
    if role not in ROLES:
        raise NotAllowed(f"There is no role {role!r}; the roles are {', '.join(ROLES)}.")
    with db.session(write=True) as session:
        user = session.scalars(select(User).where(User.name == name)).one_or_none()
        if user is None:
            session.add(User(name=name, role=role))
        else:
            user.role = role
        audit.record(session, actor, "user.set", f"user:{name}", role=role)


def list_users(db: Database) -> list[dict[str, str]]:
    """Users and roles."""
    with db.session() as session:
        return [{"name": u.name, "role": u.role} for u in session.scalars(select(User))]


def require_role(session: Session, name: str, roles: tuple[str, ...]) -> User:
    """The user ``name``, if they hold one of ``roles``; NotAllowed (with how to fix it) if not."""
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None or user.role not in roles:
        raise NotAllowed(
            f"{name} may not do this: it needs the role {' or '.join(roles)}. An admin can "
            f"grant it with `hoso users add {name} --role {roles[0]}`."
        )
    return user


def list_batches(db: Database) -> list[dict[str, Any]]:
    """Batches with their documents counted per state."""
    with db.session() as session:
        rows = session.execute(
            select(Batch.name, Document.state, func.count())
            .join(Document)
            .group_by(Batch.name, Document.state)
            .order_by(Batch.name)
        ).all()
        batches: dict[str, Counter[str]] = {}
        for name, state, count in rows:
            batches.setdefault(name, Counter())[state] += count
        return [{"batch": name, "states": dict(states)} for name, states in batches.items()]


def _batch(session: Session, name: str) -> Batch:
    batch = session.scalars(select(Batch).where(Batch.name == name)).one_or_none()
    if batch is None:
        raise NotFound(f"There is no batch {name}. `hoso batches list` shows the batches.")
    return batch


def show_batch(db: Database, name: str) -> dict[str, Any]:
    """A batch's documents with what an officer needs to review them."""
    with db.session() as session:
        batch = _batch(session, name)
        docs = session.scalars(
            select(Document)
            .where(Document.batch_id == batch.id)
            .options(selectinload(Document.case), selectinload(Document.versions))
            .order_by(Document.id)
        ).all()
        return {
            "batch": batch.name,
            "documents": [
                {
                    "id": d.id,
                    "file": d.original_name,
                    "state": d.state,
                    "doc_type": d.doc_type,
                    "number": d.number,
                    "case": d.case.code if d.case else None,
                    "confidence": d.mean_confidence,
                    "note": d.review_note,
                    "pages": d.page_count,
                    "flags": list(d.flags or []),
                    "warnings": warnings(d.flags),
                    "versions": [v.version for v in d.versions],
                }
                for d in docs
            ],
        }


def return_documents(
    db: Database, batch: str, actor: str, document_ids: list[int], reason: str
) -> list[int]:
    """Send documents back to the clerks with the officer's reason."""
    if not reason.strip():
        raise NotAllowed("Say why the documents go back: a reason is required.")
    with db.session(write=True) as session:
        require_role(session, actor, APPROVERS)
        docs = [d for d in _batch(session, batch).documents if d.state == State.READY.value]
        chosen = [d for d in docs if not document_ids or d.id in document_ids]
        for doc in chosen:
            states.move(doc, State.RETURNED)
            doc.review_note = reason
            audit.record(session, actor, "return", f"document:{doc.id}", reason=reason)
        return [d.id for d in chosen]


@dataclass
class ApprovalReport:
    """What an approval did."""

    signed: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)


def _authors(session: Session, document_id: int) -> set[str]:
    return set(
        session.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.subject == f"document:{document_id}",
                AuditEntry.action.in_(AUTHORING),
            )
        )
    )


def signed_path(settings: Settings, doc: Document, version: int) -> Path:
    """``signed/<year>/<case code or batch>/<id>-<name>.v<k>.pdf`` under the archive."""
    year = doc.issued_on[:4] if doc.issued_on[:4].isdigit() else str(dt.date.today().year)
    group = doc.case.code if doc.case else doc.batch.name
    folder = settings.archive_dir / "signed" / year / safe_name(group)
    return folder / f"{doc.id:06d}-{safe_name(Path(doc.original_name).stem)}.v{version}.pdf"


def approve(
    db: Database,
    settings: Settings,
    batch: str,
    actor: str,
    exclude: list[int],
    prompt: Callable[[str], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ApprovalReport:
    """Approve a batch's ready documents (less ``exclude``), sign them and file them.

    Each document is signed exactly once, whatever runs beside this approval: approving moves
    it to "approved" and queues its signing in one transaction (rows locked, so a second
    approval at the same moment, a double click, waits and then finds them approved); the
    signing is leased to this approval, signed under a name no other signer uses, and recorded
    together with the end of the lease. A second approval finds nothing to sign; one that
    resumes after a crash signs only what was not recorded. A document another officer
    approved and did not finish signing may be finished by another officer who could have
    approved it.

    ``progress(done, total)`` is called before the first signature and after each one, for a
    face that shows how far signing has gone.
    """
    report = ApprovalReport(excluded=sorted(exclude))
    with db.session() as session:
        require_role(session, actor, APPROVERS)
    stamp, options = stamp_and_options(settings, actor)
    key = signing_key(settings, actor, prompt)
    # The key must open before anything is approved: a document approved by a key that then
    # fails would wait in "approved" for the next approval.
    if isinstance(key, Pkcs12Key):
        passphrase = key.passphrase()
    else:
        with key.open():
            pass
    todo = _approve_rows(db, batch, actor, exclude, report)
    owner = work.worker_name()
    lease = settings.workers.lease_seconds
    tell = progress or (lambda done, total: None)
    tell(0, len(todo))
    workers = min(settings.worker_count, len(todo))
    size = 4 * workers if isinstance(key, Pkcs12Key) and workers > 1 else 8
    chunks = [todo[k : k + size] for k in range(0, len(todo), size)]

    def signed(plans: list[_Plan], sign: Callable[[list[_Plan]], None]) -> None:
        """Sign and file one chunk; on any failure, hand back what was not filed."""
        try:
            sign(plans)
            for plan in plans:
                report.signed.append(_file(db, settings, plan, actor, options.level))
                tell(len(report.signed), len(todo))
        except BaseException:
            _give_back(db, plans)
            raise

    if isinstance(key, Pkcs12Key) and workers > 1:
        # Each worker opens the key once and signs its share; a token's session cannot be
        # shared between processes, so tokens sign in this process (below).
        key = replace(key, prompt=None, passphrase_file=None)
        # Spawned, not forked: approval also runs inside the web server, whose other threads
        # (requests, the watcher) may hold locks a forked child would inherit locked.
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_key,
            initargs=(key, passphrase),
        ) as pool:

            def in_pool(plans: list[_Plan]) -> None:
                list(pool.map(_worker_sign, [(p.source, p.partial, stamp, options) for p in plans]))

            for chunk in chunks:
                signed(_claim_signing(db, settings, chunk, owner, report), in_pool)
        return report
    with key.open() as signer:

        def one_by_one(plans: list[_Plan]) -> None:
            renewed = time.monotonic()
            for plan in plans:
                sign_pdf(plan.source, plan.partial, signer, stamp, options)
                if time.monotonic() - renewed > lease / 4:  # a token (or a TSA) is slow
                    work.renew(db, owner, [p.item_id for p in plans], lease)
                    renewed = time.monotonic()

        for chunk in chunks:
            signed(_claim_signing(db, settings, chunk, owner, report), one_by_one)
    return report


def _approve_rows(
    db: Database, batch: str, actor: str, exclude: list[int], report: ApprovalReport
) -> list[int]:
    """Approve the ready documents and queue their signing; the ids to sign, in order."""
    with db.session() as session:
        work.begin_claim(session)  # SQLite: one approval at a time from here
        require_role(session, actor, APPROVERS)
        chosen = _batch(session, batch)
        docs = session.scalars(
            select(Document)
            .where(Document.batch_id == chosen.id)
            .order_by(Document.id)
            .with_for_update()  # PostgreSQL: a second approval waits, then sees them approved
        ).all()
        todo = []
        for doc in docs:
            if doc.id in exclude:
                continue
            if doc.state == State.APPROVED.value:
                # Approved before, its signing unfinished: whoever finishes it must be allowed
                # to approve it too (not its author).
                if doc.approved_by != actor and actor in _authors(session, doc.id):
                    report.refused.append(
                        {
                            "id": doc.id,
                            "reason": f"{actor} ingested or edited it and cannot sign it",
                        }
                    )
                    continue
                work.enqueue(session, SIGN, doc.id)
                todo.append(doc.id)
                continue
            if doc.state != State.READY.value:
                continue
            if actor in _authors(session, doc.id):
                report.refused.append(
                    {"id": doc.id, "reason": f"{actor} ingested or edited it and cannot approve it"}
                )
                continue
            states.move(doc, State.APPROVED)
            doc.approved_by = actor
            audit.record(session, actor, "approve", f"document:{doc.id}", batch=batch)
            work.enqueue(session, SIGN, doc.id)
            todo.append(doc.id)
    return todo


def _claim_signing(
    db: Database, settings: Settings, ids: list[int], owner: str, report: ApprovalReport
) -> list[_Plan]:
    """Lease the signing of ``ids`` to ``owner``; those another signer holds are reported."""
    with db.session() as session:
        work.begin_claim(session)
        items = work.claim(
            session, SIGN, owner, len(ids), settings.workers.lease_seconds, subjects=ids
        )
        held = {item.subject_id: item.id for item in items}
    for document_id in ids:
        if document_id not in held:
            report.refused.append({"id": document_id, "reason": "being signed by another approval"})
    return [_plan(db, settings, d, held[d], owner) for d in ids if d in held]


def _give_back(db: Database, plans: list[_Plan]) -> None:
    """After a failure: remove this signer's unfiled partial files and hand their signing back.

    Approving again can then sign them at once; filed ones are done and stay.
    """
    for plan in plans:
        discard(plan.partial)
    try:
        with db.session() as session:
            for plan in plans:
                work.release(session, plan.item_id, plan.owner)
    except HosoError as exc:
        log.error("signing leases left to run out: %s", exc)


_WORKER_SIGNER: Any = None


def _worker_key(key: Pkcs12Key, passphrase: bytes) -> None:
    """Open the key once in a signing worker (the passphrase is handed over, not re-read)."""
    global _WORKER_SIGNER
    os.environ[key.passphrase_env] = passphrase.decode()
    _WORKER_SIGNER = key.signer()


def _worker_sign(job: tuple[Path, Path, StampSpec, SignOptions]) -> Path:
    source, target, stamp, options = job
    return sign_pdf(source, target, _WORKER_SIGNER, stamp, options).path


def signing_key(
    settings: Settings, officer: str = "", prompt: Callable[[str], str] | None = None
) -> Pkcs11Key | Pkcs12Key:
    """The officer's own key when configured, else the office's default key.

    A token is used when a PKCS#11 module is set, else the PKCS#12 file; ``prompt`` asks for a
    passphrase the environment does not give (the CLI passes one when it runs in a terminal).
    """
    sig = settings.signing
    own = sig.officers.get(officer)
    if own is not None and own.pkcs11_module is not None:
        return Pkcs11Key(own.pkcs11_module, own.token_label, own.key_label, pin_env=own.pin_env)
    if own is not None and own.pkcs12 is not None:
        return Pkcs12Key(settings.path(own.pkcs12), own.passphrase_env, prompt=prompt)
    if sig.pkcs11_module is not None:
        return Pkcs11Key(sig.pkcs11_module, sig.token_label, sig.key_label, pin_env=sig.pin_env)
    dev_file = settings.path(sig.dev_passphrase_file) if sig.dev_passphrase_file else None
    return Pkcs12Key(settings.path(sig.pkcs12), sig.passphrase_env, dev_file, prompt=prompt)


def stamp_and_options(settings: Settings, officer: str = "") -> tuple[StampSpec, SignOptions]:
    """How the officer's signatures look and what level they are."""
    sig = settings.signing
    own = sig.officers.get(officer)
    name = (own.signer_name if own else "") or sig.signer_name
    title = (own.title if own else "") or sig.title
    options = SignOptions(
        sig.level,
        sig.tsa_url,
        sig.timeout,
        trust_roots=tuple(settings.path(p) for p in sig.trust_roots),
    )
    return StampSpec(name, title, sig.office, sig.font), options


@dataclass(frozen=True)
class _Plan:
    document_id: int
    source: Path
    target: Path
    version: int
    item_id: int
    owner: str

    @property
    def partial(self) -> Path:
        """Where this signer writes before filing: a name no other signer can pick."""
        tag = self.owner.rsplit(":", 1)[-1]
        return self.target.with_name(f".{self.target.name}.{tag}.part")


def _plan(db: Database, settings: Settings, document_id: int, item_id: int, owner: str) -> _Plan:
    """Where a document's next signed version goes (never over an existing file).

    A file without its row (a signer killed between filing it and recording it) keeps its
    name; the new version takes the next free one.
    """
    with db.session() as session:
        doc = session.get(Document, document_id)
        assert doc is not None and doc.output_path
        source = settings.archive_dir / doc.output_path
        version = max((v.version for v in doc.versions), default=0) + 1
        target = signed_path(settings, doc, version)
        while target.exists():
            version += 1
            target = signed_path(settings, doc, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    return _Plan(document_id, source, target, version, item_id, owner)


def _file(db: Database, settings: Settings, plan: _Plan, actor: str, level: str) -> dict[str, Any]:
    """File a signed copy and record it (version, hash, audit entry, end of the lease) at once.

    The partial file is linked to its final name only inside the transaction, after the lease
    is confirmed, and never over an existing file; if the transaction fails, only this signer's
    files are removed.
    """
    target = plan.target
    digest = sha256_of(plan.partial)
    filed = False
    try:
        with db.session(write=True) as session:
            work.finish(session, plan.item_id, plan.owner)  # LeaseLost: someone else signs it
            doc = session.get(Document, plan.document_id)
            assert doc is not None
            link_into_place(plan.partial, target)  # never over a file
            filed = True
            relative = str(target.relative_to(settings.archive_dir))
            doc.versions.append(
                SignedVersion(
                    version=plan.version, path=relative, sha256=digest, signer=actor, level=level
                )
            )
            states.move(doc, State.ARCHIVED)
            audit.record(
                session,
                actor,
                "sign",
                f"document:{plan.document_id}",
                path=relative,
                sha256=digest,
                version=plan.version,
                level=level,
            )
    except BaseException:
        if filed:
            discard(target)
        discard(plan.partial)
        raise
    discard(plan.partial)
    target.chmod(0o444)
    return {"id": plan.document_id, "version": plan.version, "path": str(target), "sha256": digest}
