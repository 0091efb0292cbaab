"""Processing a document on many machines: the jobs behind the Celery tasks.

The database stays the one truth about who does what; the broker only carries the news that a
work item is due. A message names a document; the worker that gets it claims the document's item
(with a lease, as the local watcher does) and, if another worker holds it or it is done, drops
the message: a message delivered twice does nothing twice.

A short document is read whole by the worker that claimed it. A long one (``workers.fanout_pages``
pages or more) is planned once into the shared spool, its lease is handed to a name of its own
(``fanout:<document>:<tag>``, held by whichever worker reads one of its pages), and each page
becomes a message any worker may take. Every page is written to the spool under a name no other
worker picks, and the worker that writes the last one sends the finishing message: one worker
assembles the searchable PDF and records the document in one transaction, as the local path
does. A page delivered twice is read twice at worst and written once; a worker killed on a page
stops renewing the lease, so the document is taken over whole when it lapses, never stuck.

Messages carry ids and the spool folder's name, never paths: each machine finds the archive and
the spool where it mounts them (``archive``, ``workers.spool``). What the pages' readers must
trust (the key that signs each page's result) is kept with the work item in the database, so
someone who can write to the shared archive cannot make a worker load a forged result.

A fanned-out document's first lease is long enough for its pages' wait in the queue (the pages
ahead of them, each at most ``ocr.page_timeout``), so a backlog of long scans never makes one
restart; once its pages are being read, each reader keeps it a page's time ahead, so one whose
readers were all killed is taken over soon after. A page that stops its worker (killed by the
kernel for memory, a crash in a native library) is counted; after ``workers.max_attempts`` the
document fails with the page named, never redelivered forever.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import pickle
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline import chain
from pipeline.errors import HosoError, StorageError
from pipeline.imaging.sources import DocumentPlan
from pipeline.ingest.filetypes import MediaType
from pipeline.jobs import processing, work
from pipeline.parallel import Job, Outcome, discard_work, document_result, failure, run_here, safe
from pipeline.records.database import Database
from pipeline.settings import Settings

log = logging.getLogger(__name__)

PLAN = "plan.json"
PAGE = "page-{:05d}.pickle"


@dataclass(frozen=True)
class Fanned:
    """A long document handed to the page queue: what the page messages must say."""

    document_id: int
    item_id: int
    holder: str  # the name the lease is now held under
    folder: str  # its folder in the spool, by name
    pages: int

    def message(self) -> dict[str, object]:
        """The page and finishing messages' arguments (ids and a folder name only)."""
        return asdict(self)


@dataclass(frozen=True)
class Started:
    """What a document message led to: pages to send (a fanned-out document), or nothing."""

    fanned: Fanned | None = None
    pages: tuple[int, ...] = ()


def fan_lease(settings: Settings, ahead: int = 0) -> float:
    """How long a fanned-out document's lease lasts unless one of its readers lengthens it.

    Long enough for one page to be read, after the ``ahead`` pages queued before its own have
    been (each at most ``ocr.page_timeout``). A document all of whose readers died is taken
    over this long after the last one stopped.
    """
    return settings.workers.lease_seconds + settings.ocr.page_timeout * (1 + ahead)


def start(
    db: Database,
    settings: Settings,
    document_id: int,
    owner: str,
    options: chain.ChainOptions,
    ahead: int = 0,
) -> Started:
    """Claim and read a document named by a message; a long one is fanned out instead.

    ``owner``: a name for this task alone. ``ahead``: pages waiting in the page queue now.
    Returns the pages to send when the document was fanned out, now or by an earlier delivery
    of this message that stopped before sending them all; else nothing (read and recorded
    here, or nothing to do: done, or another worker holds it).
    """
    claims, expired = processing.claim_received(db, settings, 1, owner, subjects=[document_id])
    processing.set_aside(expired, settings)
    if not claims:
        return _unsent_pages(db, settings, document_id)
    claim = claims[0]
    try:
        return _start(db, settings, claim, options, ahead)
    except Exception as exc:  # the spool full, the database away: not the document's fault
        log.error("document %s: could not start reading it: %s", document_id, exc)
        try:
            processing.requeue(db, settings, claim, f"Could not start reading it: {exc}")
        except HosoError as again:  # its lease runs out, then it is announced again
            log.error("document %s: %s", document_id, again)
        raise


