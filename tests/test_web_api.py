"""The JSON API: every endpoint refuses strangers and wrong roles; the whole review path works."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pipeline.jobs import accounts, approval, audit
from pipeline.web.app import create_app
from pipeline.web.i18n import VI
from tests.conftest import Scans, postgres_schema
from tests.synthetic.documents import make_document
from tests.web_fixtures import (
    BATCH,
    PASSWORD,
    ROLE_USER,
    SCAN_SEED,
    Office,
    open_office,
    process_scans,
)

EVERYONE = {"clerk", "officer", "archivist", "admin"}
READERS = {"archivist", "officer", "admin"}
EDITORS = {"clerk", "officer", "admin"}
OFFICERS = {"officer", "admin"}
# Every API endpoint and who may call it; a new endpoint must be added here (checked below).
ROUTES: list[tuple[str, str, set[str]]] = [
    ("DELETE", "/api/session", EVERYONE),
    ("GET", "/api/me", EVERYONE),
    ("GET", "/api/inbox", {"clerk", "officer", "admin"}),
    ("POST", "/api/uploads", {"clerk", "admin"}),
    ("POST", "/api/documents/{document_id}/retry", {"clerk", "officer", "admin"}),
    ("POST", "/api/documents/{document_id}/resubmit", {"clerk", "admin"}),
    ("GET", "/api/batches", OFFICERS),
    ("GET", "/api/batches/{batch:path}/documents", OFFICERS),
    ("POST", "/api/batches/{batch:path}/return", OFFICERS),
    ("POST", "/api/batches/{batch:path}/approve", OFFICERS),
    ("GET", "/api/tasks/{task_id}", OFFICERS),
    ("GET", "/api/documents/{document_id}", EVERYONE),
    ("PATCH", "/api/documents/{document_id}/fields", EDITORS),
    ("POST", "/api/documents/{document_id}/case", EDITORS),
    ("POST", "/api/documents/{document_id}/case/accept", EDITORS),
    ("GET", "/api/documents/{document_id}/verify", READERS),
    ("GET", "/api/documents/{document_id}/files/{kind}", READERS),
    ("GET", "/api/documents/{document_id}/pages/{page}.jpg", EVERYONE),
    ("GET", "/api/search", READERS),
    ("GET", "/api/cases/{code:path}", READERS),
    ("GET", "/api/audit", {"admin"}),
]
SAMPLE = {
    "document_id": "1",
    "batch:path": "L%C3%B4%201",
    "task_id": "nope",
    "kind": "original",
    "page": "1",
    "code:path": "THA-2021-0042",
}


def concrete(path: str) -> str:
    for key, value in SAMPLE.items():
        path = path.replace("{" + key + "}", value)
    return path


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scans: Scans
) -> Iterator[Office]:
    """One office per backend: the same pages and API on SQLite and on PostgreSQL."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema()) if request.param == "postgresql" else ""
        yield _filled_office(tmp_path_factory.mktemp("office"), url, scans)


def _filled_office(root: Path, database_url: str, scans: Scans) -> Office:
    office = open_office(root, database_url)
    broken = office.root / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    files = {
        "quyet-dinh.pdf": scans.pdf(),
        "fax.tif": scans.tiff_g4(),
        "anh.jpg": scans.jpeg(),
        "hong.pdf": broken,
        "guong.png": scans.mirrored(),
    }
    process_scans(office, files)
    return office


@pytest.fixture(scope="module")
def app(office: Office) -> Iterator[Any]:
    db = office.database()
    yield create_app(office.settings, db)
    db.close()


def client_for(app: Any, role: str | None) -> TestClient:
    client = TestClient(app)
    if role is not None:
        answer = client.post("/api/session", json={"name": ROLE_USER[role], "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def call(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    return client.request(method, concrete(path), **kwargs)


def test_the_route_table_lists_every_endpoint(app: Any) -> None:
    spec = TestClient(app).get("/api/openapi.json").json()
    served = {(m.upper(), path) for path, item in spec["paths"].items() for m in item}
    listed = {(m, p.replace(":path", "")) for m, p, _ in ROUTES}
    assert served - {("POST", "/api/session"), ("GET", "/api/health")} == listed


def test_health_is_open_to_monitoring_and_says_only_counts(app: Any) -> None:
    answer = TestClient(app).get("/api/health")
    assert answer.status_code in (200, 503), answer.text
    body = answer.json()
    assert set(body) == {
        "ok",
        "database",
        "waiting",
        "scheduled",
        "leased",
        "oldest_waiting_seconds",
        "workers",
    }
    assert body["database"] is True and body["ok"] is (answer.status_code == 200)


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in ROUTES])
def test_strangers_are_refused(app: Any, method: str, path: str) -> None:
    answer = call(TestClient(app), method, path)
    assert answer.status_code == 401, answer.text
    assert answer.json() == {"error": "Log in first."}


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
def test_wrong_roles_are_refused(app: Any, method: str, path: str, allowed: set[str]) -> None:
    for role in sorted(EVERYONE - allowed):
        answer = call(client_for(app, role), method, path, json={})
        assert answer.status_code == 403, (role, answer.text)
        assert "this needs the role" in answer.json()["error"]


