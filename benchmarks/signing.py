"""Signing and verification throughput with a PKCS#12 key, on hoso's own searchable PDFs.

Makes a development PKI, processes one generated two-page scan into a searchable PDF/A with
``hoso process``, then signs it ``--documents`` times (PAdES B-B, visible stamp with an embedded
Vietnamese font; each signature a separate output file, as an officer's batch would be) and
checks every signed file (integrity, whole-file coverage, chain to the CA). Prints documents per
second for both, in one process and with ``--jobs`` processes.

Run: ``.venv/bin/python -m benchmarks.signing [--documents 200] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.signing.appearance import StampSpec
from pipeline.signing.keys import Pkcs12Key, make_dev_pki
from pipeline.signing.sign import sign_pdf
from pipeline.signing.verify import check_pdf, load_roots
from tests.synthetic import degrade, make_document, render_page


def _searchable(folder: Path) -> Path:
    import img2pdf

    doc = make_document(3, pages=2)
    images = []
    for index in range(2):
        path = folder / f"p{index}.jpg"
        degrade(render_page(doc, index).image, "office_copy", index).save(path, dpi=(300, 300))
        images.append(str(path))
    scan = folder / "scan.pdf"
    scan.write_bytes(img2pdf.convert(images))
    env = {**os.environ, "HOSO_WORK_DIR": str(folder / "work")}
    hoso = Path(sys.executable).parent / "hoso"
    subprocess.run([hoso, "process", str(scan), "--out", str(folder / "out")], env=env, check=True)
    return folder / "out" / "scan.pdf"


def _sign_many(args: tuple[Path, Path, Path, list[Path]]) -> int:
    p12, passfile, source, targets = args
    signer = Pkcs12Key(p12, passphrase_file=passfile).signer()
    stamp = StampSpec(
        "Nguyễn Văn Thẩm", "Chi cục trưởng", "Chi cục Thi hành án dân sự huyện Tân Yên"
    )
    for target in targets:
        sign_pdf(source, target, signer, stamp)
    return len(targets)


def _check_many(args: tuple[Path, list[Path]]) -> int:
    ca, files = args
    roots = load_roots([ca])
    return sum(all(c.ok for c in check_pdf(f, roots)) for f in files)


def main(argv: Sequence[str] | None = None) -> int:
    """Sign and check ``--documents`` files, in one process and in ``--jobs``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki = make_dev_pki(folder / "keys", "Nguyễn Văn Thẩm")
        source = _searchable(folder)
        n = args.documents
        targets = [folder / f"signed-{k:05d}.pdf" for k in range(n)]
        print(f"document: {source.stat().st_size / 1e6:.1f} MB, 2 pages; {n} signatures")
        for jobs in (1, args.jobs):
            chunks = [targets[k::jobs] for k in range(jobs)]
            started = time.perf_counter()
            with ProcessPoolExecutor(jobs) as pool:
                signed = sum(
                    pool.map(
                        _sign_many,
                        [(pki.signer_p12, pki.passphrase_file, source, c) for c in chunks],
                    )
                )
            sign_s = time.perf_counter() - started
            started = time.perf_counter()
            with ProcessPoolExecutor(jobs) as pool:
                good = sum(pool.map(_check_many, [(pki.ca_cert, c) for c in chunks]))
            check_s = time.perf_counter() - started
            print(
                f"{jobs} process(es): signing {signed / sign_s:.1f} documents/s; "
                f"verifying {good / check_s:.1f} documents/s, {good}/{signed} valid; "
                f"10,000 documents would verify in {10_000 / (good / check_s):.0f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
