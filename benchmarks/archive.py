"""``hoso verify --all`` on an archive of 10,000 signed documents.

Builds an archive the way approval leaves it (for every document: the original scan, the
searchable PDF/A and one signed version, each with its SHA-256 in the database), from one real
generated page processed and signed by hoso and copied 10,000 times under distinct names, then
times ``hoso verify --all`` (SHA-256 of every file, every signature checked) and checks that it
finds one changed and one missing file planted among them.

Run: ``.venv/bin/python -m benchmarks.archive [--documents 10000]``. Needs about 10 GB of disk
for 10,000 documents. The files were just written, so they are read from the page cache, as a
frequently checked archive would be.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import img2pdf

from pipeline.archive.store import sha256_of
from pipeline.records.database import Database
from pipeline.records.models import Batch, Document, SignedVersion, State
from pipeline.signing.appearance import StampSpec
from pipeline.signing.keys import Pkcs12Key, make_dev_pki
from pipeline.signing.sign import sign_pdf
from tests.synthetic import degrade, make_document, render_page

HOSO = Path(sys.executable).parent / "hoso"


def _sample(folder: Path, env: dict[str, str]) -> tuple[Path, Path, Path]:
    """One original scan, its searchable PDF and its signed copy."""
    image = degrade(render_page(make_document(5), 0).image, "office_copy", 5)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80, dpi=(300, 300))
    scan = folder / "scan.pdf"
    scan.write_bytes(img2pdf.convert([buf.getvalue()]))
    subprocess.run([HOSO, "process", str(scan), "--out", str(folder / "out")], env=env, check=True)
    searchable = folder / "out" / "scan.pdf"
    keys = folder / "keys"
    pki = make_dev_pki(keys, "Nguyễn Văn Thẩm")
    signed = folder / "signed.pdf"
    sign_pdf(
        searchable,
        signed,
        Pkcs12Key(pki.signer_p12, passphrase_file=pki.passphrase_file).signer(),
        StampSpec("Nguyễn Văn Thẩm"),
    )
    return scan, searchable, signed


def build(folder: Path, count: int, env: dict[str, str]) -> Path:
    """An archive of ``count`` documents and its database; returns the archive folder."""
    scan, searchable, signed = _sample(folder, env)
    archive = folder / "archive"
    hashes = {p: sha256_of(p) for p in (searchable, signed)}
    scan_bytes = scan.read_bytes()
    db = Database.open(env["HOSO_DATABASE_URL"], 30)
    with db.session() as session:
        batch = Batch(name="bench")
        session.add(batch)
        for k in range(count):
            rel = {
                scan: f"originals/{k % 256:02x}/{k:06d}.pdf",
                searchable: f"documents/bench/{k:06d}-scan.pdf",
                signed: f"signed/2026/bench/{k:06d}-scan.v1.pdf",
            }
            for source, name in rel.items():
                target = archive / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if source != scan:
                    shutil.copyfile(source, target)
            original = scan_bytes + f"%{k}\n".encode()  # distinct scans, as real ones are
            (archive / rel[scan]).write_bytes(original)
            doc = Document(
                batch=batch,
                original_name=f"{k:06d}.pdf",
                sha256=hashlib.sha256(original).hexdigest(),
                original_path=rel[scan],
                output_path=rel[searchable],
                output_sha256=hashes[searchable],
                state=State.ARCHIVED.value,
            )
            doc.versions.append(
                SignedVersion(
                    version=1, path=rel[signed], sha256=hashes[signed], signer="bench", level="B-B"
                )
            )
            session.add(doc)
    return archive


def main(argv: Sequence[str] | None = None) -> int:
    """Build the archive, plant two problems, time ``hoso verify --all``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=Path("var").resolve()) as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
        env |= {
            "HOSO_ARCHIVE": str(folder / "archive"),
            "HOSO_DATABASE_URL": f"sqlite:///{folder}/hoso.db",
            "HOSO_WORK_DIR": str(folder / "work"),
            "HOSO_JOBS": str(args.jobs),
            "HOSO_SIGNING__TRUST_ROOTS": json.dumps([str(folder / "keys" / "dev-ca.pem")]),
        }
        started = time.perf_counter()
        archive = build(folder, args.documents, env)
        built = time.perf_counter() - started
        victim = archive / "signed/2026/bench/000007-scan.v1.pdf"
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0x01
        victim.write_bytes(bytes(data))
        (archive / "documents/bench/000011-scan.pdf").unlink()
        files = 3 * args.documents
        started = time.perf_counter()
        proc = subprocess.run(
            [HOSO, "verify", "--all", "--json"], env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        report = json.loads(proc.stdout)
        found = sorted((p["kind"], Path(p["path"]).name, p["problem"]) for p in report["problems"])
        print(f"archive: {args.documents} documents, {files} files, built in {built:.0f} s")
        print(
            f"hoso verify --all ({args.jobs} processes): {seconds:.1f} s, "
            f"{files / seconds:.0f} files/s, exit status {proc.returncode}"
        )
        for item in found:
            print(f"  found: {item}")
        met = seconds < 120 and len(found) == 2 and proc.returncode == 1
        print(
            f"target (10,000 documents in under 2 minutes, every problem found): "
            f"{'met' if met else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
