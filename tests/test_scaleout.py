"""Several watchers on one PostgreSQL database: every document done once, nothing stuck.

As an office runs them: two ``hoso watch`` processes (separate work folders, as on separate
machines) share the inbox, the archive and the database; one is killed outright mid-work; a
cron-style ``hoso watch --once`` runs beside the survivor.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from tests.conftest import Scans, environment_for, postgres_schema
from tests.test_watch import HOSO


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        try:
            return list(conn.execute(query).fetchall())
        except psycopg.errors.UndefinedTable:  # the first watcher has not migrated yet
            return []


def test_two_watchers_a_kill_and_a_cron_run_process_each_document_once(
    scans: Scans, tmp_path: Path
) -> None:
    with postgres_schema() as url:
        base = {**environment_for(tmp_path), "HOSO_DATABASE_URL": url, "HOSO_JOBS": "1"}
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for n in range(8):
            source = scans.pdf(f"share{n}.pdf", seed=300 + n, pages=1, kind="clean")
            shutil.copy(source, inbox / f"share{n}.pdf")

        def start(k: int) -> subprocess.Popen[str]:
            env = {**base, "HOSO_WORK_DIR": str(tmp_path / f"work{k}")}
            log = (tmp_path / f"watch{k}.log").open("w")
            return subprocess.Popen(
                [HOSO, "watch"], env=env, stdout=log, stderr=log, start_new_session=True
            )

        first, second = start(0), start(1)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:  # both at work, something already done
                states = [r[0] for r in rows(url, "SELECT state FROM documents")]
                if "ready" in states and "processing" in states:
                    break
                time.sleep(0.3)
            else:
                raise AssertionError(f"the watchers never got going: {states}")
            os.killpg(first.pid, signal.SIGKILL)  # mid-work, no clean shutdown
            first.wait()
            cron = subprocess.run(
                [HOSO, "watch", "--once"],
                env={**base, "HOSO_WORK_DIR": str(tmp_path / "work2")},
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert cron.returncode == 0, cron.stderr[-2000:]
        finally:
            for proc in (first, second):
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGINT)
                    proc.wait(timeout=120)
        docs = rows(url, "SELECT id, state, attempts, page_count FROM documents ORDER BY id")
        assert [(d[1], d[3]) for d in docs] == [("ready", 1)] * 8, docs
        assert all(1 <= int(str(d[2])) <= 2 for d in docs), docs  # retried only if killed on
        items = rows(
            url,
            "SELECT subject_id, state FROM work_items WHERE kind = 'process' ORDER BY subject_id",
        )
        assert items == [(d[0], "done") for d in docs]  # one item each, all finished
        # Each document's indexing is done, or (a watcher stopped right after recording it)
        # still queued for the next one: never failed, never missing.
        indexed = rows(url, "SELECT subject_id, state FROM work_items WHERE kind = 'index'")
        assert sorted({subject for subject, _ in indexed}) == [d[0] for d in docs]
        assert {state for _, state in indexed} <= {"done", "waiting", "leased"}
        assert rows(url, "SELECT count(*) FROM pages") == [(8,)]  # no page recorded twice
        filed = sorted((tmp_path / "archive" / "documents").rglob("*.pdf"))
        assert len(filed) == 8, filed  # no orphan from the killed watcher
        for k in (1,):
            log = (tmp_path / f"watch{k}.log").read_text()
            assert "Traceback" not in log, log[-3000:]