def _start(
    db: Database,
    settings: Settings,
    claim: processing.Claim,
    options: chain.ChainOptions,
    ahead: int,
) -> Started:
    _sweep(settings, claim.document_id)
    job = processing.job_for(claim, settings, settings.spool_dir)
    lease = settings.workers.lease_seconds
    with work.Renewing(db, claim.owner, claim.item_id, lease) as held:
        try:
            plan = safe(chain.plan, job.source, job.work_dir, options)
        except Exception as exc:
            _settled(db, settings, claim, failure(job, exc), held.lost)
            return Started()
        assert isinstance(plan, DocumentPlan)
        if plan.page_count < settings.workers.fanout_pages:
            _settled(db, settings, claim, run_here(job, options, plan), held.lost)
            return Started()
        if held.lost:
            discard_work(job, keep=False)
            return Started()
        holder = f"fanout:{claim.document_id}:{secrets.token_hex(4)}"
        _write_plan(job, claim, plan)
        payload = {"folder": job.work_dir.name, "pages": plan.page_count, "key": _new_key()}
        with db.session() as session:
            work.hand_over(
                session, claim.item_id, claim.owner, holder, fan_lease(settings, ahead), payload
            )
    log.info("document %s: %d pages, read page by page", claim.document_id, plan.page_count)
    fanned = Fanned(claim.document_id, claim.item_id, holder, job.work_dir.name, plan.page_count)
    return Started(fanned, tuple(range(plan.page_count)))


def _unsent_pages(db: Database, settings: Settings, document_id: int) -> Started:
    """A document already fanned out: the pages not read yet, in case their messages never went.

    The message that fanned it out comes again when its worker stopped (or the broker refused)
    before every page message went; sending the unread pages again costs at worst a page read
    twice, written once.
    """
    held = work.holder(db, work.PROCESS, document_id)
    if held is None or not held[1].startswith("fanout:"):
        log.info("document %s: nothing to do here (done, or another worker holds it)", document_id)
        return Started()
    item_id, holder, payload = held
    folder, pages = str(payload.get("folder", "")), int(str(payload.get("pages", 0)))
    fanned = Fanned(document_id, item_id, holder, folder, pages)
    spool = settings.spool_dir / folder
    unread = tuple(i for i in range(pages) if not (spool / PAGE.format(i)).exists())
    return Started(fanned, unread)


def _settled(
    db: Database, settings: Settings, claim: processing.Claim, outcome: Outcome, lost: bool
) -> None:
    if lost:
        log.warning(
            "document %s: the lease was lost while reading; result discarded", claim.document_id
        )
    else:
        processing.settle(db, settings, claim, outcome)
    discard_work(outcome.job, settings.output.keep_work)


def _sweep(settings: Settings, document_id: int) -> None:
    """Remove spool folders of earlier claims on this document: their holders lost the lease."""
    root = settings.spool_dir
    if root.is_dir():
        for old in root.glob(f"doc-{document_id}-*"):
            shutil.rmtree(old, ignore_errors=True)


def _write_plan(job: Job, claim: processing.Claim, plan: DocumentPlan) -> None:
    """The plan and the claim, in a form any machine reads the same (paths relative to it)."""
    folder = job.work_dir
    data = {
        "claim": {
            "document_id": claim.document_id,
            "name": claim.name,
            "batch": claim.batch,
            "attempts": claim.attempts,
            "item_id": claim.item_id,
        },
        "source": os.path.relpath(plan.source, folder),
        "media_type": plan.media_type.value,
        "base_pdf": os.path.relpath(plan.base_pdf, folder),
        "page_count": plan.page_count,
        "text_pages": {str(k): v for k, v in plan.text_pages.items()},
    }
    _write_atomically(folder / PLAN, json.dumps(data, ensure_ascii=False).encode())


