"""The process pool survives a worker that dies, and names outputs without collisions."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from pipeline.chain import ChainOptions
from pipeline.cli.processing import _output_names
from pipeline.parallel import Job, Outcome, Runner
from pipeline.settings import Settings
from tests.conftest import Scans


def _cpu(process: psutil.Process) -> float:
    """Its CPU use over a tenth of a second; 0 for a process that ended meanwhile."""
    try:
        return float(process.cpu_percent(interval=0.1))
    except psutil.Error:
        return 0.0


def pool_workers() -> list[psutil.Process]:
    """This process's pool workers (not multiprocessing's resource tracker)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def test_a_dead_worker_fails_its_documents_and_the_pool_recovers(
    scans: Scans, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    options = ChainOptions.from_settings(make_settings())
    source = scans.pdf("crash.pdf", seed=60, pages=3, kind="clean")
    with Runner(1, options) as runner:
        runner.submit(Job("victim", source, tmp_path / "w1"))
        outcomes: list[Outcome] = []
        deadline = time.monotonic() + 60
        killed = False
        while runner.busy and time.monotonic() < deadline:
            busy = [w for w in pool_workers() if _cpu(w) > 5]
            if busy and not killed:
                for worker in busy:
                    worker.kill()  # as if Tesseract had crashed inside a native library
                killed = True
            outcomes += runner.poll(timeout=0.2)
        assert killed
        (victim,) = outcomes
        assert victim.result is None and victim.error_type == "WorkerCrashed"
        assert "stopped unexpectedly" in (victim.error or "")
        # The next document goes through on a fresh pool.
        (after,) = runner.run_all([Job("after", scans.jpeg(), tmp_path / "w2")])
        assert after.error is None and after.result is not None


def test_output_names_never_collide(tmp_path: Path) -> None:
    files = [Path("a/scan.pdf"), Path("b/scan.pdf"), Path("scan.tif"), Path("other.jpg")]
    names = _output_names(files, tmp_path)
    assert [n.name for n in names if n] == ["scan.pdf", "scan-2.pdf", "scan-3.pdf", "other.pdf"]
    assert _output_names(files, None) == [None] * 4


def test_ctrl_c_reaching_the_workers_does_not_fail_documents(
    scans: Scans, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A terminal's Ctrl-C goes to every process of the group; workers must leave it to the
    parent, or the page being read would come back as an error and the document be failed."""
    options = ChainOptions.from_settings(make_settings())
    source = scans.pdf("sigint.pdf", seed=61, pages=2, kind="clean")
    with Runner(1, options) as runner:
        # Warm the pool so the signal reaches a worker reading a page, not one still starting.
        runner.run_all([Job("warm", scans.jpeg(), tmp_path / "w0")])
        runner.submit(Job("doc", source, tmp_path / "w"))
        outcomes: list[Outcome] = []
        sent = False
        deadline = time.monotonic() + 60
        while runner.busy and time.monotonic() < deadline:
            busy = [w for w in pool_workers() if _cpu(w) > 5]
            if busy and not sent:
                for worker in busy:
                    worker.send_signal(signal.SIGINT)
                sent = True
            outcomes += runner.poll(timeout=0.2)
        assert sent
        (outcome,) = outcomes
        assert outcome.error is None, outcome.error


def test_short_documents_read_whole_match_those_read_page_by_page(
    scans: Scans, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """With other documents keeping the pool busy, a short one is read whole by one process;
    what comes back is the same as reading it page by page."""
    options = ChainOptions.from_settings(make_settings())
    sources = [scans.pdf(f"whole{n}.pdf", seed=70 + n, pages=2, kind="clean") for n in range(3)]

    calls: list[tuple[str, int, int]] = []

    def read(whole_below: int, tag: str) -> list[Outcome]:
        def seen(job: Job, done: int, total: int) -> None:
            calls.append((job.key, done, total))

        with Runner(1, options, whole_below=whole_below, on_page=seen) as runner:
            jobs = [
                Job(f"{tag}{n}", s, tmp_path / f"{tag}{n}", tmp_path / f"{tag}{n}.pdf")
                for n, s in enumerate(sources)
            ]
            return runner.run_all(jobs)

    whole, paged = read(3, "w"), read(0, "p")
    # Read whole: one report per document with all its pages; page by page: one per page.
    assert sorted(c for c in calls if c[0][0] == "w") == [(f"w{n}", 2, 2) for n in range(3)]
    assert len([c for c in calls if c[0][0] == "p"]) == 6
    for a, b in zip(whole, paged, strict=True):
        assert a.result is not None and b.result is not None, (a.error, b.error)
        assert [p.text for p in a.result.pages] == [p.text for p in b.result.pages]
        assert a.result.output is not None and a.result.output.is_file()
        assert a.result.fields == b.result.fields
