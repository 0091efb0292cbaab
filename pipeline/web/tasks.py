"""Long operations (signing a batch) run in a thread; pages poll their progress.

The registry lives in the server process: a restarted server forgets finished tasks, and an
interrupted signing resumes as the approval module describes (approved documents are signed
by the next approval of the batch).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.errors import HosoError, NotFound

log = logging.getLogger(__name__)
KEEP = 200  # finished tasks remembered


@dataclass(frozen=True)
class Progress:
    """Where a task is; replaced as a whole, so readers never see half an update."""

    id: str
    owner: str
    title: str
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    @property
    def percent(self) -> int:
        """How far along, 0-100 (100 once finished)."""
        if self.finished:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


Work = Callable[[Callable[[int, int], None]], dict[str, Any]]


class Tasks:
    """Start tasks in threads and tell how they are going."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Progress] = {}

    def start(self, owner: str, title: str, work: Work) -> str:
        """Run ``work(progress)`` in a thread; returns the task's id."""
        task_id = secrets.token_urlsafe(12)
        self._set(Progress(task_id, owner, title))

        def report(done: int, total: int) -> None:
            self._update(task_id, done=done, total=total)

        def run() -> None:
            try:
                result = work(report)
                self._update(task_id, finished=True, result=result)
            except HosoError as exc:
                self._update(task_id, finished=True, error=exc.message)
            except Exception as exc:
                log.exception("task %s (%s) failed", task_id, title)
                self._update(task_id, finished=True, error=f"An unexpected error: {exc}")

        threading.Thread(target=run, name=f"task-{task_id}", daemon=True).start()
        return task_id

    def get(self, task_id: str) -> Progress | None:
        """The task's progress, or None if there is no such task."""
        with self._lock:
            return self._tasks.get(task_id)

    def visible(self, task_id: str, user: str, *, admin: bool) -> Progress:
        """The task, if ``user`` started it or is an admin; NotFound otherwise."""
        found = self.get(task_id)
        if found is None or (found.owner != user and not admin):
            raise NotFound(f"There is no signing task {task_id} of yours.")
        return found

    def wait(self, task_id: str, timeout: float) -> Progress | None:
        """Wait until the task finishes (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.get(task_id)
            if found is None or found.finished:
                return found
            time.sleep(0.05)
        return self.get(task_id)

    def _set(self, progress: Progress) -> None:
        with self._lock:
            self._tasks[progress.id] = progress
            finished = [t for t in self._tasks.values() if t.finished]
            for old in sorted(finished, key=lambda t: t.started)[: max(0, len(finished) - KEEP)]:
                del self._tasks[old.id]

    def _update(self, task_id: str, **changes: Any) -> None:
        with self._lock:
            self._tasks[task_id] = replace(self._tasks[task_id], **changes)
