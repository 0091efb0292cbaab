"""The whole journey in a real browser (Debian's Chromium driven by Playwright).

A clerk drops a scan into a new batch; the real watcher inside ``hoso serve`` reads it; a signing
officer reviews it, corrects a field, approves and signs; an archivist finds it by a name typed
without diacritics and opens it at the page of the hit. Role violations and a missing CSRF
token are refused. Each main page is saved as a screenshot under ``var/screenshots/``.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.jobs import audit
from pipeline.settings import REPO_ROOT
from pipeline.text.fold import fold
from tests.conftest import Scans
from tests.synthetic.documents import make_document
from tests.test_cli import HOSO
from tests.web_fixtures import PASSWORD, SCAN_SEED, Office, open_office

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO_ROOT / "var" / "screenshots"
pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Office, str]]:
    """``hoso serve`` (web and watcher) on a free port, against a fresh office."""
    if not CHROMIUM.is_file():
        if os.environ.get("CI") == "true":
            raise AssertionError("Chromium is missing; `make test` installs it.")
        pytest.skip("Debian's Chromium is not installed (/usr/bin/chromium); run `make test`")
    office = open_office(tmp_path)
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*HOSO, "serve", "--port", str(port)], env=office.env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
    try:
        yield office, url
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _log_in(page: object, url: str, name: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.goto(f"{url}/login")
    p.fill("#name", name)
    p.fill("#password", PASSWORD)
    p.press("#password", "Enter")  # the keyboard is enough
    p.wait_for_load_state()


def _log_out(page: object) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.click("#logout")
    p.wait_for_url("**/login")


def _wait_loaded(page: object, selector: str, timeout: float = 30) -> None:
    """Wait until an image has arrived (the pages forbid eval, so poll from here)."""
    p: sync_api.Page = page  # type: ignore[assignment]
    image = p.locator(selector).first
    deadline = time.monotonic() + timeout
    while image.evaluate("img => img.naturalWidth") == 0:
        assert time.monotonic() < deadline, f"{selector} never loaded"
        time.sleep(0.2)


def _drop_file(page: object, path: Path) -> None:
    """Drop a file on the upload area the way a file manager would."""
    p: sync_api.Page = page  # type: ignore[assignment]
    data = base64.b64encode(path.read_bytes()).decode()
    p.evaluate(
        """([data, name]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "application/pdf"}));
            const drop = document.getElementById("drop");
            drop.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
            drop.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        [data, path.name],
    )


