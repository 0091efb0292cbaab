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

from benchmarks.corpus import HARD_KINDS, KINDS, CorpusFile, build, build_long
from tests.synthetic.metrics import cer, normalize

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


def score(
    run: Run,
    files: Sequence[CorpusFile],
    out_dir: Path | None,
    texts_by_stem: dict[str, list[str]] | None = None,
) -> None:
    per_kind: dict[str, tuple[int, int]] = {}
    for item in files:
        if texts_by_stem is not None:
            texts = texts_by_stem.get(item.path.stem, [])
        else:
            assert out_dir is not None
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


def uncorrected(text: str, corrections: list[dict[str, object]]) -> str:
    """The page text as Tesseract read it, before post-correction."""
    lines = [line.split(" ") for line in text.split("\n") if line]
    for change in corrections:
        line, word = int(str(change["line"])), int(str(change["word"]))
        lines[line][word] = str(change["before"])
    return "\n".join(" ".join(words) for words in lines)


def correction_report(files: Sequence[CorpusFile], pages: dict[str, list[dict]]) -> None:  # type: ignore[type-arg]
    """CER before and after post-correction, and corrections that made a right word wrong."""
    by_kind: dict[str, list[int]] = {}
    wrong: list[str] = []
    for item in files:
        for truth, page in zip(item.truths, pages.get(item.path.stem, []), strict=False):
            after = page["text"]
            before = uncorrected(after, page.get("corrections", []))
            e_before, total = cer(truth, before)
            e_after, _ = cer(truth, after)
            cell = by_kind.setdefault(item.kind, [0, 0, 0, 0])
            cell[0] += e_before
            cell[1] += e_after
            cell[2] += total
            cell[3] += len(page.get("corrections", []))
            truth_words = set(normalize(truth).split())
            for change in page.get("corrections", []):
                if change["before"] in truth_words and change["after"] not in truth_words:
                    wrong.append(f"{item.path.stem}: {change['before']} -> {change['after']}")
    print("\npost-correction, CER before -> after (corrections made):")
    for kind, (b, a, t, n) in sorted(by_kind.items()):
        print(f"  {kind:<15} {b / t:6.2%} -> {a / t:6.2%}  ({n})")
    print(f"corrections that changed a right word into a wrong one: {len(wrong)}")
    for line in wrong:
        print(f"  {line}")