def test_changes_without_the_csrf_token_are_refused(app: Any) -> None:
    officer = client_for(app, "officer")
    del officer.headers["X-CSRF-Token"]
    answer = officer.patch("/api/documents/1/fields", json={"number": "1/QĐ-CCTHADS"})
    assert answer.status_code == 403 and "CSRF" in answer.json()["error"]
    answer = officer.post(
        "/api/batches/L%C3%B4%201/approve", json={}, headers={"X-CSRF-Token": "forged"}
    )
    assert answer.status_code == 403
    assert officer.get("/api/batches").status_code == 200  # reading needs no token


def test_failed_log_ins_are_limited_and_audited(app: Any, office: Office) -> None:
    db = office.database()
    approval.add_user(db, "thu", "archivist", "test")
    accounts.set_password(db, "thu", PASSWORD, "test")
    client = TestClient(app)
    for _ in range(3):
        answer = client.post("/api/session", json={"name": "thu", "password": "sai"})
        assert answer.status_code == 401
        assert answer.json()["error"] == "The user name or the password is wrong."
    answer = client.post("/api/session", json={"name": "thu", "password": PASSWORD})
    assert answer.status_code == 429 and "Wait 1 minute " in answer.json()["error"]
    failed = audit.list_entries(db, action="login.failed", subject="user:thu")
    db.close()
    assert len(failed) == 3
    # Another user is not held back by thu's failures; an unknown name gets the same refusal.
    assert client.post("/api/session", json={"name": "ai", "password": "x"}).status_code == 401
    assert client_for(app, "clerk").get("/api/me").json()["role"] == "clerk"


