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
from pipeline.errors import HosoError
from pipeline.ingest.inbox import InboxWatcher, batch_name, is_candidate, scan
from pipeline.ingest.stability import StabilityTracker
from pipeline.jobs import linking, processing
from pipeline.jobs.intake import quarantine_file, take_file
from pipeline.parallel import Outcome, Runner, discard_work
from pipeline.records.database import Database
from pipeline.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class WatchService:
    """Watch the inbox and process what arrives until stopped."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.tracker = StabilityTracker(settings.watch.stable_seconds)
        self.claims: dict[str, processing.Claim] = {}
        self._failures: dict[Path, int] = {}

    def run(self, stop: threading.Event, *, once: bool = False) -> None:
        """Run the loop; with ``once``, return when the inbox and the queue are empty."""
        settings = self.settings
        inbox, quarantine = settings.inbox_dir, settings.quarantine_dir
        resumed = processing.recover_interrupted(self.db)
        if resumed:
            log.info("resuming %d document(s) interrupted by a previous stop", resumed)
        watcher = InboxWatcher(
            inbox, polling=settings.watch.polling, poll_interval=settings.watch.poll_interval
        )
        watcher.start()
        for path in scan(inbox, quarantine):
            self.tracker.touch(path)
        last_scan = time.monotonic()
        options = ChainOptions.from_settings(settings)
        try:
            with Runner(settings.worker_count, options) as runner:
                while not stop.is_set():
                    for path in watcher.drain():
                        if path.is_file() and is_candidate(path, inbox, quarantine):
                            self.tracker.touch(path)
                        else:
                            self.tracker.forget(path)
                    if time.monotonic() - last_scan > settings.watch.rescan_seconds:
                        for path in scan(inbox, quarantine):
                            if path not in self._failures:
                                self.tracker.touch(path)
                        last_scan = time.monotonic()
                    for path in self.tracker.stable():
                        self._take(path)
                    capacity = 2 * runner.jobs - runner.busy
                    for claim in processing.claim_received(self.db, settings, capacity):
                        job = processing.job_for(claim, settings)
                        self.claims[job.key] = claim
                        runner.submit(job)
                        log.info("processing document %s (%s)", claim.document_id, claim.name)
                    for outcome in runner.poll(timeout=0.5 if runner.busy else 0):
                        self._record(outcome)
                    if (
                        once
                        and not runner.busy
                        and not len(self.tracker)
                        and (processing.count_waiting(self.db) == 0)
                    ):
                        break
                    if not runner.busy:
                        stop.wait(min(0.5, settings.watch.poll_interval))
        finally:
            watcher.stop()

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
            elif outcome.error_type == "WorkerCrashed" and claim.attempts < MAX_ATTEMPTS:
                # The crash may have been another document's; try this one again.
                processing.requeue(self.db, claim)
                log.warning("document %s: worker crashed; retrying", claim.document_id)
            else:
                reason = outcome.error or "Processing failed for an unknown reason."
                if outcome.error_type == "WorkerCrashed":
                    reason += (
                        f" It happened {MAX_ATTEMPTS} times; the file is probably damaged."
                        " Scan it again."
                    )
                processing.record_failure(self.db, self.settings, claim, reason)
                log.warning("document %s failed: %s", claim.document_id, reason)
        except HosoError as exc:
            log.error("could not record document %s: %s", claim.document_id, exc)
            processing.record_failure(self.db, self.settings, claim, str(exc))