def run_hoso(
    files: Sequence[CorpusFile],
    out_dir: Path,
    jobs: int,
    work: Path,
    stages: dict[str, float],
    pages: dict[str, list[dict]] | None = None,  # type: ignore[type-arg]
) -> Run:
    env = {**os.environ, "HOSO_WORK_DIR": str(work)}
    cmd = [
        str(VENV_BIN / "hoso"),
        "process",
        "--jobs",
        str(jobs),
        "--json",
        "--details",
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
    count = 0
    for line in proc.stdout.splitlines():
        record = json.loads(line) if line else {"pages": [], "file": ""}
        if pages is not None and record["file"]:
            pages[Path(record["file"]).stem] = record["pages"]
        for page in record["pages"]:
            count += 1
            for stage, spent in page.get("timings", {}).items():
                stages[stage] = stages.get(stage, 0.0) + spent
    return Run("hoso", seconds, count, mem.peak / 2**20)


def run_tesseract(
    files: Sequence[CorpusFile], parallel: int, work: Path
) -> tuple[Run, dict[str, list[str]]]:
    """Plain Tesseract (Debian's model) on each page rendered at 300 dpi, no preprocessing."""
    env = {k: v for k, v in os.environ.items() if k != "TESSDATA_PREFIX"}
    env["OMP_THREAD_LIMIT"] = "1"

    def one(item: CorpusFile) -> tuple[str, list[str]]:
        folder = work / item.path.stem
        folder.mkdir(parents=True)
        if item.path.suffix == ".pdf":
            subprocess.run(
                # PGM, not PNG: this poppler's PNG encoder takes ~20 s a page, PGM 0.2 s.
                ["pdftoppm", "-r", "300", "-gray", str(item.path), str(folder / "p")],
                check=True,
                timeout=300,
            )
            images = sorted(folder.glob("p*.pgm"))
        else:
            images = [item.path]
        texts: list[str] = []
        for image in images:
            proc = subprocess.run(
                ["tesseract", str(image), "stdout", "-l", "vie"],
                capture_output=True,
                env=env,
                timeout=300,
                check=False,
            )
            # Tesseract ends every page with a form feed; drop what follows the last one.
            pages = proc.stdout.decode("utf-8", "replace").split("\f")
            texts += pages[:-1] if len(pages) > 1 and not pages[-1].strip() else pages
        return item.path.stem, texts

    with PeakMemory() as mem:
        started = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            results = dict(pool.map(one, files))
        seconds = time.perf_counter() - started
    return Run("tesseract", seconds, sum(len(f.truths) for f in files), mem.peak / 2**20), results


def run_ocrmypdf(
    files: Sequence[CorpusFile], out_dir: Path, parallel: int, clean: bool = False
) -> Run:
    """OCRmyPDF as it ships (its default Tesseract model), ``parallel`` files at a time."""
    env = {k: v for k, v in os.environ.items() if k != "TESSDATA_PREFIX"}

    def one(item: CorpusFile) -> int:
        cmd = [
            str(VENV_BIN / "ocrmypdf"),
            "-l",
            "vie",
            "--rotate-pages",
            "--deskew",
            *(["--clean"] if clean else []),
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
                cells.append(f"{e / t:>8.3%}" if t else f"{'-':>8}")
            print(f"  {kind:<14} " + " ".join(cells))
        hoso = next((r for r in runs if r.name == "hoso"), None)
        ocrm = next((r for r in runs if r.name == "ocrmypdf"), None)
        if hoso and ocrm and hoso.per_kind and ocrm.per_kind:
            missed = [
                kind
                for kind in kinds
                if hoso.per_kind[kind][0] * ocrm.per_kind[kind][1]
                > 0.5 * ocrm.per_kind[kind][0] * hoso.per_kind[kind][1]
            ]
            verdict = "met" if not missed else "NOT met on " + ", ".join(missed)
            print(f"hoso at most half of OCRmyPDF's CER on every kind: {verdict}")


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
    parser.add_argument("--skip-tesseract", action="store_true")
    parser.add_argument(
        "--kinds",
        default="",
        help="with --hard: only these kinds, comma-separated (office_copy,fax)",
    )
    parser.add_argument(
        "--hard",
        action="store_true",
        help="issue 3's corpus (rotated, faded, phone photos, seals, fax TIFF...), plain "
        "Tesseract as a third column, OCRmyPDF with --clean, and hoso's stage timings",
    )
    args = parser.parse_args(argv)
    if args.hard and args.corpus == ROOT / "var" / "bench" / "corpus":
        args.corpus = ROOT / "var" / "bench" / "hard"

    kinds = HARD_KINDS if args.hard else KINDS
    if args.kinds:
        wanted = set(args.kinds.split(","))
        kinds = [k for k in HARD_KINDS if k[0] in wanted]
        if args.corpus == ROOT / "var" / "bench" / "hard":
            args.corpus = ROOT / "var" / "bench" / ("hard-" + "-".join(sorted(wanted)))
    files = build(args.corpus, args.documents, args.pages, kinds=kinds)
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
        stages: dict[str, float] = {}
        hoso_pages: dict[str, list[dict]] = {}  # type: ignore[type-arg]
        hoso = run_hoso(files, hoso_out, args.jobs, base / "work", stages, hoso_pages)
        score(hoso, files, hoso_out)
        runs.append(hoso)
        if not args.skip_ocrmypdf and shutil.which(str(VENV_BIN / "ocrmypdf")):
            ocrm = run_ocrmypdf(files, ocrm_out, args.jobs, clean=args.hard)
            score(ocrm, files, ocrm_out)
            runs.append(ocrm)
        if args.hard and not args.skip_tesseract:
            plain, texts = run_tesseract(files, args.jobs, base / "tesseract")
            score(plain, files, None, texts)
            runs.append(plain)
        print_table(runs)
        if stages:
            pages = max(1, hoso.pages)
            ocr = stages.get("ocr", 0.0)
            prep = sum(v for k, v in stages.items() if k not in ("ocr", "load", "correct"))
            print(
                "\nhoso time per page by stage (ms): "
                + ", ".join(f"{k} {v / pages * 1000:.0f}" for k, v in sorted(stages.items()))
            )
            if ocr:
                print(f"preprocessing adds {prep / ocr:.1%} to the OCR time")
        correction_report(files, hoso_pages)
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
