"""How fast the web pages answer, over HTTP, with a few thousand documents in the records.

One generated two-page scan is read by the real watcher (real OCR); its rows are then copied
``--documents`` times into batches of 100 (same pages, numbers made distinct) and indexed, and
``hoso serve`` is started. Each page is asked for ``--repeat`` times by its role after three
untimed requests; the first rendering of a page image (poppler) is timed separately from the
cached one. Prints p50/p95 in milliseconds per page.

Run: ``.venv/bin/python -m benchmarks.web [--documents 2000] [--repeat 30]``.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import httpx

from pipeline.jobs import searching
from pipeline.records.models import Batch, Document, DocumentNumber, Page, PartyRow
from tests.conftest import Scans
from tests.test_cli import HOSO
from tests.web_fixtures import PASSWORD, ROLE_USER, Office, open_office, process_scans


def _copy_documents(office: Office, count: int) -> None:
    db = office.database()
    with db.session() as session:
        source = session.get(Document, 1)
        assert source is not None and source.state == "ready", "the scan was not read"
        batches = [Batch(name=f"Kệ {k:03d}") for k in range((count + 99) // 100)]
        for i in range(count):
            session.add(
                Document(
                    batch=batches[i // 100],
                    original_name=f"{i:05d}-{source.original_name}",
                    sha256=f"{i:064x}",
                    size=source.size,
                    media_type=source.media_type,
                    original_path=source.original_path,
                    state="ready",
                    page_count=source.page_count,
                    mean_confidence=source.mean_confidence,
                    doc_type=source.doc_type,
                    number=f"{1000 + i}/QĐ-CCTHADS",
                    printed_number=f"{1000 + i}/QĐ-CCTHADS",
                    issuer=source.issuer,
                    issued_on=source.issued_on,
                    case_type=source.case_type,
                    fields=source.fields,
                    output_path=source.output_path,
                    output_sha256=source.output_sha256,
                    pages=[
                        Page(
                            index=p.index,
                            text=p.text,
                            confidence=p.confidence,
                            source=p.source,
                            dpi=p.dpi,
                            marks=p.marks,
                        )
                        for p in source.pages
                    ],
                    parties=[
                        PartyRow(
                            position=p.position,
                            role=p.role,
                            name=p.name,
                            name_folded=p.name_folded,
                            confidence=p.confidence,
                        )
                        for p in source.parties
                    ],
                    numbers=[DocumentNumber(position=0, number=f"{1000 + i}/QĐ-CCTHADS", own=True)],
                )
            )
    searching.reindex(db)
    db.close()


def _serve(office: Office) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*HOSO, "serve", "--no-watch", "--port", str(port)],
        env=office.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/login", timeout=1)
            return server, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("hoso serve did not start")


def _timed(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    """Build the office, serve it, time each page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        office = open_office(root / "office")
        (root / "scans").mkdir()
        process_scans(office, {"quyet-dinh.pdf": Scans(root / "scans").pdf()})
        started = time.perf_counter()
        _copy_documents(office, args.documents)
        print(
            f"{args.documents + 1} documents recorded and indexed in "
            f"{time.perf_counter() - started:.1f} s"
        )
        server, url = _serve(office)
        try:
            clients = {}
            for role, name in ROLE_USER.items():
                client = httpx.Client(base_url=url, timeout=30)
                started = time.perf_counter()
                answer = client.post("/api/session", json={"name": name, "password": PASSWORD})
                assert answer.status_code == 200, answer.text
                if role == "clerk":
                    print(f"log-in (argon2id): {(time.perf_counter() - started) * 1000:.0f} ms")
                clients[role] = client
            doc = args.documents // 2 + 1
            cold = _timed(clients["officer"], f"/api/documents/{doc}/pages/1.jpg?size=view")
            print(f"page image, first rendering (poppler): {cold:.0f} ms")
            pages = [
                ("clerk", "/inbox", "inbox (100 latest documents)"),
                ("clerk", "/inbox/live", "inbox live refresh"),
                ("officer", "/batches", f"batch list ({(args.documents + 99) // 100} batches)"),
                ("officer", f"/batches/{quote('Kệ 000')}/review", "batch page (100 documents)"),
                ("officer", f"/documents/{doc}", "document review page"),
                ("officer", f"/api/documents/{doc}/pages/1.jpg?size=view", "page image, cached"),
                ("archivist", "/search?q=ly+xuan+phuong", "search, a name on every document"),
                ("archivist", f"/search?q={quote(f'{doc + 998}/QĐ-CCTHADS')}", "search, a number"),
                ("archivist", f"/documents/{doc}/checks", "fixity check of one document"),
            ]
            print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8}")
            for role, path, label in pages:
                for _ in range(3):
                    _timed(clients[role], path)
                times = sorted(_timed(clients[role], path) for _ in range(args.repeat))
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                print(f"{label:<40} {statistics.median(times):8.1f} {p95:8.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
