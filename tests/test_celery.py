"""Celery workers as separate machines would run them: one database, one archive, one broker.

Real ``hoso worker`` processes (each with its own work folder) take documents that a real
``hoso watch`` announces; workers are killed outright (``kill -9`` of the whole process group)
at random moments and replaced. Whatever happens, every document is archived exactly once: one
row, one searchable PDF, nothing left in the spool, no file no row points to, nothing stuck.

Needs Redis and PostgreSQL (and RabbitMQ for the AMQP test); skips when they are unreachable,
except under CI (CI=true), where they must run.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import Scans, environment_for, postgres_schema
from tests.test_scaleout import rows as pg_rows
from tests.test_watch import HOSO

REDIS = "redis://127.0.0.1:6379/13"  # a database of its own, emptied by these tests
RABBIT = "amqp://guest:guest@127.0.0.1:5672//"


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    """Rows of ``query`` on either database, read directly (not through hoso)."""
    if not url.startswith("sqlite:///"):
        return pg_rows(url, query)
    path = url.removeprefix("sqlite:///")
    if not Path(path).exists():
        return []
    with sqlite3.connect(path, timeout=30) as conn:
        try:
            return list(conn.execute(query).fetchall())
        except sqlite3.OperationalError:  # not migrated yet
            return []


def reachable(url: str, port: int) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except OSError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"the broker {url} is not reachable ({exc})")


def empty_broker(url: str) -> None:
    """Drop what earlier runs left on this test's broker (only hoso's queues on RabbitMQ)."""
    from kombu import Connection

    with Connection(url, connect_timeout=5) as conn:
        channel = conn.channel()
        if url.startswith("redis"):
            channel.client.flushdb()
            return
        for queue in ("hoso.ocr", "hoso.pages", "hoso.finish", "hoso.index"):
            channel.queue_delete(queue)


class Office:
    """An office with a shared archive, a watcher announcing work, and Celery workers."""

    def __init__(self, root: Path, database: str, broker: str, fanout: int = 4) -> None:
        self.root = root
        self.url = database
        self.env = {
            **environment_for(root),
            "HOSO_DATABASE_URL": database,
            "HOSO_WORKERS__ENGINE": "celery",
            "HOSO_WORKERS__BROKER": broker,
            "HOSO_WORKERS__LEASE_SECONDS": "6",
            "HOSO_WORKERS__RETRY_SECONDS": "1",
            "HOSO_WORKERS__MAX_ATTEMPTS": "8",  # kills count as attempts; none may fail a scan
            "HOSO_WORKERS__FANOUT_PAGES": str(fanout),
            "HOSO_OCR__PAGE_TIMEOUT": "30",
            "HOSO_LOG_LEVEL": "INFO",
        }
        self.inbox = root / "inbox"
        self.inbox.mkdir()
        self.workers: list[subprocess.Popen[str]] = []
        self.started = 0
        self.watcher: subprocess.Popen[str] | None = None

    def _start(self, args: list[str], name: str) -> subprocess.Popen[str]:
        env = {**self.env, "HOSO_WORK_DIR": str(self.root / f"work-{name}")}
        log = (self.root / f"{name}.log").open("w")
        return subprocess.Popen(
            [HOSO, *args], env=env, stdout=log, stderr=log, start_new_session=True, text=True
        )

    def watch(self) -> None:
        self.watcher = self._start(["watch"], "watch")

    def add_worker(self) -> None:
        self.started += 1
        self.workers.append(self._start(["worker", "-c", "1"], f"worker{self.started}"))

    def kill_one(self, rng: random.Random) -> None:
        victim = self.workers.pop(rng.randrange(len(self.workers)))
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its children, mid-task
        victim.wait()

    def stop(self) -> None:
        for proc in [*self.workers, *([self.watcher] if self.watcher else [])]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, *([self.watcher] if self.watcher else [])]:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def states(self) -> list[str]:
        return [str(r[0]) for r in rows(self.url, "SELECT state FROM documents")]

    def wait_until_ready(self, count: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        states: list[str] = []
        while time.monotonic() < deadline:
            states = self.states()
            if len(states) == count and all(s == "ready" for s in states):
                return
            if "failed" in states:
                break
            time.sleep(1)
        logs = "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.root.glob("*.log"))
        )
        raise AssertionError(f"not all ready: {sorted(set(states))} {len(states)}\n{logs}")

    def check_each_archived_once(self, names: list[str]) -> None:
        docs = rows(
            self.url,
            "SELECT id, original_name, state, output_path, page_count FROM documents ORDER BY id",
        )
        assert sorted(str(d[1]) for d in docs) == sorted(names)  # one row per scan
        assert {str(d[2]) for d in docs} == {"ready"}
        items = rows(
            self.url,
            "SELECT kind, subject_id, state, count(*) FROM work_items "
            "GROUP BY kind, subject_id, state",
        )
        assert {(str(i[0]), str(i[2])) for i in items} <= {("process", "done"), ("index", "done")}
        assert all(int(str(i[3])) == 1 for i in items if i[0] == "process"), items
        archive = self.root / "archive"
        filed = sorted(p.relative_to(archive).as_posix() for p in archive.glob("documents/**/*"))
        filed = [f for f in filed if not (archive / f).is_dir()]
        assert filed == sorted(str(d[3]) for d in docs)  # no orphan, no temporary file
        assert len(list(archive.glob("originals/*/*"))) == len(names)
        spool = archive / ".spool"
        assert not spool.exists() or not any(spool.iterdir()), list(spool.iterdir())


@contextmanager
def office(tmp_path: Path, database: str, broker: str, fanout: int = 4) -> Iterator[Office]:
    place = Office(tmp_path, database, broker, fanout)
    try:
        yield place
    finally:
        place.stop()


def drop(scans: Scans, inbox: Path, singles: int, long: int, pages: int, seed: int) -> list[str]:
    names = []
    for n in range(singles):
        source = scans.pdf(f"c{seed + n}.pdf", seed=seed + n, pages=1, kind="clean")
        shutil.copy(source, inbox / source.name)
        names.append(source.name)
    for n in range(long):
        source = scans.pdf(f"long{seed + n}.pdf", seed=seed + 500 + n, pages=pages, kind="clean")
        shutil.copy(source, inbox / source.name)
        names.append(source.name)
    return names


def test_a_hundred_documents_two_then_four_workers_five_kills(scans: Scans, tmp_path: Path) -> None:
    reachable(REDIS, 6379)
    empty_broker(REDIS)
    rng = random.Random(20261207)
    with postgres_schema() as url, office(tmp_path, url, REDIS) as place:
        place.watch()
        place.add_worker()
        place.add_worker()
        names = drop(scans, place.inbox, singles=96, long=4, pages=6, seed=4000)
        for round_ in range(5):
            time.sleep(rng.uniform(3, 10))
            place.kill_one(rng)
            place.add_worker()
            if round_ == 1:  # from two workers to four
                place.add_worker()
                place.add_worker()
        place.wait_until_ready(len(names), seconds=900)
        place.check_each_archived_once(names)
        attempts = [int(str(r[0])) for r in rows(url, "SELECT attempts FROM documents")]
        assert max(attempts) <= 3, attempts  # retried only where a worker died on it
        # Five kills of busy workers: some documents were taken over from a dead worker.
        assert sum(a > 1 for a in attempts) >= 1, attempts


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_a_cron_run_waits_for_the_workers_and_a_killed_page_reader_is_replaced(
    scans: Scans, tmp_path: Path, broker: str
) -> None:
    """On SQLite too: `hoso watch --once` announces the work and returns when it is all done."""
    url = REDIS if broker == "redis" else RABBIT
    reachable(url, 6379 if broker == "redis" else 5672)
    empty_broker(url)
    database = f"sqlite:///{tmp_path}/hoso.db"
    with office(tmp_path, database, url, fanout=3) as place:
        names = drop(scans, place.inbox, singles=3, long=1, pages=8, seed=4700)
        place.add_worker()
        place.add_worker()
        cron = subprocess.Popen(
            [HOSO, "watch", "--once"],
            env={**place.env, "HOSO_WORK_DIR": str(tmp_path / "work-cron")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            query = "SELECT owner FROM work_items WHERE owner LIKE 'fanout:%' AND state = 'leased'"
            while not rows(database, query):  # the long document's pages are being read
                assert time.monotonic() < deadline, "the long document was never fanned out"
                time.sleep(0.2)
            time.sleep(1.5)
            # Both workers read its pages now (the short documents are done or being read);
            # one of them is killed with the page in hand.
            place.kill_one(random.Random(7))
            place.add_worker()
            output, _ = cron.communicate(timeout=600)
        finally:
            if cron.poll() is None:
                os.killpg(cron.pid, signal.SIGKILL)
                cron.wait()
        assert cron.returncode == 0, output[-3000:]
        place.check_each_archived_once(names)
