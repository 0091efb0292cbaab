"""The watch service: inbox watcher, intake, and the local process pool, in one loop.

One thread owns the database and the loop; the pool processes pages in other processes. Every
state change is its own transaction, so a service killed at any point resumes where it was.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from pathlib import Path

from pipeline.chain import ChainOptions
from pipeline.errors import DatabaseError, HosoError
from pipeline.ingest.inbox import InboxWatcher, batch_name, is_candidate, scan
from pipeline.ingest.stability import StabilityTracker
from pipeline.jobs import linking, processing, searching, work
from pipeline.jobs.intake import quarantine_file, take_file
from pipeline.parallel import Outcome, Runner, discard_work
from pipeline.records.database import Database
from pipeline.settings import Settings

log = logging.getLogger(__name__)
INDEX_EVERY = 5.0  # seconds between looks at the index queue (retries of failed indexing)


class WatchService:
    """Watch the inbox and process what arrives until stopped."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.owner = work.worker_name()
        self.tracker = StabilityTracker(settings.watch.stable_seconds)
        self.claims: dict[str, processing.Claim] = {}
        self._failures: dict[Path, int] = {}
        self._renewed = 0.0  # beat at the first turn
        self._indexed = 0.0
        self._stop = threading.Event()
        self._last_scan = time.monotonic()

    def run(self, stop: threading.Event, *, once: bool = False) -> None:
        """Run the loop; with ``once``, return when the inbox and the queue are empty.

        Documents another worker holds are left to it while it renews its lease; those whose
        worker died are taken over when the lease runs out (at once, for a worker of this
        machine whose process is gone).
        """
        self._stop = stop
        settings = self.settings
        watcher = InboxWatcher(
            settings.inbox_dir,
            polling=settings.watch.polling,
            poll_interval=settings.watch.poll_interval,
        )
        watcher.start()
        for path in scan(settings.inbox_dir, settings.quarantine_dir):
            self.tracker.touch(path)
        self._last_scan = time.monotonic()
        options = ChainOptions.from_settings(settings)
        failures = 0
        try:
            with Runner(settings.worker_count, options) as runner:
                while not stop.is_set():
                    try:
                        if self._step(runner, watcher, once):
                            break
                        failures = 0
                    except DatabaseError as exc:
                        # The database went away (restart, network): wait and carry on; the
                        # leases in hand are renewed once it answers, or taken over if not.
                        failures += 1
                        pause = min(30.0, 0.5 * 2**failures)
                        log.error("the database failed (%s); retrying in %.0f s", exc, pause)
                        stop.wait(pause)
                        continue
                    if not runner.busy:
                        stop.wait(min(0.5, settings.watch.poll_interval))
        finally:
            watcher.stop()
            self._give_back()
            try:
                work.gone(self.db, self.owner)
            except HosoError as exc:
                log.error("could not remove this watcher's heartbeat: %s", exc)

    def _step(self, runner: Runner, watcher: InboxWatcher, once: bool) -> bool:
        """One turn of the loop: take stable files, claim, renew, record. True: all done."""
        settings = self.settings
        inbox, quarantine = settings.inbox_dir, settings.quarantine_dir
        for path in watcher.drain():
            if path.is_file() and is_candidate(path, inbox, quarantine):
                self.tracker.touch(path)
            else:
                self.tracker.forget(path)
        if time.monotonic() - self._last_scan > settings.watch.rescan_seconds:
            for path in scan(inbox, quarantine):
                if path not in self._failures:
                    self.tracker.touch(path)
            self._last_scan = time.monotonic()
        for path in self.tracker.stable():
            self._take(path)
        self._renew()  # first: after a long pause (the database away) leases in hand lapse
        self._claim(runner, 2 * runner.jobs - runner.busy)
        if time.monotonic() - self._indexed > INDEX_EVERY:
            self._indexed = time.monotonic()
            searching.index_queued(self.db, self.owner, limit=20)  # what failed to index before
        for outcome in runner.poll(timeout=0.5 if runner.busy else 0):
            self._record(outcome)
        return (
            once
            and not runner.busy
            and not len(self.tracker)
            and processing.count_waiting(self.db, self.owner) == 0
        )

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

    def _claim(self, runner: Runner, capacity: int) -> None:
        """Lease what this service has room for and start it; fail what died too often."""
        settings = self.settings
        claims, expired = processing.claim_received(self.db, settings, capacity, self.owner)
        for gone in expired:
            log.warning("document %s failed: %s", gone.document_id, gone.reason)
            try:
                quarantine_file(
                    gone.original,
                    settings,
                    gone.batch,
                    gone.name,
                    gone.reason,
                    gone.document_id,
                    move=False,
                )
            except HosoError as exc:
                log.error("could not quarantine document %s: %s", gone.document_id, exc)
        for claim in claims:
            if str(claim.document_id) in self.claims:
                # Still being read here (its lease lapsed and came back): one run is enough.
                processing.give_back(self.db, [claim])
                continue
            job = processing.job_for(claim, settings)
            self.claims[job.key] = claim
            runner.submit(job)
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
        """Renew the leases of the documents in hand and beat, a few times per lease period."""
        lease = self.settings.workers.lease_seconds
        if time.monotonic() - self._renewed < min(lease / 4, work.SEEN_WITHIN / 4):
            return
        self._renewed = time.monotonic()
        work.beat(self.db, self.owner, "watch", len(self.claims))
        if not self.claims:
            return
        ids = {claim.item_id for claim in self.claims.values()}
        lost = ids - work.renew(self.db, self.owner, ids, lease)
        for claim in self.claims.values():
            if claim.item_id in lost:
                log.warning(
                    "document %s: the claim on it was lost (another worker took it over); "
                    "this worker's result will be discarded",
                    claim.document_id,
                )

    def _take(self, path: Path) -> None:
        settings = self.settings
        batch = batch_name(path, settings.inbox_dir, date.today())
        try:
            take_file(self.db, settings, path, batch)
            self.tracker.forget(path)
            self._failures.pop(path, None)
        except HosoError as exc:
            # The file stays in the inbox and is tried again; after three tries it is set aside.
            tries = self._failures.get(path, 0) + 1
            self._failures[path] = tries
            log.error("could not take %s (try %d): %s", path.name, tries, exc)
            if tries >= 3:
                self.tracker.forget(path)
                try:
                    quarantine_file(path, settings, batch, path.name, str(exc), None, move=True)
                except HosoError as again:
                    log.error("%s", again)
        except Exception as exc:
            log.exception("unexpected failure taking %s", path.name)
            self.tracker.forget(path)
            self._failures[path] = 3
            try:
                quarantine_file(
                    path,
                    settings,
                    batch,
                    path.name,
                    f"An unexpected error stopped the intake ({exc}).",
                    None,
                    move=True,
                )
            except HosoError as again:
                log.error("%s", again)

    def _record(self, outcome: Outcome) -> None:
        claim = self.claims.pop(outcome.job.key)
        try:
            self._record_claim(claim, outcome)
        finally:
            discard_work(outcome.job, self.settings.output.keep_work)

    def _link(self, document_id: int) -> str:
        """Link a ready document to its case; a failure leaves it unlinked, never failed."""
        try:
            return linking.link_document(self.db, document_id)
        except HosoError as exc:
            log.error("document %s: could not link it to a case: %s", document_id, exc.message)
            return "not linked (error)"

    def _record_claim(self, claim: processing.Claim, outcome: Outcome) -> None:
        try:
            if outcome.result is not None:
                target = processing.record_success(self.db, self.settings, claim, outcome.result)
                state = self._link(claim.document_id)
                log.info(
                    "document %s ready: %s (%d pages), case link: %s",
                    claim.document_id,
                    target.name,
                    len(outcome.result.pages),
                    state,
                )
            elif outcome.error_type == "WorkerCrashed" and self._stop.is_set():
                # Stopping: the Ctrl-C that stops this service reached the workers too. The
                # document did nothing wrong; it goes back untried, due at once.
                processing.give_back(self.db, [claim])
                log.info("document %s handed back: the service is stopping", claim.document_id)
            elif (
                outcome.error_type == "WorkerCrashed"
                and claim.attempts < self.settings.workers.max_attempts
            ):
                # The crash may have been another document's; try this one again.
                reason = outcome.error or "A worker process crashed."
                processing.requeue(self.db, self.settings, claim, reason)
                log.warning("document %s: worker crashed; retrying", claim.document_id)
            else:
                reason = outcome.error or "Processing failed for an unknown reason."
                if outcome.error_type == "WorkerCrashed":
                    reason += (
                        f" It happened {claim.attempts} times; the file is probably damaged."
                        " Scan it again."
                    )
                processing.record_failure(self.db, self.settings, claim, reason)
                log.warning("document %s failed: %s", claim.document_id, reason)
        except work.LeaseLost as exc:
            log.warning("document %s: %s", claim.document_id, exc.message)
        except DatabaseError as exc:
            # Not the document's fault: it goes back to the queue (or, with the database
            # away, its lease runs out and it is taken again).
            log.error("could not record document %s: %s", claim.document_id, exc)
            try:
                processing.requeue(self.db, self.settings, claim, str(exc))
            except HosoError as again:
                log.error(
                    "document %s will be retried when its lease ends: %s", claim.document_id, again
                )
        except HosoError as exc:
            log.error("could not record document %s: %s", claim.document_id, exc)
            processing.record_failure(self.db, self.settings, claim, str(exc))
