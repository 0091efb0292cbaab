"""Throughput of the local process pool against Celery workers, on the same pages, in one run.

Every configuration runs as a service would: the processes are started and seen alive first
(heartbeats), then the scans are dropped into the inbox, and the clock runs from the drop until
the last document is ready. Each run has a fresh PostgreSQL schema, archive and broker database.

    python -m benchmarks.scaleout --documents 40 --pages 2 --long 200

Configurations: ``local`` (``hoso watch``, a pool of --jobs processes); ``celery 1x2`` (one
``hoso worker -c 2``); ``celery 2x1`` (two ``hoso worker -c 1``, as two machines would run).
The long scan is read by the local pool (pages spread over its processes) and by two Celery
workers (pages fanned out through the broker).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg

from benchmarks.corpus import build, build_long

ROOT = Path(__file__).resolve().parent.parent
HOSO = str(Path(sys.executable).with_name("hoso"))


@dataclass(frozen=True)
class Run:
    """One configuration's figures."""

    name: str
    documents: int
    pages: int
    seconds: float
    coordination: float  # CPU seconds of the processes that do not read (watcher, worker mains)

    @property
    def per_minute(self) -> float:
        return 60.0 * self.pages / self.seconds


@contextmanager
def schema(base: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL database ``base``, dropped afterwards."""
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"hoso_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{base}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        try:
            return list(conn.execute(sql).fetchall())
        except psycopg.errors.UndefinedTable:
            return []


def _empty_broker(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=5) as conn:
        channel = conn.channel()
        if url.startswith("redis"):
            channel.client.flushdb()
        else:
            for queue in ("hoso.ocr", "hoso.pages", "hoso.index"):
                channel.queue_delete(queue)


def run(
    name: str,
    files: list[Path],
    database: str,
    broker: str,
    workers: list[int],
    jobs: int,
    fanout: int,
    per_child: int = 0,
) -> Run:
    """Process ``files`` with ``workers`` Celery workers (their concurrency), or none: local."""
    root = Path(tempfile.mkdtemp(prefix="hoso-scale-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with schema(database) as url:
            _empty_broker(broker)
            env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
            env.update(
                {
                    "HOSO_INBOX": str(root / "inbox"),
                    "HOSO_ARCHIVE": str(root / "archive"),
                    "HOSO_DATABASE_URL": url,
                    "HOSO_WATCH__STABLE_SECONDS": "0.3",
                    "HOSO_WATCH__POLL_INTERVAL": "0.2",
                    "HOSO_JOBS": str(jobs),
                    "HOSO_WORKERS__ENGINE": "celery" if workers else "local",
                    "HOSO_WORKERS__BROKER": broker,
                    "HOSO_WORKERS__FANOUT_PAGES": str(fanout),
                    "HOSO_WORKERS__TASKS_PER_CHILD": str(per_child),
                    "HOSO_LOG_LEVEL": "WARNING",
                }
            )
            (root / "inbox").mkdir()

            def start(args: list[str], tag: str) -> None:
                log = (root / f"{tag}.log").open("wb")
                procs.append(
                    subprocess.Popen(
                        [HOSO, *args],
                        env={**env, "HOSO_WORK_DIR": str(root / f"work-{tag}")},
                        stdout=log,
                        stderr=log,
                        start_new_session=True,
                    )
                )

            start(["watch"], "watch")
            time.sleep(3)  # the watcher migrates the schema before workers open it
            for k, concurrency in enumerate(workers):
                start(["worker", "-c", str(concurrency)], f"worker{k}")
            deadline = time.monotonic() + 120
            while len(_query(url, "SELECT name FROM worker_beats")) < 1 + len(workers):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: the processes did not start; see {root}")
                time.sleep(0.5)
            time.sleep(5)  # workers' children forked and waiting
            begun = time.monotonic()
            for path in files:
                shutil.copy(path, root / "inbox" / path.name)
            while True:
                states = [str(r[0]) for r in _query(url, "SELECT state FROM documents")]
                if len(states) == len(files) and all(s in ("ready", "failed") for s in states):
                    break
                if time.monotonic() - begun > 3600:
                    raise RuntimeError(f"{name}: not finished in an hour; see {root}")
                time.sleep(0.2)
            seconds = time.monotonic() - begun
            coordination = sum(_cpu(proc.pid) for proc in procs)
            pages = int(str(_query(url, "SELECT sum(page_count) FROM documents")[0][0] or 0))
            failed = states.count("failed")
            if failed:
                raise RuntimeError(f"{name}: {failed} documents failed; see {root}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
    return Run(name, len(files), pages, seconds, coordination)


def _cpu(pid: int) -> float:
    """CPU seconds a process used itself (not its children, the readers, in the local pool)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=40, help="generated PDFs")
    parser.add_argument("--pages", type=int, default=2, help="pages per PDF")
    parser.add_argument("--long", type=int, default=200, help="pages of the long scan; 0: none")
    parser.add_argument("--jobs", type=int, default=2, help="processes (this machine's cores)")
    parser.add_argument("--fanout", type=int, default=8, help="workers.fanout_pages")
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--corpus", type=Path, default=ROOT / "var" / "bench" / "scaleout")
    parser.add_argument(
        "--per-child", action="store_true", help="also Celery with one task per child process"
    )
    parser.add_argument("--only", nargs="*", help="run the configurations whose names say these")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run every configuration this often, interleaved"
    )
    args = parser.parse_args(argv)
    kinds = [("office_copy", "pdf")]
    files = [f.path for f in build(args.corpus, args.documents, args.pages, kinds=kinds)]
    jobs = args.jobs
    configs: list[tuple[str, list[int], list[Path], int]] = [
        ("local pool", [], files, 0),
        (f"celery 1x{jobs}", [jobs], files, 0),
        (f"celery {jobs}x1", [1] * jobs, files, 0),
    ]
    if args.per_child:
        configs.append((f"celery {jobs}x1, 1 task per child", [1] * jobs, files, 1))
    if args.long:
        long = build_long(args.corpus / f"long-{args.long}.pdf", args.long)
        configs += [
            (f"local pool, {args.long}-page scan", [], [long], 0),
            (f"celery {jobs}x1, {args.long}-page scan", [1] * jobs, [long], 0),
        ]
    if args.only:
        configs = [c for c in configs if any(word in c[0] for word in args.only)]
    runs: dict[str, list[Run]] = {}
    for _ in range(args.repeat):
        for name, workers, chosen, per_child in configs:
            result = run(
                name, chosen, args.database, args.broker, workers, jobs, args.fanout, per_child
            )
            runs.setdefault(name, []).append(result)
            print(
                f"{result.name:38} {result.documents:4d} docs {result.pages:5d} pages "
                f"{result.seconds:8.1f} s {result.per_minute:7.1f} pages/min, "
                f"coordination {result.coordination:5.1f} CPU s",
                flush=True,
            )
    # The mean of each configuration's runs (this machine's timings vary by several percent).
    results = [
        Run(
            rs[0].name,
            rs[0].documents,
            rs[0].pages,
            sum(r.seconds for r in rs) / len(rs),
            sum(r.coordination for r in rs) / len(rs),
        )
        for rs in runs.values()
    ]
    if args.repeat > 1:
        print(f"\nMean of {args.repeat} interleaved runs (range):")
        for r, rs in zip(results, runs.values(), strict=True):
            low, high = min(x.seconds for x in rs), max(x.seconds for x in rs)
            print(
                f"  {r.name:38} {r.seconds:8.1f} s ({low:.1f}-{high:.1f}) "
                f"{r.per_minute:7.1f} pages/min"
            )
    base = {r.documents > 1: r for r in results if r.name.startswith("local")}
    print("\nCelery against the local pool on the same pages (positive: slower):")
    for r in results:
        local = base.get(r.documents > 1)
        if r.name.startswith("celery") and local is not None:
            extra = (r.seconds - local.seconds) / r.documents
            print(
                f"  {r.name:38} {100 * (r.seconds / local.seconds - 1):+6.1f}% "
                f"({extra:+.2f} s per document)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
