"""Signing progress lives in the database: every server process sees it, a restart keeps it."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import update

from pipeline.records.database import Database
from pipeline.records.models import TaskRow
from pipeline.web.tasks import INTERRUPTED, Tasks


def test_progress_is_shared_and_a_dead_servers_task_reads_as_interrupted(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'tasks.db'}", timeout=15)
    one, other = Tasks(db), Tasks(db)  # two server processes on one database
    halfway, release = threading.Event(), threading.Event()

    def sign(progress: Any) -> dict[str, Any]:
        progress(1, 4)
        halfway.set()
        release.wait(30)
        progress(4, 4)
        return {"signed": [1, 2, 3, 4]}

    task = one.start("truong", "Kệ 5", sign)
    assert halfway.wait(30)
    seen = other.get(task)  # the other process shows the same progress
    assert seen is not None and (seen.done, seen.total, seen.finished) == (1, 4, False)
    assert seen.percent == 25
    release.set()
    done = other.wait(task, 30)
    assert done is not None and done.finished and done.result == {"signed": [1, 2, 3, 4]}
    assert one.unfinished() == []

    # A server killed mid-signing: its task must not spin at "signing..." for ever.
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    with db.session() as session:
        session.execute(
            update(TaskRow)
            .where(TaskRow.id == task)
            .values(finished=False, runner=f"{socket.gethostname()}:{int(gone.stdout)}:x")
        )
    after = other.get(task)
    assert after is not None and after.finished and after.error == INTERRUPTED
    assert one.get("no-such-task") is None
    db.close()
