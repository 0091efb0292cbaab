"""Spread documents over worker processes page by page.

Each document goes plan → pages → assemble; every step is a task in one process pool, so two
workers are busy whether the input is one 200-page PDF or two hundred one-page scans. Only small
results travel back (words and boxes, never page images), which keeps memory flat however long the
document is. The runner knows nothing of the database: callers decide what to do with outcomes.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import cv2

from pipeline import chain
from pipeline.errors import HosoError
from pipeline.extract import Extraction
from pipeline.imaging.sources import DocumentPlan

log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Job:
    """One document to process: a key chosen by the caller, the file, its work folder, output."""

    key: str
    source: Path
    work_dir: Path
    out: Path | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of a job: a result, or a plain error message and its exception class name."""

    job: Job
    result: chain.DocumentResult | None
    error: str | None = None
    error_type: str | None = None


@dataclass
class _Progress:
    job: Job
    plan: DocumentPlan | None = None
    pages: dict[int, chain.PageResult] = field(default_factory=dict)
    failed: bool = False


ProgressCallback = Callable[[Job, int, int], None]


def _worker_init(parent: int) -> None:
    """Leave Ctrl-C to the parent, which stops cleanly.

    A worker interrupted mid-page would report the document as failed when it was only stopped.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent(parent)
    cv2.setNumThreads(1)  # the pool is the parallelism; more threads only contend


def _end_with_parent(parent: int) -> None:
    """Ask Linux to end this worker when the process that started it (``parent``) dies.

    A watcher killed outright (SIGKILL, out of memory) otherwise leaves its workers waiting
    forever on a queue nobody writes to, each holding a few hundred MB. A parent that died
    while this worker was still starting is caught by comparing the parent's pid.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(0)


def safe(step: Callable[..., object], *args: object) -> object:
    """Run a step in a worker so that any failure comes back as a HosoError, never a crash."""
    try:
        return step(*args)
    except HosoError:
        raise
    except Exception as exc:
        log.error(
            "unexpected failure in %s: %s", getattr(step, "__name__", step), traceback.format_exc()
        )
        raise HosoError(
            f"An unexpected error stopped the processing ({type(exc).__name__}: "
            f"{exc}). Keep the file and report it to the administrator."
        ) from exc


def _fields(source: Path, pages: tuple[chain.PageResult, ...]) -> Extraction | None:
    """Extract the document's facts; a failing rule costs the fields, never the document."""
    try:
        return chain.extract_fields(pages)
    except Exception:  # a rule bug must not lose a processed scan; it is logged loudly
        log.exception("Could not extract fields from %s; the text is kept without them.", source)
        return None


def document_result(
    job: Job, plan: DocumentPlan, pages: dict[int, chain.PageResult], output: Path | None
) -> chain.DocumentResult:
    """The document's result once every page is read (and the PDF written, if asked)."""
    ordered = tuple(pages[i] for i in range(plan.page_count))
    return chain.DocumentResult(
        job.source, plan.media_type, ordered, output, _fields(job.source, ordered)
    )


def failure(job: Job, exc: BaseException) -> Outcome:
    """The outcome of a job a step of which raised ``exc`` (in a worker or here)."""
    if isinstance(exc, BrokenProcessPool | KeyboardInterrupt | SystemExit):
        return Outcome(
            job, None, "The worker process reading this file stopped unexpectedly.", "WorkerCrashed"
        )
    message = (
        str(exc)
        if isinstance(exc, HosoError)
        else (f"An unexpected error stopped the processing ({type(exc).__name__}: {exc}).")
    )
    return Outcome(job, None, message, type(exc).__name__)


def run_here(job: Job, options: chain.ChainOptions, plan: DocumentPlan | None = None) -> Outcome:
    """Process ``job`` in this process, step by step (a Celery task reading a short document).

    ``plan``: the document's plan, when the caller made it already.
    """
    try:
        if plan is None:
            plan = _checked(safe(chain.plan, job.source, job.work_dir, options), DocumentPlan)
        pages = {
            i: _checked(safe(chain.read_page, plan, i, options), chain.PageResult)
            for i in range(plan.page_count)
        }
        output = None
        if job.out is not None:
            ordered = [pages[i] for i in range(plan.page_count)]
            output = _checked(safe(chain.assemble, plan, ordered, job.out, options), Path)
        return Outcome(job, document_result(job, plan, pages, output))
    except Exception as exc:
        return failure(job, exc)


def _checked(value: object, kind: type[_T]) -> _T:
    assert isinstance(value, kind)
    return value


def read_whole(
    plan: DocumentPlan, options: chain.ChainOptions, out: Path | None
) -> tuple[list[chain.PageResult], Path | None]:
    """Read every page of a short document and write its PDF, in one worker process.

    Its pages' results then cross between processes once instead of twice (back to the
    watcher, then out again to be assembled).
    """
    pages = [chain.read_page(plan, i, options) for i in range(plan.page_count)]
    return pages, (chain.assemble(plan, pages, out, options) if out is not None else None)


