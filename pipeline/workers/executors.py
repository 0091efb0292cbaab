"""Who reads the documents the watcher took: one interface, two engines.

- :class:`LocalExecutor` (``workers.engine: local``, the embedded default): this process claims
  documents and reads them in its own process pool, renewing their leases as it goes.
- :class:`CeleryExecutor` (``workers.engine: celery``): this process only announces due work to
  the broker; ``hoso worker`` processes, on this machine or others, claim and read it.

Either way the database's work items decide who does what, so switching engines, or running
both at once, never does a document twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from pipeline.chain import ChainOptions
from pipeline.errors import HosoError
from pipeline.jobs import distributed, processing, searching, work
from pipeline.parallel import Outcome, Runner, discard_work
from pipeline.records.database import Database
from pipeline.settings import Settings

log = logging.getLogger(__name__)
INDEX_EVERY = 5.0  # seconds between looks at the index queue (retries of failed indexing)


class Executor(Protocol):
    """What the watch loop needs of an engine."""

    def open(self) -> None:
        """Start the engine (a process pool, a broker connection)."""

    def close(self) -> None:
        """Stop it, handing back what it holds."""

    def turn(self) -> None:
        """Take or announce what is due, keep leases alive, record what finished."""

    @property
    def busy(self) -> int:
        """Documents this process is reading now (0 when others read them)."""

    def settled(self) -> bool:
        """Nothing is left that this engine would still do (``hoso watch --once`` ends)."""


class LocalExecutor:
    """Claim documents and read them in this machine's process pool."""

    def __init__(self, settings: Settings, db: Database, owner: str, stop: threading.Event) -> None:
        self.settings, self.db, self.owner, self.stop = settings, db, owner, stop
        self.claims: dict[str, processing.Claim] = {}
        self.runner = Runner(
            settings.worker_count,
            ChainOptions.from_settings(settings),
            whole_below=settings.workers.fanout_pages,  # as a Celery worker reads them
        )
        self._renewed = 0.0
        self._indexed = 0.0

    def open(self) -> None:
        """Start the process pool."""
        self.runner.__enter__()

    def close(self) -> None:
        """Hand back what is unfinished, then stop the pool."""
        try:
            self._give_back()
        finally:
            self.runner.__exit__(None, None, None)

    @property
    def busy(self) -> int:
        """Documents being read in the pool."""
        return self.runner.busy

    def settled(self) -> bool:
        """Nothing in the pool, and nothing due that this process could claim."""
        return not self.runner.busy and processing.count_waiting(self.db, self.owner) == 0

    def turn(self) -> None:
        """Renew, claim what there is room for, index what waits, record what finished."""
        self._renew()  # first: after a long pause (the database away) leases in hand lapse
        self._claim(2 * self.runner.jobs - self.runner.busy)
        if time.monotonic() - self._indexed > INDEX_EVERY:
            self._indexed = time.monotonic()
            searching.index_queued(self.db, self.owner, limit=20)  # what failed to index before
        for outcome in self.runner.poll(timeout=0.5 if self.runner.busy else 0):
            self._record(outcome)

    def _give_back(self) -> None:
        """On a clean stop, hand the documents in hand back at once rather than on lease expiry."""
        if not self.claims:
            return
        try:
            processing.give_back(self.db, list(self.claims.values()))
        except HosoError as exc:
            log.error(
                "could not hand back unfinished documents (their leases will run out): %s", exc
            )
        self.claims.clear()

    def _claim(self, capacity: int) -> None:
        """Lease what this service has room for and start it; fail what died too often."""
        claims, expired = processing.claim_received(self.db, self.settings, capacity, self.owner)
        processing.set_aside(expired, self.settings)
        for claim in claims:
            if str(claim.document_id) in self.claims:
                # Still being read here (its lease lapsed and came back): one run is enough.
                processing.give_back(self.db, [claim])
                continue
            job = processing.job_for(claim, self.settings)
            self.claims[job.key] = claim
            self.runner.submit(job)
            if claim.attempts > 1:
                log.info(
                    "resuming document %s (%s), attempt %d: an earlier worker stopped on it",
                    claim.document_id,
                    claim.name,
                    claim.attempts,
                )
            else:
                log.info("processing document %s (%s)", claim.document_id, claim.name)

    def _renew(self) -> None:
        """Renew the leases of the documents in hand, a few times per lease period."""
        lease = self.settings.workers.lease_seconds
        if not self.claims or time.monotonic() - self._renewed < lease / 4:
            return
        self._renewed = time.monotonic()
        ids = {claim.item_id for claim in self.claims.values()}
        lost = ids - work.renew(self.db, self.owner, ids, lease)
        for claim in self.claims.values():
            if claim.item_id in lost:
                log.warning(
                    "document %s: the claim on it was lost (another worker took it over); "
                    "this worker's result will be discarded",
                    claim.document_id,
                )

    def _record(self, outcome: Outcome) -> None:
        claim = self.claims.pop(outcome.job.key)
        try:
            processing.settle(self.db, self.settings, claim, outcome, stopping=self.stop.is_set())
        finally:
            discard_work(outcome.job, self.settings.output.keep_work)