@dataclass(frozen=True)
class _Shared:
    job: Job
    claim: processing.Claim
    plan: DocumentPlan


def _read_plan(settings: Settings, fanned: Fanned) -> _Shared | None:
    """The fanned-out document as its planner left it; None once its folder is gone.

    The folder goes when the document is recorded (or failed, or taken over), so a late page
    message finds nothing to do.
    """
    folder = settings.spool_dir / fanned.folder
    try:
        data = json.loads((folder / PLAN).read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.info(
            "document %s: its spool folder is gone (finished or taken over)", fanned.document_id
        )
        return None
    c = data["claim"]
    # The original's own path, found from the link the claim made (relative, so this machine's).
    source = folder / data["source"]
    claim = processing.Claim(
        c["document_id"],
        Path(os.path.realpath(source)),
        c["name"],
        c["batch"],
        c["attempts"],
        c["item_id"],
        fanned.holder,
    )
    plan = DocumentPlan(
        source,
        MediaType(data["media_type"]),
        folder / data["base_pdf"],
        int(data["page_count"]),
        {int(k): v for k, v in data["text_pages"].items()},
    )
    job = Job(str(claim.document_id), source, folder, folder / "searchable.pdf")
    return _Shared(job, claim, plan)


def _new_key() -> str:
    return secrets.token_hex(32)


def _holding(db: Database, settings: Settings, fanned: Fanned) -> bytes | None:
    """The document's result-signing key while ``fanned.holder`` holds it, else None.

    Held: its lease is lengthened by a page's time. Not held: taken over, failed or done.
    """
    payload = work.held_payload(db, fanned.item_id, fanned.holder)
    if payload is None or not isinstance(payload.get("key"), str):
        return None
    work.renew(db, fanned.holder, [fanned.item_id], fan_lease(settings))
    return bytes.fromhex(str(payload["key"]))


def _tries(folder: Path, name: str) -> int:
    """Count one more try at a step of a fanned-out document; how many there have been.

    Written before the step, so a try that kills its worker is counted too.
    """
    marker = folder / f"{name}.tries"
    with marker.open("ab") as fh:
        fh.write(b".")
        fh.flush()
        os.fsync(fh.fileno())
    return marker.stat().st_size


def read_page(
    db: Database, settings: Settings, fanned: Fanned, index: int, options: chain.ChainOptions
) -> bool:
    """Read one page of a fanned-out document; True when it was the last page to be read.

    A page whose document is no longer held under ``fanned.holder`` (taken over, failed, done)
    is not read, and the folder of a document that is no longer open is removed. A page that
    cannot be read, or that stopped its worker ``workers.max_attempts`` times, fails the whole
    document, as it would locally.
    """
    key = _holding(db, settings, fanned)
    if key is None:
        _forget_if_closed(db, settings, fanned)
        return False
    shared = _read_plan(settings, fanned)
    if shared is None:
        return False
    target = shared.job.work_dir / PAGE.format(index)
    if not target.exists():
        tries = _tries(shared.job.work_dir, PAGE.format(index))
        if tries > settings.workers.max_attempts:
            reason = (
                f"Reading page {index + 1} stopped its worker {tries - 1} times (killed for "
                "memory, or a crash); the page is probably damaged. Scan it again."
            )
            _settled(
                db, settings, shared.claim, Outcome(shared.job, None, reason, "Crashed"), False
            )
            return False
        lease = fan_lease(settings)
        with work.Renewing(db, fanned.holder, fanned.item_id, lease) as held:
            try:
                page = safe(chain.read_page, shared.plan, index, options)
            except Exception as exc:
                if not held.lost:
                    _settled(db, settings, shared.claim, failure(shared.job, exc), False)
                return False
        if held.lost:
            return False
        _write_atomically(target, _sealed(key, pickle.dumps(page, pickle.HIGHEST_PROTOCOL)))
    return _all_read(shared)


def _sealed(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest() + data


def _opened(key: bytes, sealed: bytes, name: str) -> chain.PageResult:
    """A page's result, once its seal shows one of this document's readers wrote it."""
    mac, data = sealed[:32], sealed[32:]
    if not hmac.compare_digest(mac, hmac.new(key, data, hashlib.sha256).digest()):
        raise StorageError(
            f"The page result {name} in the shared spool was not written by a hoso worker "
            "reading this document; it is not used."
        )
    page = pickle.loads(data)  # sealed by our own workers with this document's key
    assert isinstance(page, chain.PageResult)
    return page


def _all_read(shared: _Shared) -> bool:
    folder = shared.job.work_dir
    return all((folder / PAGE.format(i)).exists() for i in range(shared.plan.page_count))


def finish(db: Database, settings: Settings, fanned: Fanned, options: chain.ChainOptions) -> None:
    """Assemble a fanned-out document from its pages and record it (the finishing task)."""
    key = _holding(db, settings, fanned)
    if key is None:
        log.info("document %s: already finished, or no longer this run's", fanned.document_id)
        _forget_if_closed(db, settings, fanned)
        return
    shared = _read_plan(settings, fanned)
    if shared is None:
        return
    job, plan = shared.job, shared.plan
    tries = _tries(job.work_dir, "finish")
    if tries > settings.workers.max_attempts:
        reason = f"Assembling the searchable PDF stopped its worker {tries - 1} times."
        _settled(db, settings, shared.claim, Outcome(job, None, reason, "Crashed"), False)
        return
    lease = fan_lease(settings)
    with work.Renewing(db, fanned.holder, fanned.item_id, lease) as held:
        try:
            pages: dict[int, chain.PageResult] = {}
            for i in range(plan.page_count):
                name = PAGE.format(i)
                pages[i] = _opened(key, (job.work_dir / name).read_bytes(), name)
            assert job.out is not None
            out = job.out.with_name(f"searchable-{secrets.token_hex(4)}.pdf")
            ordered = [pages[i] for i in range(plan.page_count)]
            written = safe(chain.assemble, plan, ordered, out, options)
            assert isinstance(written, Path)
            outcome = Outcome(job, document_result(job, plan, pages, written))
        except FileNotFoundError:
            log.warning(
                "document %s: a page is missing; its reader will finish it", fanned.document_id
            )
            return
        except Exception as exc:
            outcome = failure(job, exc)
    _settled(db, settings, shared.claim, outcome, held.lost)


def _forget_if_closed(db: Database, settings: Settings, fanned: Fanned) -> None:
    """A late message about a document no longer open: remove what is left of its folder."""
    if not work.open_subjects(db, work.PROCESS, [fanned.document_id]):
        shutil.rmtree(settings.spool_dir / fanned.folder, ignore_errors=True)


SPOOL_GRACE = 600.0  # a folder this old whose document is no longer open is a leftover


def sweep_spool(db: Database, settings: Settings) -> int:
    """Remove spool folders left by workers killed after recording their document.

    Only folders of documents with no open work, untouched for :data:`SPOOL_GRACE` seconds;
    returns how many were removed.
    """
    root = settings.spool_dir
    if not root.is_dir():
        return 0
    found: dict[int, list[Path]] = {}
    for folder in root.iterdir():
        parts = folder.name.split("-")
        if len(parts) >= 2 and parts[0] == "doc" and parts[1].isdigit():
            found.setdefault(int(parts[1]), []).append(folder)
    still = work.open_subjects(db, work.PROCESS, list(found))
    removed = 0
    now = time.time()
    for document_id, folders in found.items():
        if document_id in still:
            continue
        for folder in folders:
            try:
                if now - folder.stat().st_mtime > SPOOL_GRACE:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
            except FileNotFoundError:
                continue
    return removed


def _write_atomically(target: Path, data: bytes) -> None:
    """Write under a name no other worker picks, flush it to disk, then rename into place."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
