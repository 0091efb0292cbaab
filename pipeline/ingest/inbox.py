"""The inbox folder: which files are candidates, which batch each belongs to, and the watcher."""

from __future__ import annotations

import logging
import queue
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from pipeline.ingest.filetypes import is_transient_name

log = logging.getLogger(__name__)


def is_candidate(path: Path, inbox: Path, quarantine: Path) -> bool:
    """Whether ``path`` is a scan waiting in the inbox (not hidden, temporary or quarantined)."""
    try:
        relative = path.relative_to(inbox)
    except ValueError:
        return False
    if path == quarantine or quarantine in path.parents:
        return False
    return not any(is_transient_name(part) for part in relative.parts)


def scan(inbox: Path, quarantine: Path) -> Iterator[Path]:
    """Every candidate file now in the inbox, in a stable order."""
    if not inbox.is_dir():
        return
    for path in sorted(inbox.rglob("*")):
        if is_entry(path) and is_candidate(path, inbox, quarantine):
            yield path


def is_entry(path: Path) -> bool:
    """Whether ``path`` is something dropped in the inbox to take or refuse.

    Any entry but a folder: links, FIFOs and devices too (refused with a note, never ignored).
    """
    try:
        return not stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def batch_name(path: Path, inbox: Path, today: date) -> str:
    """The batch a file belongs to: its folder under the inbox, or the day for top-level files."""
    relative = path.relative_to(inbox)
    if len(relative.parts) > 1:
        return "/".join(relative.parts[:-1])
    return today.isoformat()


class _Handler(FileSystemEventHandler):
    def __init__(self, events: queue.Queue[Path]) -> None:
        self.events = events

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self.events.put(Path(str(raw)))


class InboxWatcher:
    """Feeds changed inbox paths into a queue, from inotify or by polling for network shares."""

    def __init__(self, inbox: Path, *, polling: bool, poll_interval: float) -> None:
        self.inbox = inbox
        self.events: queue.Queue[Path] = queue.Queue()
        self.polling = polling
        self.poll_interval = poll_interval
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        """Begin watching; call :meth:`stop` to end."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        observer: BaseObserver = (
            PollingObserver(timeout=self.poll_interval) if self.polling else Observer()
        )
        observer.schedule(_Handler(self.events), str(self.inbox), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer
        log.info("watching %s (%s)", self.inbox, "polling" if self.polling else "inotify")

    def stop(self) -> None:
        """Stop watching and wait for the observer thread."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
            self._observer = None

    def drain(self) -> set[Path]:
        """All paths reported since the last call."""
        paths: set[Path] = set()
        while True:
            try:
                paths.add(self.events.get_nowait())
            except queue.Empty:
                return paths