def discard_work(job: Job, keep: bool) -> None:
    """Remove a finished job's work folder, unless asked to keep it for debugging.

    The caller does this once it has used the outcome, since the output PDF lives there.
    """
    if not keep:
        shutil.rmtree(job.work_dir, ignore_errors=True)


class Runner:
    """A process pool that processes documents; use as a context manager."""

    def __init__(
        self,
        jobs: int,
        options: chain.ChainOptions,
        *,
        on_page: ProgressCallback | None = None,
        whole_below: int = 0,
    ) -> None:
        """Start nothing yet (the pool starts on ``with``).

        ``whole_below``: a document with fewer pages is read whole by one worker process when
        enough other documents keep the others busy (0: always page by page).
        """
        self.jobs = max(1, jobs)
        self.options = options
        self.on_page = on_page
        self.whole_below = whole_below
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future[object], tuple[_Progress, str, int]] = {}
        self._open: dict[str, _Progress] = {}

    def __enter__(self) -> Runner:
        # One Tesseract thread per worker: the pool is the parallelism.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._pool = self._new_pool()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def busy(self) -> int:
        """How many documents are submitted and not yet finished."""
        return len(self._open)

    def submit(self, job: Job) -> None:
        """Start processing ``job``; its outcome comes out of :meth:`poll`."""
        if job.key in self._open:
            raise ValueError(f"job {job.key} is already running")
        progress = _Progress(job)
        self._open[job.key] = progress
        self._start(progress, "plan", 0, chain.plan, job.source, job.work_dir, self.options)

    def _start(
        self, progress: _Progress, step: str, index: int, fn: Callable[..., object], *args: object
    ) -> None:
        assert self._pool is not None, "Runner must be used as a context manager"
        try:
            future = self._pool.submit(safe, fn, *args)
        except BrokenProcessPool:
            # A worker died (a crash inside a native library); the pool cannot be reused.
            log.error("a worker process died; starting a new pool")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            future = self._pool.submit(safe, fn, *args)
        self._futures[future] = (progress, step, index)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )

    def poll(self, timeout: float | None = None) -> list[Outcome]:
        """Advance finished steps; return the documents that completed (or failed) meanwhile."""
        if not self._futures:
            return []
        done, _ = wait(list(self._futures), timeout=timeout, return_when=FIRST_COMPLETED)
        outcomes: list[Outcome] = []
        for future in done:
            progress, step, index = self._futures.pop(future)
            if progress.failed:
                continue
            try:
                value = future.result()
            except BaseException as exc:  # the worker's failure, reported as the outcome
                # A finished future does not block, so even KeyboardInterrupt or SystemExit
                # here was raised in the worker: it is that document's outcome, not ours.
                outcomes.append(self._fail(progress, exc))
                continue
            outcome = self._advance(progress, step, index, value)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _advance(self, progress: _Progress, step: str, index: int, value: object) -> Outcome | None:
        job = progress.job
        if step == "plan":
            assert isinstance(value, DocumentPlan)
            progress.plan = value
            if value.page_count < self.whole_below and len(self._open) >= self.jobs:
                self._start(progress, "whole", 0, read_whole, value, self.options, job.out)
                return None
            for page in range(value.page_count):
                self._start(progress, "page", page, chain.read_page, value, page, self.options)
            return None
        if step == "page":
            assert isinstance(value, chain.PageResult) and progress.plan is not None
            progress.pages[index] = value
            if self.on_page is not None:
                self.on_page(job, len(progress.pages), progress.plan.page_count)
            if len(progress.pages) < progress.plan.page_count:
                return None
            pages = [progress.pages[i] for i in range(progress.plan.page_count)]
            if job.out is None:
                return self._finish(progress, None)
            self._start(
                progress, "assemble", 0, chain.assemble, progress.plan, pages, job.out, self.options
            )
            return None
        if step == "whole":
            assert isinstance(value, tuple) and progress.plan is not None
            pages, written = value
            progress.pages = dict(enumerate(pages))
            if self.on_page is not None:
                self.on_page(job, len(pages), progress.plan.page_count)
            return self._finish(progress, written)
        assert isinstance(value, Path)
        return self._finish(progress, value)

    def _finish(self, progress: _Progress, output: Path | None) -> Outcome:
        assert progress.plan is not None
        result = document_result(progress.job, progress.plan, progress.pages, output)
        self._close(progress)
        return Outcome(progress.job, result)

    def _fail(self, progress: _Progress, exc: BaseException) -> Outcome:
        progress.failed = True
        for future, (other, _, _) in list(self._futures.items()):
            if other is progress:
                future.cancel()
                del self._futures[future]
        self._close(progress)
        return failure(progress.job, exc)

    def _close(self, progress: _Progress) -> None:
        self._open.pop(progress.job.key, None)

    def run_all(self, jobs: list[Job]) -> list[Outcome]:
        """Process ``jobs`` and return their outcomes in the order given."""
        for job in jobs:
            self.submit(job)
        finished: dict[str, Outcome] = {}
        while self._open:
            for outcome in self.poll(timeout=1.0):
                finished[outcome.job.key] = outcome
        return [finished[job.key] for job in jobs]
