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
the spool where it mounts them (``archive``, ``workers.spool``).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline import chain
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


def fan_lease(settings: Settings) -> float:
    """How long a fanned-out document's lease lasts unless some page's reader renews it.

    Long enough for one page to be read (its reader renews it as it goes); a document all of
    whose readers died is taken over this long after the last one stopped.
    """
    return settings.workers.lease_seconds + settings.ocr.page_timeout


def start(
    db: Database, settings: Settings, document_id: int, owner: str, options: chain.ChainOptions
) -> Fanned | None:
    """Claim and read a document named by a message; a long one is fanned out instead.

    Returns what the page messages need when the document was fanned out, else None (read and
    recorded here, or nothing to do: another worker holds it, or it is done).
    """
    claims, expired = processing.claim_received(db, settings, 1, owner, subjects=[document_id])
    processing.set_aside(expired, settings)
    if not claims:
        log.info("document %s: nothing to do here (done, or another worker holds it)", document_id)
        return None
    claim = claims[0]
    _sweep(settings, document_id)
    job = processing.job_for(claim, settings, settings.spool_dir)
    lease = settings.workers.lease_seconds
    with work.Renewing(db, owner, claim.item_id, lease) as held:
        try:
            plan = safe(chain.plan, job.source, job.work_dir, options)
        except Exception as exc:
            _settled(db, settings, claim, failure(job, exc), held.lost)
            return None
        assert isinstance(plan, DocumentPlan)
        if plan.page_count < settings.workers.fanout_pages:
            _settled(db, settings, claim, run_here(job, options, plan), held.lost)
            return None
        if held.lost:
            discard_work(job, keep=False)
            return None
        holder = f"fanout:{document_id}:{secrets.token_hex(4)}"
        _write_plan(job, claim, plan)
        with db.session() as session:
            work.hand_over(session, claim.item_id, owner, holder, fan_lease(settings))
    log.info("document %s: %d pages, read page by page", document_id, plan.page_count)
    return Fanned(document_id, claim.item_id, holder, job.work_dir.name, plan.page_count)


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


def read_page(
    db: Database, settings: Settings, fanned: Fanned, index: int, options: chain.ChainOptions
) -> bool:
    """Read one page of a fanned-out document; True when it was the last page to be read.

    A page whose document is no longer held under ``fanned.holder`` (taken over, failed, done)
    is not read. A page that cannot be read fails the whole document, as it would locally.
    """
    if not work.renew(db, fanned.holder, [fanned.item_id], fan_lease(settings)):
        log.info(
            "document %s page %d: the document is no longer this run's",
            fanned.document_id,
            index + 1,
        )
        return False
    shared = _read_plan(settings, fanned)
    if shared is None:
        return False
    target = shared.job.work_dir / PAGE.format(index)
    if not target.exists():
        with work.Renewing(db, fanned.holder, fanned.item_id, fan_lease(settings)) as held:
            try:
                page = safe(chain.read_page, shared.plan, index, options)
            except Exception as exc:
                if not held.lost:
                    _settled(db, settings, shared.claim, failure(shared.job, exc), False)
                return False
        if held.lost:
            return False
        _write_atomically(target, pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))
    return _all_read(shared)


def _all_read(shared: _Shared) -> bool:
    folder = shared.job.work_dir
    return all((folder / PAGE.format(i)).exists() for i in range(shared.plan.page_count))


def finish(db: Database, settings: Settings, fanned: Fanned, options: chain.ChainOptions) -> None:
    """Assemble a fanned-out document from its pages and record it (the finishing task)."""
    if not work.renew(db, fanned.holder, [fanned.item_id], fan_lease(settings)):
        log.info("document %s: already finished, or no longer this run's", fanned.document_id)
        return
    shared = _read_plan(settings, fanned)
    if shared is None:
        return
    job, plan = shared.job, shared.plan
    with work.Renewing(db, fanned.holder, fanned.item_id, fan_lease(settings)) as held:
        try:
            pages: dict[int, chain.PageResult] = {}
            for i in range(plan.page_count):
                with (job.work_dir / PAGE.format(i)).open("rb") as fh:
                    pages[i] = pickle.load(fh)  # written by our own workers into our spool
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
