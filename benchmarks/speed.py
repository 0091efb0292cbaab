"""hoso against OCRmyPDF on the same generated pages, one after the other in one run.

Prints pages/minute, character error rate and peak memory of each. Run with ``make bench`` or
``.venv/bin/python -m benchmarks.speed [--documents N] [--pages P] [--memory-pages M]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.corpus import CorpusFile, build, build_long
from tests.synthetic.metrics import cer

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class Run:
    """One tool's run over the corpus."""

    name: str
    seconds: float
    pages: int
    peak_mb: float
    errors: int = 0
    chars: int = 0
    per_kind: dict[str, tuple[int, int]] | None = None
    failures: int = 0

    @property
    def pages_per_minute(self) -> float:
        return self.pages / self.seconds * 60

    @property
    def cer(self) -> float:
        return self.errors / self.chars if self.chars else 0.0


class PeakMemory:
    """Samples the summed RSS of a process tree (this process's children) every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def pdf_pages_text(pdf: Path) -> list[str]:
    proc = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=False, timeout=120
    )
    pages = proc.stdout.decode("utf-8", "replace").split("\f")
    return pages[:-1] if pages and pages[-1] == "" else pages


def score(run: Run, files: Sequence[CorpusFile], out_dir: Path) -> None:
    per_kind: dict[str, tuple[int, int]] = {}
    for item in files:
        out = out_dir / f"{item.path.stem}.pdf"
        texts = pdf_pages_text(out) if out.exists() else []
        if not out.exists():
            run.failures += 1
        for index, truth in enumerate(item.truths):
            errors, total = cer(truth, texts[index] if index < len(texts) else "")
            run.errors += errors
            run.chars += total
            e, t = per_kind.get(item.kind, (0, 0))
            per_kind[item.kind] = (e + errors, t + total)
    run.per_kind = per_kind


def run_hoso(files: Sequence[CorpusFile], out_dir: Path, jobs: int, work: Path) -> Run:
    env = {**os.environ, "HOSO_WORK_DIR": str(work)}
    cmd = [
        str(VENV_BIN / "hoso"),
        "process",
        "--jobs",
        str(jobs),
        "--json",
        "--out",
        str(out_dir),
        *[str(f.path) for f in files],
    ]
    with PeakMemory() as mem:
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
        seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode())
    pages = sum(len(json.loads(line)["pages"]) for line in proc.stdout.splitlines() if line)
    return Run("hoso", seconds, pages, mem.peak / 2**20)


def run_ocrmypdf(files: Sequence[CorpusFile], out_dir: Path, parallel: int) -> Run:
    """OCRmyPDF as it ships (its default Tesseract model), ``parallel`` files at a time."""
    env = {k: v for k, v in os.environ.items() if k != "TESSDATA_PREFIX"}

    def one(item: CorpusFile) -> int:
        cmd = [
            str(VENV_BIN / "ocrmypdf"),
            "-l",
            "vie",
            "--rotate-pages",
            "--deskew",
            "--output-type",
            "pdf",
            "--jobs",
            "1",
            "--quiet",
            str(item.path),
            str(out_dir / f"{item.path.stem}.pdf"),
        ]
        return subprocess.run(cmd, capture_output=True, env=env, check=False).returncode

    with PeakMemory() as mem:
        started = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(one, files))
        seconds = time.perf_counter() - started
    return Run("ocrmypdf", seconds, sum(len(f.truths) for f in files), mem.peak / 2**20)


def print_table(runs: Sequence[Run]) -> None:
    print(
        f"{'tool':<10} {'pages':>5} {'seconds':>8} {'pages/min':>9} {'CER':>7} "
        f"{'peak MB':>8} {'failed':>6}"
    )
    for r in runs:
        print(
            f"{r.name:<10} {r.pages:>5} {r.seconds:>8.1f} {r.pages_per_minute:>9.1f} "
            f"{r.cer:>7.2%} {r.peak_mb:>8.0f} {r.failures:>6}"
        )
    kinds = sorted({k for r in runs for k in (r.per_kind or {})})
    if kinds:
        print("\nCER by kind of scan: " + "  ".join(f"{r.name}" for r in runs))
        for kind in kinds:
            cells = []
            for r in runs:
                e, t = (r.per_kind or {}).get(kind, (0, 0))
                cells.append(f"{e / t:>8.2%}" if t else f"{'-':>8}")
            print(f"  {kind:<12} " + " ".join(cells))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=16, help="generated PDFs")
    parser.add_argument("--pages", type=int, default=2, help="pages per PDF")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--memory-pages",
        type=int,
        default=200,
        help="pages of the long PDF for the memory run (0 to skip)",
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "var" / "bench" / "corpus")
    parser.add_argument("--skip-ocrmypdf", action="store_true")
    args = parser.parse_args(argv)

    files = build(args.corpus, args.documents, args.pages)
    print(
        f"corpus: {len(files)} PDFs, {sum(len(f.truths) for f in files)} pages "
        f"({', '.join(sorted({f.kind for f in files}))}); jobs={args.jobs}; "
        f"{os.cpu_count()} CPUs"
    )
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        hoso_out, ocrm_out = base / "hoso", base / "ocrmypdf"
        hoso_out.mkdir()
        ocrm_out.mkdir()
        hoso = run_hoso(files, hoso_out, args.jobs, base / "work")
        score(hoso, files, hoso_out)
        runs.append(hoso)
        if not args.skip_ocrmypdf and shutil.which(str(VENV_BIN / "ocrmypdf")):
            ocrm = run_ocrmypdf(files, ocrm_out, args.jobs)
            score(ocrm, files, ocrm_out)
            runs.append(ocrm)
        print_table(runs)
        if args.memory_pages:
            long_pdf = build_long(
                args.corpus.parent / f"long-{args.memory_pages}.pdf", args.memory_pages
            )
            long_out = base / "long"
            long_out.mkdir()
            cmd = [
                str(VENV_BIN / "hoso"),
                "process",
                "--jobs",
                str(args.jobs),
                "--out",
                str(long_out),
                str(long_pdf),
            ]
            env = {**os.environ, "HOSO_WORK_DIR": str(base / "work-long")}
            with PeakMemory() as mem:
                started = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
                seconds = time.perf_counter() - started
            status = "ok" if proc.returncode == 0 else f"FAILED ({proc.returncode})"
            print(
                f"\nmemory: {args.memory_pages}-page scanned PDF, hoso --jobs {args.jobs}: "
                f"peak {mem.peak / 2**20:.0f} MB for the whole command, {seconds:.0f} s "
                f"({args.memory_pages / seconds * 60:.1f} pages/min), {status}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