def test_cookie_is_http_only_and_same_site(app: Any) -> None:
    answer = TestClient(app).post("/api/session", json={"name": "lan", "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "hoso_session=" in cookie


def test_clerk_uploads_watches_and_retries(app: Any, office: Office) -> None:
    clerk = client_for(app, "clerk")
    inbox = clerk.get("/api/inbox").json()
    failed = [d for d in inbox["documents"] if d["file"] == "hong.pdf"]
    assert failed and failed[0]["state"] == "failed" and failed[0]["error"]
    answer = clerk.post(
        "/api/uploads",
        data={"batch": "Lô 2"},
        files=[("files", ("bản quét.pdf", io.BytesIO(b"%PDF-1.4 upload"), "application/pdf"))],
    )
    assert answer.status_code == 200, answer.text
    assert (office.root / "inbox" / "Lô 2" / "bản quét.pdf").read_bytes() == b"%PDF-1.4 upload"
    waiting = clerk.get("/api/inbox").json()["waiting"]
    assert {"file": "bản quét.pdf", "batch": "Lô 2"}.items() <= waiting[0].items()
    bad = clerk.post("/api/uploads", data={"batch": "../x"}, files=[("files", ("a.pdf", b"x"))])
    assert bad.status_code == 422 and "batch name" in bad.json()["error"]
    retried = clerk.post(f"/api/documents/{failed[0]['id']}/retry")
    assert retried.status_code == 200
    again = clerk.post(f"/api/documents/{failed[0]['id']}/retry")
    assert again.status_code == 403 and "not failed" in again.json()["error"]
    db = office.database()
    (upload,) = audit.list_entries(db, action="upload")
    db.close()
    assert upload["actor"] == "lan" and upload["subject"] == "inbox:Lô 2/bản quét.pdf"


def _document(client: TestClient, name: str = "quyet-dinh.pdf") -> dict[str, Any]:
    docs = client.get(f"/api/batches/{BATCH}/documents").json()["documents"]
    return next(d for d in docs if d["file"] == name)


def test_pages_read_badly_and_missing_fields_are_flagged_before_approval(
    app: Any, office: Office
) -> None:
    officer = client_for(app, "officer")
    mirrored = _document(officer, "guong.png")
    flags = {f["code"] for f in mirrored["flags"]}
    assert "page_unreadable" in flags and mirrored["warnings"] >= 1
    unreadable = next(f for f in mirrored["flags"] if f["code"] == "page_unreadable")
    assert unreadable["page"] == 1 and unreadable["values"]["reasons"]
    page = officer.get(f"/batches/{BATCH}/review")
    assert page.status_code == 200
    html = page.text
    # In Vietnamese, with the reason, and the document listed among those to check.
    assert "Trang 1 không đọc được" in html and f'href="#doc-{mirrored["id"]}"' in html
    # Every page of a multi-page document is shown as it will be signed.
    two_pages = _document(officer)
    assert two_pages["flags"] == [] and two_pages["warnings"] == 0
    for n in (1, 2):
        assert f"/api/documents/{two_pages['id']}/pages/{n}.jpg?size=thumb" in html
    detail = officer.get(f"/api/documents/{two_pages['id']}").json()
    assert [p["quality"]["verdict"] for p in detail["page_details"]] == ["ok", "ok"]
    assert [p["turned"] for p in detail["page_details"]] == [0, 0]
    document_page = officer.get(f"/documents/{mirrored['id']}").text
    assert 'id="flags"' in document_page and "đọc kém" in document_page


def test_officer_reviews_corrects_returns_approves_and_signs(
    app: Any, office: Office, scans: Scans
) -> None:
    officer, clerk, reader = (client_for(app, r) for r in ("officer", "clerk", "archivist"))
    doc_id = _document(officer)["id"]
    doc = officer.get(f"/api/documents/{doc_id}").json()
    truth = make_document(SCAN_SEED, pages=2)
    assert doc["state"] == "ready" and doc["pages"] == 2
    assert all("marks" in p for p in doc["page_details"])
    image = officer.get(f"/api/documents/{doc_id}/pages/1.jpg?size=thumb")
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
    assert officer.get(f"/api/documents/{doc_id}/pages/9.jpg").status_code == 404

    # The officer corrects the number: a review correction, audited, not authorship.
    answer = officer.patch(f"/api/documents/{doc_id}/fields", json={"number": "888/QĐ-CCTHADS"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed"]["number"][1] == "888/QĐ-CCTHADS"
    invalid = officer.patch(f"/api/documents/{doc_id}/fields", json={"date": "hôm qua"})
    assert invalid.status_code == 422
    answer = officer.patch(f"/api/documents/{doc_id}/fields", json={"number": truth.number})
    assert answer.status_code == 200
    db = office.database()
    reviews = audit.list_entries(db, action="field.review", subject=f"document:{doc_id}")
    db.close()
    assert len(reviews) == 2 and reviews[0]["actor"] == "truong"

    assert officer.post(f"/api/documents/{doc_id}/case", json={"case": "THA-0"}).status_code == 404
    linked = officer.post(f"/api/documents/{doc_id}/case", json={"case": "THA-2021-0042"})
    assert linked.json()["case"] == "THA-2021-0042"

    # Returned with a reason, resubmitted by the clerk, then approved and signed.
    returned = officer.post(
        f"/api/batches/{BATCH}/return", json={"reason": "Thiếu trang 3", "documents": [doc_id]}
    )
    assert returned.json()["returned"] == [doc_id]
    assert officer.post(f"/api/batches/{BATCH}/return", json={"reason": " "}).status_code == 403
    assert _document(officer)["state"] == "returned" and _document(officer)["note"]
    assert clerk.post(f"/api/documents/{doc_id}/resubmit").status_code == 200

    # The page's form leaves the photo out, and the scan flagged unreadable: two documents,
    # signed by a pool of processes started from the server's thread; the progress page
    # follows them.
    fax_id, photo_id = _document(officer, "fax.tif")["id"], _document(officer, "anh.jpg")["id"]
    unreadable_id = _document(officer, "guong.png")["id"]
    form = {
        "exclude": [str(photo_id), str(unreadable_id)],
        "csrf_token": officer.headers["X-CSRF-Token"],
    }
    page = officer.post(f"/batches/{BATCH}/approve", data=form, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/tasks/")
    task = page.headers["location"].split("/")[2].split("?")[0]
    app.state.web.tasks.wait(task, 120)
    progress = officer.get(f"/api/tasks/{task}").json()
    assert progress["finished"] and not progress["error"], progress
    assert progress["percent"] == 100 and progress["done"] == progress["total"] == 2
    assert sorted(s["id"] for s in progress["result"]["signed"]) == sorted([doc_id, fax_id])
    assert sorted(progress["result"]["excluded"]) == sorted([photo_id, unreadable_id])
    assert "Đã ký xong" in officer.get(f"/tasks/{task}/progress").text
    assert client_for(app, "admin").get(f"/api/tasks/{task}").status_code == 200
    assert client_for(app, "admin").get(f"/tasks/{task}").status_code == 200
    # Through the API, the photo left behind.
    started = officer.post(f"/api/batches/{BATCH}/approve", json={"exclude": [unreadable_id]})
    assert started.status_code == 202
    done = app.state.web.tasks.wait(started.json()["task"], 120)
    assert done is not None and [s["id"] for s in done.result["signed"]] == [photo_id]

    checks = reader.get(f"/api/documents/{doc_id}/verify").json()
    assert {c["kind"] for c in checks} == {"original", "searchable", "signed v1"}
    assert all(c["problem"] == "" for c in checks)
    signed = reader.get(f"/api/documents/{doc_id}/files/signed")
    assert signed.status_code == 200 and signed.content.startswith(b"%PDF")
    assert signed.headers["content-disposition"].startswith("attachment;")
    assert "v1.signed.pdf" in signed.headers["content-disposition"]
    shown = reader.get(f"/api/documents/{doc_id}/files/signed?inline=true")
    assert shown.headers["content-disposition"].startswith("inline;")
    original = reader.get(f"/api/documents/{doc_id}/files/original")
    assert original.content == scans.pdf().read_bytes()  # the very bytes the clerk scanned
    db = office.database()
    downloads = audit.list_entries(db, action="download")
    db.close()
    assert [d["details"]["kind"] for d in downloads] == ["original", "signed", "signed"]
    late = officer.patch(f"/api/documents/{doc_id}/fields", json={"number": "1/QĐ"})
    assert late.status_code == 403 and "archived" in late.json()["error"]

    # The archivist finds it by a party's name typed without diacritics.
    debtor = dict((r, n) for r, n in truth.parties)["debtor"]
    from pipeline.text.fold import fold

    hits = reader.get("/api/search", params={"q": fold(debtor)}).json()
    assert hits and hits[0]["id"] == doc_id
    assert reader.get("/api/search", params={"q": " "}).status_code == 422
    case = reader.get("/api/cases/THA-2021-0042").json()
    assert [d["id"] for d in case["documents"]] == [doc_id]
    log = client_for(app, "admin").get("/api/audit").json()
    assert log["whole"] and log["entries"] > 10


def test_vietnamese_has_every_text_the_templates_use() -> None:
    import re

    templates = Path(__file__).parent.parent / "pipeline" / "web" / "templates"
    used = set()
    for page in templates.glob("*.html"):
        used |= set(re.findall(r'_\("([^"]+)"\)', page.read_text(encoding="utf-8")))
        used |= set(re.findall(r"_\('([^']+)'\)", page.read_text(encoding="utf-8")))
    from pipeline.web.app import _KINDS

    used |= {headline for _, _, headline in _KINDS} | {"Something went wrong."}
    missing = sorted(text for text in used if text not in VI)
    assert not missing


# The pages: the same rules, answered as pages (a stranger is sent to the log-in form).
PAGES: list[tuple[str, str, set[str]]] = [
    ("GET", "/inbox", {"clerk", "officer", "admin"}),
    ("GET", "/inbox/live", {"clerk", "officer", "admin"}),
    ("POST", "/inbox/upload", {"clerk", "admin"}),
    ("POST", "/documents/{document_id}/retry", {"clerk", "officer", "admin"}),
    ("POST", "/documents/{document_id}/resubmit", {"clerk", "admin"}),
    ("GET", "/batches", OFFICERS),
    ("GET", "/batches/{batch:path}/review", OFFICERS),
    ("POST", "/batches/{batch:path}/return", OFFICERS),
    ("POST", "/batches/{batch:path}/approve", OFFICERS),
    ("GET", "/tasks/{task_id}", OFFICERS),
    ("GET", "/tasks/{task_id}/progress", OFFICERS),
    ("GET", "/documents/{document_id}", EVERYONE),
    ("POST", "/documents/{document_id}/fields", EDITORS),
    ("POST", "/documents/{document_id}/case", EDITORS),
    ("POST", "/documents/{document_id}/case/accept", EDITORS),
    ("GET", "/documents/{document_id}/checks", READERS),
    ("GET", "/search", READERS),
    ("GET", "/cases/{code:path}", READERS),
    ("GET", "/audit", {"admin"}),
    ("POST", "/logout", EVERYONE),
    ("POST", "/language", EVERYONE),
]
OPEN_PAGES = {("GET", "/"), ("GET", "/login"), ("POST", "/login")}


def test_the_page_table_lists_every_page() -> None:
    from pipeline.web import pages

    served = {
        (method, route.path)
        for route in pages.router.routes
        for method in getattr(route, "methods", set()) - {"HEAD"}
    }
    assert served - OPEN_PAGES == {(m, p) for m, p, _ in PAGES}


@pytest.mark.parametrize(("method", "path", "allowed"), PAGES)
def test_pages_refuse_strangers_and_wrong_roles(
    app: Any, method: str, path: str, allowed: set[str]
) -> None:
    stranger = call(TestClient(app), method, path, follow_redirects=False)
    if method == "GET":
        assert stranger.status_code == 303
        assert stranger.headers["location"].startswith("/login?next=%2F")
    else:
        assert stranger.status_code == 401 and "Bạn chưa đăng nhập." in stranger.text
    for role in sorted(EVERYONE - allowed):
        answer = call(client_for(app, role), method, path, data={}, follow_redirects=False)
        assert answer.status_code == 403, (role, answer.text)
        assert "Bạn không có quyền làm việc này." in answer.text


def test_forms_without_the_csrf_token_are_refused(app: Any) -> None:
    officer = client_for(app, "officer")
    token = officer.headers.pop("X-CSRF-Token")
    for path in ("/documents/1/case", "/batches/L%C3%B4%201/approve", "/logout"):
        answer = officer.post(path, data={"case": "THA-2021-0042"}, follow_redirects=False)
        assert answer.status_code == 403 and "CSRF" in answer.text
    answer = officer.post(
        "/language", data={"lang": "en", "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303  # the token in the form is enough
    assert "Log out" in officer.get("/batches").text


def test_the_log_in_form_is_guarded_and_redirects_home(app: Any) -> None:
    client = TestClient(app)
    form = {"name": "truong", "password": PASSWORD, "csrf_token": "x"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 403
    page = client.get("/login?next=/search")
    token = page.cookies.get("hoso_login") or client.cookies.get("hoso_login")
    assert token and f'value="{token}"' in page.text
    wrong = client.post("/login", data={**form, "csrf_token": token, "password": "sai"})
    assert wrong.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text
    answer = client.post(
        "/login",
        data={**form, "csrf_token": token, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.get("/", follow_redirects=False).headers["location"] == "/batches"
    csp = client.get("/batches").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp


def test_error_sentences_people_meet_are_in_vietnamese() -> None:
    from pipeline.errors import HosoError
    from pipeline.extract.corrections import corrected
    from pipeline.extract.model import Extraction, Found
    from pipeline.jobs import uploads
    from pipeline.web.i18n import sentence

    def message_of(action: Any) -> str:
        with pytest.raises(HosoError) as caught:
            action()
        return caught.value.message

    empty = Extraction(Found(""), Found(""), Found(()), Found(""), Found(""), Found(""))
    seen = [
        message_of(lambda: uploads.check_batch_name("../x")),
        message_of(lambda: corrected(empty, {"date": "hôm qua"})),
        message_of(lambda: corrected(empty, {"number": "hai trăm"})),
        message_of(lambda: corrected(empty, {}, [("debtor", " ")])),
    ]
    for message in seen:
        assert sentence(message, "en") == message
        translated = sentence(message, "vi")
        assert translated != message, message
    assert sentence("lan is a clerk; this needs the role officer or admin.", "vi") == (
        "lan là văn thư; việc này cần vai trò cán bộ ký duyệt hoặc quản trị."
    )
    assert sentence("Something nobody translated.", "vi") == "Something nobody translated."


def test_an_upload_too_large_is_refused_while_it_arrives(office: Office) -> None:
    settings = office.settings.model_copy(
        update={"web": office.settings.web.model_copy(update={"max_request_mb": 1})}
    )
    db = office.database()
    small = create_app(settings, db)
    clerk = client_for(small, "clerk")
    big = b"%PDF-1.4 " + b"0" * (2 << 20)
    files = [("files", ("to.pdf", big, "application/pdf"))]
    answer = clerk.post("/api/uploads", data={"batch": "Lô lớn"}, files=files)
    assert answer.status_code == 413, answer.text
    assert "larger than 1 MB" in answer.json()["error"]
    page = clerk.post("/inbox/upload", data={"new_batch": "Lô lớn"}, files=files)
    assert page.status_code == 413 and "lớn hơn 1 MB" in page.text
    db.close()
    assert not (office.root / "inbox" / "Lô lớn").exists()


def test_one_file_over_the_upload_limit_and_a_pasted_page_as_a_search_answer_413(
    office: Office,
) -> None:
    settings = office.settings.model_copy(
        update={"web": office.settings.web.model_copy(update={"max_upload_mb": 1})}
    )
    db = office.database()
    small = create_app(settings, db)
    clerk = client_for(small, "clerk")
    big = b"%PDF-1.4 " + b"0" * (3 << 19)  # 1.5 MB: within the request, over the file limit
    files = [("files", ("big.pdf", big, "application/pdf"))]
    answer = clerk.post("/api/uploads", data={"batch": "Lô một"}, files=files)
    assert answer.status_code == 413, answer.text
    assert "larger than 1 MB" in answer.json()["error"]
    archivist = client_for(small, "archivist")
    started = time.monotonic()
    answer = archivist.get("/api/search", params={"q": "thi hành án " * 600})  # 7,200 chars
    assert answer.status_code == 413, answer.text
    assert "at most 300 characters" in answer.json()["error"]
    assert time.monotonic() - started < 2
    page = archivist.get("/search", params={"q": "x " * 40})
    assert page.status_code == 413 and "tối đa 300 ký tự" in page.text
    db.close()


def test_a_banner_and_health_say_when_processing_has_stopped(app: Any, office: Office) -> None:
    from pipeline.jobs import work

    db = office.database()
    before = work.queue_state(db).stalled  # earlier tests may have queued work already
    with db.session() as session:
        work.enqueue(session, work.PROCESS, 999_999)  # waiting, and no watcher runs
    try:
        page = client_for(app, "clerk").get("/inbox")
        assert 'id="stalled"' in page.text and "Việc xử lý đã dừng" in page.text
        health = TestClient(app).get("/api/health")
        assert health.status_code == 503 and health.json()["waiting"] >= 1
    finally:
        with db.session() as session:
            work.close_open(session, work.PROCESS, [999_999], "test over")
        db.close()
    assert ('id="stalled"' in client_for(app, "clerk").get("/inbox").text) is before


def test_a_slow_upload_does_not_hold_up_other_requests(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing and copying a large scan run off the event loop (a fake slow store stands in
    for the large file; the real upload path is tested above)."""
    import asyncio
    import time

    import httpx

    from pipeline.jobs import uploads

    def slow_store(*args: Any, **kwargs: Any) -> dict[str, Any]:
        time.sleep(1.5)  # blocking, as hashing a 500 MB scan is
        return {"file": "big.pdf"}

    monkeypatch.setattr(uploads, "upload_file", slow_store)

    async def race() -> tuple[float, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            login = await client.post(
                "/api/session", json={"name": ROLE_USER["clerk"], "password": PASSWORD}
            )
            token = login.json()["csrf_token"]
            start = time.monotonic()

            async def upload() -> float:
                answer = await client.post(
                    "/api/uploads",
                    data={"batch": "Kệ chậm"},
                    files={"files": ("big.pdf", b"%PDF-1.4", "application/pdf")},
                    headers={"X-CSRF-Token": token},
                )
                assert answer.status_code == 200, answer.text
                return time.monotonic() - start

            async def me() -> float:
                await asyncio.sleep(0.3)  # asked while the upload is being stored
                assert (await client.get("/api/me")).status_code == 200
                return time.monotonic() - start

            slow, quick = await asyncio.gather(upload(), me())
            return slow, quick

    slow, quick = asyncio.run(race())
    assert slow >= 1.5 and quick < 1.2, (slow, quick)
