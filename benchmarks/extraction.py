"""Extraction accuracy on generated case files of every kind, read by the real OCR.

Each document kind of the domain file (judgment, court decision, enforcement decision,
verification and seizure records, notice, request) is generated with printed variants, rendered,
scanned as one of several kinds of scan (clean, office copy, fax, faded, phone photo, sideways,
seal over text), written as an image-only PDF or TIFF, and run through ``hoso process --json``.
Pages are read by hoso's own runner (the code ``hoso process`` runs) and kept in
``<corpus>/pages.pickle``, so ``--reuse`` re-runs only the rules. The printed fields are compared
with what the generator wrote. Prints number accuracy, party
precision/recall/F1 (role and name both matching after NFC and case folding), the accuracy of
every other field, per document kind and per kind of scan, and extraction time per page.

Run: ``.venv/bin/python -m benchmarks.extraction [--documents 84] [--text-only]``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import img2pdf

from benchmarks.corpus import HARD_KINDS, _encode
from pipeline.chain import ChainOptions, source_lines
from pipeline.extract import extract, lines_from_text
from pipeline.parallel import Job, Runner, discard_work
from pipeline.settings import REPO_ROOT as ROOT
from pipeline.settings import load_settings
from tests.synthetic import degrade, render_page
from tests.synthetic.casefiles import DOC_TYPES, Facts, PartyFact, make_case_document

# Kinds of scan the documents go through, and the format each is stored in.
SCANS: list[tuple[str, str]] = [
    kind
    for kind in HARD_KINDS
    if kind[0] in ("clean", "office_copy", "fax", "faded", "phone", "rot90", "seal_signature")
]
SEED = 5000
FIELDS = ("doc_type", "number", "cited", "issuer", "date", "case_type", "amounts")


def _write(path: Path, seed: int, doc_type: str, scan: str, fmt: str) -> Facts:
    case = make_case_document(seed, doc_type)
    images = []
    for index in range(len(case.document.pages)):
        rendered = render_page(case.document, index)
        kind = "bilevel" if scan == "fax" else scan
        images.append(degrade(rendered.image, kind, seed * 100 + index))
    dpi = 200 if scan == "fax" else 300
    if fmt == "tiff":
        pages = [image.convert("1") for image in images]
        pages[0].save(
            path, save_all=True, append_images=pages[1:], compression="group4", dpi=(dpi, dpi)
        )
    else:
        path.write_bytes(img2pdf.convert([_encode(image, fmt, dpi) for image in images]))
    return case.facts


def build(folder: Path, documents: int, seed: int = SEED) -> list[tuple[Path, str, Facts]]:
    """Write the corpus (or reuse it): document n has kind n mod 7 and a scan that rotates."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = []
    for n in range(documents):
        doc_type = DOC_TYPES[n % len(DOC_TYPES)]
        scan, fmt = SCANS[(n // len(DOC_TYPES) + n) % len(SCANS)]
        path = folder / f"case{n:03d}-{doc_type}-{scan}.{'tif' if fmt == 'tiff' else 'pdf'}"
        truth = path.with_suffix(".json")
        if path.exists() and truth.exists():
            facts = _facts_from(json.loads(truth.read_text("utf-8")))
        else:
            facts = _write(path, seed + n, doc_type, scan, fmt)
            truth.write_text(json.dumps(asdict(facts), ensure_ascii=False), "utf-8")
        corpus.append((path, scan, facts))
    return corpus


def _facts_from(data: dict[str, Any]) -> Facts:
    data = dict(data)
    data["cited"] = tuple(data["cited"])
    data["amounts"] = tuple(data["amounts"])
    data["parties"] = tuple(PartyFact(**p) for p in data["parties"])
    return Facts(**data)


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _expected(facts: Facts) -> dict[str, Any]:
    return {
        "doc_type": facts.doc_type,
        "number": facts.number,
        "cited": list(facts.cited),
        "issuer": facts.issuer,
        "date": facts.date,
        "case_type": facts.case_type,
        "amounts": list(facts.amounts),
    }


def read_pages(files: Sequence[Path], jobs: int, work: Path) -> tuple[dict[str, Any], float]:
    """OCR every file with hoso's own runner (what ``hoso process`` runs); pages by file stem."""
    settings = load_settings(ROOT / "config.yaml")
    options = ChainOptions.from_settings(settings)
    job_list = [Job(path.stem, path.resolve(), work / path.stem) for path in files]
    started = time.perf_counter()
    pages: dict[str, Any] = {}
    with Runner(jobs, options) as runner:
        for outcome in runner.run_all(job_list):
            discard_work(outcome.job, keep=False)
            pages[outcome.job.key] = outcome.result.pages if outcome.result else outcome.error
    return pages, time.perf_counter() - started


def records_from(pages: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Extract every document's fields from its read pages, as ``hoso process --json`` would."""
    records: dict[str, dict[str, Any]] = {}
    for stem, read in pages.items():
        if isinstance(read, str):
            records[stem] = {"error": read, "pages": []}
            continue
        lines = [source_lines(page) for page in read]
        record = extract([line for page in lines for line in page]).values()
        record["pages"] = [{"text": page.text} for page in read]
        record["lines"] = lines
        records[stem] = record
    return records


def text_only_records(
    corpus: Sequence[tuple[Path, str, Facts]], seed: int
) -> dict[str, dict[str, Any]]:
    """Records made by extracting from the true text (no OCR): the rules' own ceiling."""
    records = {}
    for n, (path, _, facts) in enumerate(corpus):
        case = make_case_document(seed + n, facts.doc_type)
        pages = [case.document.page_text(i) for i in range(len(case.document.pages))]
        result = extract(
            [line for i, text in enumerate(pages) for line in lines_from_text(i, text)]
        )
        record = result.values()
        record["pages"] = [{"text": text} for text in pages]
        records[path.stem] = record
    return records


def extraction_ms_per_page(records: dict[str, dict[str, Any]], rounds: int = 5) -> float:
    """Time of the extraction stage alone, per page, on the OCR'd lines of the corpus."""
    docs = [
        [line for page in r["lines"] for line in page]
        if "lines" in r
        else [
            line for i, page in enumerate(r["pages"]) for line in lines_from_text(i, page["text"])
        ]
        for r in records.values()
    ]
    pages = sum(len(r["pages"]) for r in records.values()) or 1
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for lines in docs:
            extract(lines)
        best = min(best, time.perf_counter() - started)
    return 1000 * best / pages


def score(
    corpus: Sequence[tuple[Path, str, Facts]], records: dict[str, dict[str, Any]], verbose: bool
) -> dict[str, Any]:
    """Per-field accuracy and party precision/recall, overall, per kind and per scan."""
    right: Counter[tuple[str, str]] = Counter()
    seen: Counter[tuple[str, str]] = Counter()
    party = defaultdict(lambda: [0, 0, 0])  # group -> [true positives, found, expected]
    misses: list[str] = []
    for path, scan, facts in corpus:
        record = records.get(path.stem)
        if record is None or record.get("error"):
            misses.append(f"{path.name}: not processed ({record and record.get('error')})")
            record = {}
        want = _expected(facts)
        for field in FIELDS:
            got = record.get(field, [] if field in ("cited", "amounts") else "")
            ok = got == want[field]
            for group in ("all", facts.doc_type, scan):
                seen[(group, field)] += 1
                right[(group, field)] += ok
            if not ok and verbose:
                misses.append(f"{path.name} {field}: got {got!r}, want {want[field]!r}")
        expected = Counter((p.role, _key(p.name)) for p in facts.parties)
        found = Counter((p["role"], _key(p["name"])) for p in record.get("parties", []))
        hits = sum((expected & found).values())
        for group in ("all", facts.doc_type, scan):
            party[group][0] += hits
            party[group][1] += sum(found.values())
            party[group][2] += sum(expected.values())
        if verbose and expected != found:
            misses.append(
                f"{path.name} parties: missing {sorted((expected - found).elements())}, "
                f"extra {sorted((found - expected).elements())}"
            )
    return {"right": right, "seen": seen, "party": party, "misses": misses}


def _prf(tp: int, found: int, expected: int) -> tuple[float, float, float]:
    precision = tp / found if found else 1.0
    recall = tp / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def report(result: dict[str, Any], groups: Sequence[str]) -> None:
    """Print the table: one row per group, accuracy per field, party P/R/F1."""
    right, seen, party = result["right"], result["seen"], result["party"]
    header = (
        f"{'':22}" + "".join(f"{f[:9]:>10}" for f in FIELDS) + f"{'party P':>9}{'R':>7}{'F1':>7}"
    )
    print(header)
    for group in groups:
        if not seen[(group, "number")]:
            continue
        cells = "".join(f"{100 * right[(group, f)] / seen[(group, f)]:>9.1f}%" for f in FIELDS)
        p, r, f1 = _prf(*party[group])
        print(f"{group:22}{cells}{p:>9.3f}{r:>7.3f}{f1:>7.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Build the corpus, run hoso on it, print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=84, help="generated documents")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED, help="first generator seed")
    parser.add_argument("--corpus", type=Path, default=Path("var/bench/extraction"))
    parser.add_argument("--text-only", action="store_true", help="skip OCR: extract the true text")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the pages read by the last run (rules only)"
    )
    parser.add_argument("--verbose", action="store_true", help="list every wrong field")
    args = parser.parse_args(argv)

    corpus = build(args.corpus, args.documents, args.seed)
    pages = 0
    if args.text_only:
        records, seconds = text_only_records(corpus, args.seed), 0.0
    else:
        cache = args.corpus / "pages.pickle"
        if args.reuse and cache.exists():
            pages_read, seconds = pickle.loads(cache.read_bytes()), 0.0
        else:
            files = [p for p, _, _ in corpus]
            pages_read, seconds = read_pages(files, args.jobs, args.corpus / "work")
            cache.write_bytes(pickle.dumps(pages_read))
        records = records_from(pages_read)
    pages = sum(len(r.get("pages", [])) for r in records.values())
    result = score(corpus, records, args.verbose)
    source = "true text (no OCR)" if args.text_only else f"hoso's runner, {args.jobs} workers"
    print(f"corpus: {len(corpus)} documents, {pages} pages, read by {source}", end="")
    print(f" in {seconds:.1f} s" if seconds else "")
    scans = sorted({scan for _, scan, _ in corpus})
    report(result, ["all", *DOC_TYPES, *scans])
    ms = extraction_ms_per_page(records)
    print(
        f"extraction time: {ms:.2f} ms per page (the rules alone, OCR excluded; best of 5 rounds)"
    )
    right, seen = result["right"], result["seen"]
    overall = {f: right[("all", f)] / max(1, seen[("all", f)]) for f in FIELDS}
    _, _, f1 = _prf(*result["party"]["all"])
    targets = (
        overall["number"] >= 0.99
        and f1 >= 0.97
        and all(overall[f] >= 0.95 for f in FIELDS if f != "number")
        and ms < 50
    )
    print(
        f"targets (number >= 99%, party F1 >= 0.97, others >= 95%, < 50 ms/page): "
        f"{'met' if targets else 'NOT met'}"
    )
    for line in result["misses"][:80]:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
