"""Which optional preprocessing stages help: CER per kind of scan for each variant.

Runs in-process on a generated corpus (see ``benchmarks.corpus``), OCR'ing every page once per
variant with post-correction off, so only the image stages differ. Usage:
``.venv/bin/python -m benchmarks.ablation [--corpus var/bench/hard2] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from benchmarks.corpus import HARD_KINDS, build
from pipeline.chain import ChainOptions, plan, read_page
from pipeline.imaging.prepare import PrepareOptions
from pipeline.settings import load_settings
from tests.synthetic.metrics import cer

ROOT = Path(__file__).resolve().parent.parent
VARIANTS: dict[str, PrepareOptions] = {
    "default": PrepareOptions(),
    "denoise σ>3": PrepareOptions(denoise_above_sigma=3.0),
    "sauvola": PrepareOptions(binarize=True),
    "upscale <250dpi": PrepareOptions(upscale_below_dpi=250),
    "no light": PrepareOptions(light=False),
}


def score_file(args: tuple[str, str, str]) -> tuple[str, str, int, int]:
    variant, path, kind = args
    options = replace(
        ChainOptions.from_settings(load_settings()), prepare=VARIANTS[variant], lexicon=None
    )
    source = Path(path)
    doc = plan(source, ROOT / "var" / "work" / f"ablation-{variant}-{source.stem}", options)
    truths = json.loads(source.with_suffix(".json").read_text("utf-8"))
    errors = total = 0
    for index in range(doc.page_count):
        e, t = cer(truths[index], read_page(doc, index, options).text)
        errors, total = errors + e, total + t
    return variant, kind, errors, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT / "var" / "bench" / "hard2")
    parser.add_argument("--documents", type=int, default=24)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    files = build(args.corpus, args.documents, args.pages, kinds=HARD_KINDS)
    tasks = [(v, str(f.path), f.kind) for v in VARIANTS for f in files]
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    with ProcessPoolExecutor(args.jobs) as pool:
        for variant, kind, errors, total in pool.map(score_file, tasks):
            cell = table[variant][kind]
            cell[0] += errors
            cell[1] += total
    kinds = sorted({f.kind for f in files})
    names = list(VARIANTS)
    sys.stdout.write(f"{'kind':<15}" + "".join(f"{n:>17}" for n in names) + "\n")
    for kind in [*kinds, "all"]:
        row = f"{kind:<15}"
        for name in names:
            cells = table[name].values() if kind == "all" else [table[name][kind]]
            e, t = sum(c[0] for c in cells), sum(c[1] for c in cells)
            row += f"{e:>9} {e / t:6.2%} " if t else f"{'-':>17}"
        sys.stdout.write(row + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
