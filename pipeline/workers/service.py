"""The watch service: inbox watcher and intake, and the engine that reads what it takes.

One thread owns the database and the loop; the engine (:mod:`pipeline.workers.executors`) reads
pages in other processes, on this machine or, with Celery, on others. Every state change is its
own transaction, so a service killed at any point resumes where it was.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from pathlib import Path

from pipeline.errors import BrokerError, DatabaseError, HosoError, StorageError
from pipeline.ingest.filetypes import looks_complete
from pipeline.ingest.inbox import InboxWatcher, batch_name, is_candidate, is_entry, scan
from pipeline.ingest.stability import StabilityTracker
from pipeline.jobs import work
from pipeline.jobs.intake import quarantine_file, take_file
from pipeline.records.database import Database
from pipeline.settings import Settings
from pipeline.workers.executors import Executor, executor_for

log = logging.getLogger(__name__)


class WatchService:
    """Watch the inbox and process what arrives until stopped."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.owner = work.worker_name()
        self.tracker = StabilityTracker(settings.watch.stable_seconds)
        self._failures: dict[Path, int] = {}
        self._incomplete: set[Path] = set()  # stable but unfinished files (logged once)
        self._retry_at: dict[Path, float] = {}  # files the storage failed on: not before then
        self._beaten = 0.0  # beat at the first turn
        self._stop = threading.Event()
        self._last_scan = time.monotonic()
        self.engine: Executor | None = None

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
        engine = self.engine = executor_for(settings, self.db, self.owner, stop)
        failures = 0
        opened = False
        try:
            while not stop.is_set():
                try:
                    if not opened:  # a broker away at start is waited for like one lost later
                        engine.open()
                        opened = True
                    if self._step(engine, watcher, once):
                        break
                    failures = 0
                except (DatabaseError, BrokerError, StorageError, OSError) as exc:
                    # The database, the broker or the storage went away (restart, network, a
                    # read-only or full archive): wait and carry on; the leases in hand are
                    # renewed once it answers, or taken over if not; the inbox files wait.
                    failures += 1
                    pause = min(30.0, 0.5 * 2**failures)
                    log.error("%s; retrying in %.0f s", exc, pause)
                    stop.wait(pause)
                    continue
                if not engine.busy:
                    stop.wait(min(0.5, settings.watch.poll_interval))
        finally:
            watcher.stop()
            engine.close()
            try:
                work.gone(self.db, self.owner)
            except HosoError as exc:
                log.error("could not remove this watcher's heartbeat: %s", exc)

    def _step(self, engine: Executor, watcher: InboxWatcher, once: bool) -> bool:
        """One turn of the loop: take stable files, let the engine work. True: all done."""
        settings = self.settings
        inbox, quarantine = settings.inbox_dir, settings.quarantine_dir
        for path in watcher.drain():
            if is_entry(path) and is_candidate(path, inbox, quarantine):
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
        self._beat(engine.busy)
        engine.turn()
        return once and not engine.busy and not len(self.tracker) and engine.settled()

    def _beat(self, in_hand: int) -> None:
        """Say this watcher is alive, a few times per lease period and per minute."""
        lease = self.settings.workers.lease_seconds
        if time.monotonic() - self._beaten < min(lease / 4, work.SEEN_WITHIN / 4):
            return
        self._beaten = time.monotonic()
        role = work.ANNOUNCE if self.settings.workers.engine == "celery" else work.WATCH
        work.beat(self.db, self.owner, role, in_hand)

    def _complete(self, path: Path) -> bool:
        """Whether a stable file's format has ended; a stalled writer is waited for, not cut.

        After ``watch.incomplete_seconds`` it is taken anyway, to be refused as damaged with a
        note, rather than left in the inbox with none.
        """
        if looks_complete(path):
            self._incomplete.discard(path)
            return True
        if path not in self._incomplete:
            log.info("%s is not complete yet (its writer paused); waiting for the rest", path.name)
            self._incomplete.add(path)
        # Counted from the last change: a writer that is still adding to it is still at work.
        return self.tracker.unchanged_for(path) > self.settings.watch.incomplete_seconds

    def _take(self, path: Path) -> None:
        settings = self.settings
        if time.monotonic() < self._retry_at.get(path, 0.0):
            return  # the storage failed on it a moment ago
        if not self._complete(path):
            return  # still tracked: looked at again on the next turn
        batch = batch_name(path, settings.inbox_dir, date.today())
        try:
            take_file(self.db, settings, path, batch)
            self.tracker.forget(path)
            self._failures.pop(path, None)
            self._retry_at.pop(path, None)
        except HosoError as exc:
            # The storage or the database failed, not the file (whose own faults are recorded
            # as refusals): the file stays in the inbox and is tried again, less often each
            # time (at most every 5 minutes), until the archive or the database is back.
            tries = self._failures.get(path, 0) + 1
            self._failures[path] = tries
            pause = min(300.0, 2.0**tries)
            self._retry_at[path] = time.monotonic() + pause
            log.error(
                "could not take %s (try %d; again in %.0f s; the file waits in the inbox): %s",
                path.name,
                tries,
                pause,
                exc,
            )
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