def test_clerk_officer_archivist_journey(served: tuple[Office, str], scans: Scans) -> None:
    office, url = served
    truth = make_document(SCAN_SEED, pages=2)
    debtor = dict(truth.parties)["debtor"]
    scan = office.root / "quyết định thi hành.pdf"
    scan.write_bytes(scans.pdf().read_bytes())
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page(
            viewport={"width": 1366, "height": 768}, locale="vi-VN", accept_downloads=True
        )

        # Clerk: log in (Vietnamese by default), drop the scan into a new batch, watch it.
        page.goto(url)
        page.wait_for_url("**/login**")
        assert page.locator("h1").inner_text() == "Đăng nhập"
        _shot(page, "01-login")
        _log_in(page, url, "lan")
        page.wait_for_url("**/inbox")
        page.fill("#new_batch", "Lô tháng 11")
        _drop_file(page, scan)
        page.wait_for_selector("#upload-status.flash")
        row = page.locator('tr[data-file="quyết định thi hành.pdf"]')
        row.wait_for(timeout=30_000)
        page.wait_for_selector(
            'tr[data-file="quyết định thi hành.pdf"][data-state="ready"]', timeout=180_000
        )
        _shot(page, "02-clerk-inbox")
        # The keyboard's place survives the live refresh (every 3 s).
        page.focus('tr[data-file="quyết định thi hành.pdf"] a')
        time.sleep(3.5)
        assert page.evaluate("() => document.activeElement.closest('#live') !== null")
        # A clerk may not approve: the review pages are refused.
        page.goto(f"{url}/batches")
        assert "Bạn không có quyền làm việc này." in page.content()
        _log_out(page)

        # Officer: the batch list, the batch with thumbnails, the document.
        _log_in(page, url, "truong")
        page.wait_for_url("**/batches")
        _shot(page, "03-officer-batches")
        page.click("text=Mở")
        page.wait_for_selector("img[src*='size=thumb']")
        _wait_loaded(page, ".card .thumb img")
        _shot(page, "04-officer-batch")
        page.click(".card a.thumb")
        page.wait_for_selector("#page-image")
        _wait_loaded(page, "#page-image")
        doc_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
        _shot(page, "05-officer-document")
        page.fill("#f-issuer", "Chi cục Thi hành án dân sự huyện Lục Ngạn")
        page.click("#save-fields")
        page.wait_for_selector("p.flash")
        assert page.locator("p.flash").inner_text() == "Đã lưu chỉnh sửa."
        assert page.input_value("#f-issuer") == "Chi cục Thi hành án dân sự huyện Lục Ngạn"
        if not page.locator("a[href='/cases/THA-2021-0042']").count():
            page.fill("input[name=case]", "THA-2021-0042")
            page.click("text=Chọn")
            page.wait_for_selector("a[href='/cases/THA-2021-0042']")
        # Approve and sign the batch; the progress page follows the signing to its end.
        page.go_back()
        page.goto(f"{url}/batches")
        page.click("text=Mở")
        page.click("#approve")
        page.wait_for_selector("#task-state[data-finished=yes]", timeout=120_000)
        assert "Đã ký xong: 1 đã ký, 0 bị từ chối" in page.inner_text("#task-state")
        _shot(page, "06-officer-signed")
        _log_out(page)

        # Archivist: search without diacritics, open the hit, see the signature check.
        _log_in(page, url, "kho")
        page.wait_for_url("**/search")
        page.fill("#q", fold(debtor))
        page.press("#q", "Enter")
        page.wait_for_selector("ol.results li")
        first = page.locator("ol.results li a.hit").first
        assert "mark" in page.locator("ol.results li .snippet").first.inner_html()
        _shot(page, "07-archivist-search")
        first.click()
        page.wait_for_selector("#checks li")
        assert page.url.startswith(f"{url}/documents/{doc_id}")
        checks = page.locator("#checks li")
        assert checks.count() == 3 and page.locator("#checks li.bad").count() == 0
        with page.expect_download() as download:
            page.click("#download-signed")
        signed = Path(download.value.path())
        assert download.value.suggested_filename.endswith(".v1.signed.pdf")
        assert signed.read_bytes().startswith(b"%PDF") and b"/ByteRange" in signed.read_bytes()
        _shot(page, "08-archivist-document")
        page.click("a[href='/cases/THA-2021-0042']")
        page.wait_for_selector("h1")
        assert page.locator(f"a[href='/documents/{doc_id}']").count() == 1
        _shot(page, "09-archivist-case")

        # An archivist cannot upload; a change without the CSRF token is refused.
        page.goto(f"{url}/inbox")
        assert "Bạn không có quyền làm việc này." in page.content()
        forged = page.request.post(f"{url}/documents/{doc_id}/case", form={"case": "THA-2021-0042"})
        assert forged.status == 403 and "CSRF" in forged.text()
        token = page.get_attribute("body", "data-csrf") or ""
        wrong_role = page.request.post(
            f"{url}/inbox/upload",
            multipart={
                "new_batch": "x",
                "files": {"name": "a.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"},
            },
            headers={"X-CSRF-Token": token},
        )
        assert wrong_role.status == 403
        # English on request.
        page.click("text=English")
        page.wait_for_selector("text=Log out")
        _log_out(page)

        # Admin: the audit log, whole, with every step of the journey on it.
        _log_in(page, url, "quan")
        page.goto(f"{url}/audit")
        assert "✓" in page.inner_text("main p")
        actions = set(page.locator("tbody td:nth-child(3)").all_inner_texts())
        assert {"upload", "ingest", "field.review", "approve", "sign", "download"} <= actions
        _shot(page, "10-admin-audit")
        browser.close()

    db = office.database()
    edits = audit.list_entries(db, action="field.review", subject=f"document:{doc_id}")
    signed = audit.list_entries(db, action="sign", subject=f"document:{doc_id}")
    uploads = audit.list_entries(db, action="upload")
    db.close()
    assert edits and edits[0]["actor"] == "truong"
    assert signed and signed[0]["actor"] == "truong"
    assert uploads and uploads[0]["actor"] == "lan"
    assert sorted(p.name for p in SHOTS.glob("[01]*.png"))[:10] == [
        "01-login.png",
        "02-clerk-inbox.png",
        "03-officer-batches.png",
        "04-officer-batch.png",
        "05-officer-document.png",
        "06-officer-signed.png",
        "07-archivist-search.png",
        "08-archivist-document.png",
        "09-archivist-case.png",
        "10-admin-audit.png",
    ]