ANNOUNCE_EVERY = 0.5  # seconds between looks for work that became due
RESEND_AFTER = 60.0  # a due item sent this long ago while the broker's queue is empty was lost
SWEEP_EVERY = 60.0  # seconds between looks for spool folders that killed workers left
NO_READER = 2 * work.SEEN_WITHIN  # `watch --once` gives up when no worker is seen this long


class NoWorker(HosoError):
    """Documents wait for Celery workers and none has been seen."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"Documents are waiting and no `hoso worker` has been seen for {seconds:.0f} s; "
            "start one (workers.engine is celery), or set workers.engine: local."
        )


class CeleryExecutor:
    """Announce due work to the broker; ``hoso worker`` processes claim and read it."""

    def __init__(self, settings: Settings, db: Database, owner: str, stop: threading.Event) -> None:
        from pipeline.workers import celery_app  # Celery is loaded only where it is used

        self.settings, self.db, self.owner = settings, db, owner
        self._celery = celery_app
        self.app = celery_app.make_app(settings)
        self._sent = 0.0
        self._swept = 0.0
        self._reader_seen = time.monotonic()

    def open(self) -> None:
        """Check that the broker answers: a watcher that cannot announce work says so at once."""
        self._celery.waiting(self.app, self._celery.OCR_QUEUE)

    def close(self) -> None:
        """Nothing is held here: the workers hold the leases."""

    @property
    def busy(self) -> int:
        """Nothing is read in this process."""
        return 0

    def settled(self) -> bool:
        """No document is due or being read anywhere (retries waiting for their time aside).

        Raises :class:`NoWorker` when documents wait and no ``hoso worker`` has been seen for
        two minutes: a cron ``--once`` must end, not wait for ever.
        """
        if work.pending_count(self.db, work.PROCESS) == 0:
            return True
        if any(w.role == work.CELERY for w in work.queue_state(self.db).workers):
            self._reader_seen = time.monotonic()
        elif time.monotonic() - self._reader_seen > NO_READER:
            raise NoWorker(NO_READER)
        return False

    def turn(self) -> None:
        """Send a message for each work item that became due since its last message."""
        if time.monotonic() - self._sent < ANNOUNCE_EVERY:
            return
        self._sent = time.monotonic()
        c = self._celery
        self._announce(
            work.PROCESS, c.OCR_QUEUE, lambda d: c.send(self.app, c.PROCESS_TASK, args=[d])
        )
        self._announce(  # each index message indexes a chunk of the queue
            searching.INDEX,
            c.INDEX_QUEUE,
            lambda _: c.send(self.app, c.INDEX_TASK),
            every=c.INDEX_CHUNK,
        )
        if time.monotonic() - self._swept > SWEEP_EVERY:
            self._swept = time.monotonic()
            removed = distributed.sweep_spool(self.db, self.settings)
            if removed:
                log.info("removed %d spool folders that stopped workers left", removed)

    def _announce(self, kind: str, queue: str, send: Callable[[int], None], every: int = 1) -> None:
        """Mark due items sent and commit, then send; what the broker refused is unmarked.

        Committed first so that a worker receiving the message at once finds the row unlocked;
        the broker is not called while the database's write lock is held.
        """
        if not work.anything_to_send(self.db, kind, RESEND_AFTER):
            return
        empty = self._celery.waiting(self.app, queue) == 0
        with self.db.session() as session:
            work.begin_claim(session)
            due = work.to_send(session, kind, 500, RESEND_AFTER if empty else None)
        done = 0  # items covered by the messages sent so far
        try:
            for k, (_, subject_id) in enumerate(due):
                if k % every == 0:
                    send(subject_id)
                    done = min(len(due), k + every)
        except HosoError:
            work.unsend(self.db, [item_id for item_id, _ in due[done:]])
            raise


def executor_for(settings: Settings, db: Database, owner: str, stop: threading.Event) -> Executor:
    """The engine ``workers.engine`` names."""
    if settings.workers.engine == "celery":
        return CeleryExecutor(settings, db, owner, stop)
    return LocalExecutor(settings, db, owner, stop)
