"""Long operations (signing a batch) run in a thread; pages poll their progress.

The progress is kept in the database (``tasks``), not in the server's memory: every server
process shows the same progress, and a restart does not forget it. A task whose process is
gone before it finished (a restart, a crash) is reported as interrupted, and the officer
approves the batch again: signing is work done once (see the approval module), so the next
approval signs only what was not recorded.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from pipeline.errors import HosoError, NotFound
from pipeline.jobs import work as work_items
from pipeline.records.database import Database
from pipeline.records.models import TaskRow, utcnow

log = logging.getLogger(__name__)
INTERRUPTED = (
    "The signing was interrupted (the server stopped). Approve the batch again: what was "
    "signed stays signed, and only the rest is signed."
)


@dataclass(frozen=True)
class Progress:
    """Where a task is: the view model the faces show."""

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
    """Start tasks in threads and tell how they are going, from the database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.runner = work_items.worker_name()

    def start(self, owner: str, title: str, work: Work) -> str:
        """Run ``work(progress)`` in a thread; returns the task's id."""
        task_id = secrets.token_urlsafe(12)
        now = utcnow()
        with self.db.session() as session:
            session.add(
                TaskRow(
                    id=task_id,
                    owner=owner,
                    title=title[:255],
                    runner=self.runner,
                    done=0,
                    total=0,
                    finished=False,
                    error="",
                    started_at=now,
                    updated_at=now,
                )
            )

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
        with self.db.session() as session:
            row = session.get(TaskRow, task_id)
            if row is None:
                return None
            finished, error = row.finished, row.error
            if not finished and row.runner != self.runner and not work_items.alive(row.runner):
                finished, error = True, INTERRUPTED
            return Progress(
                row.id,
                row.owner,
                row.title,
                row.done,
                row.total,
                finished,
                error,
                dict(row.result or {}),
                row.started_at.timestamp(),
            )

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

    def unfinished(self) -> list[str]:
        """Ids of the tasks this process runs that have not finished."""
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(TaskRow.id).where(
                        TaskRow.runner == self.runner, TaskRow.finished.is_(False)
                    )
                )
            )

    def _update(self, task_id: str, **changes: Any) -> None:
        try:
            with self.db.session() as session:
                row = session.get(TaskRow, task_id)
                if row is None:
                    return
                for key, value in changes.items():
                    setattr(row, key, value)
                row.updated_at = utcnow()
        except HosoError as exc:  # progress is information; the work itself goes on
            log.error("task %s: progress not recorded: %s", task_id, exc)
