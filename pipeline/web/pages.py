"""Server-rendered pages for each role; forms post back here, htmx refreshes live parts.

Every change goes through the same jobs functions as the API and the CLI.
"""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from pipeline.errors import HosoError, InvalidInput, NotAllowed
from pipeline.extract.corrections import TYPABLE_CASE_TYPES
from pipeline.extract.model import DOC_TYPES, ROLES
from pipeline.jobs import (
    accounts,
    approval,
    audit,
    cases,
    corrections,
    fixity,
    linking,
    queries,
    searching,
    uploads,
    work,
)
from pipeline.jobs.accounts import Account
from pipeline.review import Flag, message
from pipeline.search.index import Filters
from pipeline.web.api import inbox_view, start_session, start_signing
from pipeline.web.i18n import sentence, translator
from pipeline.web.security import (
    ADMINS,
    CLERKS,
    EDITORS,
    EVERYONE,
    INTAKE,
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    OFFICERS,
    READERS,
    SESSION_COOKIE,
    allow,
    language,
    optional_account,
    web,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
HOME = {"clerk": "/inbox", "officer": "/batches", "archivist": "/search", "admin": "/batches"}


def highlight(snippet: str) -> Markup:
    """A search snippet as HTML: escaped, with the hits (in [brackets]) marked."""
    escaped = html.escape(snippet)
    return Markup(re.sub(r"\[([^\]]*)\]", r"<mark>\1</mark>", escaped))


templates.env.filters["highlight"] = highlight
templates.env.filters["urlquote"] = lambda value: quote(str(value), safe="")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page in the user's language, with what every page needs."""
    lang = language(request)
    account = getattr(request.state, "account", None)
    base = {
        "account": account,
        "_": translator(lang),
        "lang": lang,
        "csrf": account.csrf if isinstance(account, Account) else "",
        "home": HOME,
        "flash": request.query_params.get("done", ""),
        "flag_text": lambda flag: message(Flag.from_dict(flag), lang),
        "is_warning": lambda flag: Flag.from_dict(flag).warning,
        "stalled": isinstance(account, Account) and _stalled(request),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _stalled(request: Request) -> bool:
    """Whether documents wait and no watcher has been seen for a minute (shown as a banner)."""
    try:
        return work.stalled(web(request).db)
    except HosoError:
        return False  # the page itself will say what is wrong with the database


def error_page(request: Request, error: HosoError, title: str, status: int) -> HTMLResponse:
    """An error as a page: a short headline and the plain sentence, in the user's language."""
    lang = language(request)
    message = sentence(error.message, lang)
    if request.headers.get("hx-request"):
        text = f"{translator(lang)(title)} {message}"
        return HTMLResponse(
            f'<p class="error" role="alert">{html.escape(text)}</p>', status_code=status
        )
    return render(request, "error.html", {"title": title, "message": message}, status)


def back(url: str, done: str = "") -> RedirectResponse:
    """After a form: back to a page (303, so reloading does not post again)."""
    if done:
        url += ("&" if "?" in url else "?") + urlencode({"done": done})
    return RedirectResponse(url, status_code=303)


@router.get("/")
def index(request: Request) -> Response:
    """Each role's own first page."""
    account = optional_account(request)
    if account is None:
        return back("/login")
    return back(HOME.get(account.role, "/search"))


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The log-in form, guarded by a pre-session token against forged log-ins."""
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": next, "login_token": token, "error": ""})
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password; on success, go where the user was going."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise NotAllowed("The log-in form had expired. Reload the page and log in again.")
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = back(target)
    try:
        start_session(request, response, name, password)
    except HosoError as exc:
        page = render(
            request,
            "login.html",
            {
                "next": target,
                "login_token": expected,
                "error": sentence(exc.message, language(request)),
                "name": name,
            },
            401,
        )
        return page
    return response


@router.post("/logout")
def logout(request: Request, _: Annotated[Account, Depends(allow(*EVERYONE))]) -> Response:
    """Close the session."""
    accounts.log_out(web(request).db, request.cookies.get(SESSION_COOKIE, ""))
    response = back("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def set_language(
    request: Request,
    account: Annotated[Account, Depends(allow(*EVERYONE))],
    lang: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Switch the interface language (remembered for the user)."""
    accounts.set_language(web(request).db, account.name, lang)
    response = back(next if next.startswith("/") and not next.startswith("//") else "/")
    response.set_cookie(LANGUAGE_COOKIE, lang, samesite="lax", path="/", max_age=365 * 86400)
    return response


# --- clerk -------------------------------------------------------------------------------


@router.get("/inbox")
def inbox(request: Request, _: Annotated[Account, Depends(allow(*INTAKE))]) -> Response:
    """Upload scans and watch what becomes of them."""
    w = web(request)
    context = inbox_view(request)
    context["batches"] = uploads.batch_names(w.db)
    context["max_mb"] = w.settings.web.max_upload_mb
    return render(request, "inbox.html", context)


@router.get("/inbox/live")
def inbox_live(request: Request, _: Annotated[Account, Depends(allow(*INTAKE))]) -> Response:
    """The part of the inbox page htmx refreshes every few seconds."""
    return render(request, "inbox_live.html", inbox_view(request))


@router.post("/inbox/upload")
async def upload(
    request: Request,
    account: Annotated[Account, Depends(allow(*CLERKS))],
    files: Annotated[list[UploadFile], File()],
    batch: Annotated[str, Form()] = "",
    new_batch: Annotated[str, Form()] = "",
) -> Response:
    """Put uploaded scans in the inbox, in a new or an existing batch."""
    w = web(request)
    chosen = new_batch.strip() or batch.strip()
    if not chosen:
        raise InvalidInput("Choose a batch or type the name of a new one.")

    def store() -> list[str]:  # hashing and copying: off the event loop
        return [
            uploads.upload_file(w.db, w.settings, account.name, chosen, f.filename, f.file)["file"]
            for f in files
            if f.filename
        ]

    if not await run_in_threadpool(store):
        raise InvalidInput("Choose at least one file to upload.")
    if request.headers.get("hx-request"):
        return await run_in_threadpool(
            lambda: render(request, "inbox_live.html", inbox_view(request))
        )
    return back("/inbox", "Uploaded")


@router.post("/documents/{document_id}/retry")
def retry(
    document_id: int,
    request: Request,
    account: Annotated[Account, Depends(allow(*INTAKE))],
) -> Response:
    """Queue a failed document again."""
    uploads.retry(web(request).db, document_id, account.name)
    if request.headers.get("hx-request"):
        return render(request, "inbox_live.html", inbox_view(request))
    return back("/inbox", "Queued again.")


@router.post("/documents/{document_id}/resubmit")
def resubmit(
    document_id: int, request: Request, account: Annotated[Account, Depends(allow(*CLERKS))]
) -> Response:
    """Send a returned document for review again."""
    uploads.resubmit(web(request).db, document_id, account.name)
    return back(f"/documents/{document_id}", "Sent for review again.")


# --- signing officer ---------------------------------------------------------------------


@router.get("/batches")
def batches(request: Request, _: Annotated[Account, Depends(allow(*OFFICERS))]) -> Response:
    """Batches with documents waiting for review first."""
    rows = approval.list_batches(web(request).db)
    rows.sort(key=lambda r: (-r["states"].get("ready", 0), r["batch"]))
    return render(request, "batches.html", {"batches": rows})


@router.get("/batches/{batch:path}/review")
def batch_page(
    batch: str, request: Request, _: Annotated[Account, Depends(allow(*OFFICERS))]
) -> Response:
    """A batch's documents with thumbnails, for review, approval and signing."""
    data = approval.show_batch(web(request).db, batch)
    return render(request, "batch.html", {"batch": data})


@router.post("/batches/{batch:path}/return")
def return_documents(
    batch: str,
    request: Request,
    account: Annotated[Account, Depends(allow(*OFFICERS))],
    reason: Annotated[str, Form()],
    document: Annotated[list[int] | None, Form()] = None,
    next: Annotated[str, Form()] = "",
) -> Response:
    """Send documents back to the clerks with the reason."""
    approval.return_documents(web(request).db, batch, account.name, document or [], reason)
    target = next if next.startswith("/documents/") else f"/batches/{quote(batch)}/review"
    return back(target, "Returned to the clerks.")


@router.post("/batches/{batch:path}/approve")
def approve(
    batch: str,
    request: Request,
    account: Annotated[Account, Depends(allow(*OFFICERS))],
    exclude: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Approve the batch (less the documents left out) and sign in the background."""
    task = start_signing(request, batch, account.name, exclude or [])
    return back(f"/tasks/{task}?batch={quote(batch)}")


def _task_context(request: Request, task_id: str, account: Account) -> dict[str, Any]:
    found = web(request).tasks.visible(task_id, account.name, admin=account.role == "admin")
    return {"task": found, "batch": request.query_params.get("batch", "")}


@router.get("/tasks/{task_id}")
def task_page(
    task_id: str, request: Request, account: Annotated[Account, Depends(allow(*OFFICERS))]
) -> Response:
    """Signing progress; the bar refreshes itself until signing ends."""
    return render(request, "task.html", _task_context(request, task_id, account))


@router.get("/tasks/{task_id}/progress")
def task_progress(
    task_id: str, request: Request, account: Annotated[Account, Depends(allow(*OFFICERS))]
) -> Response:
    """The progress bar alone, for htmx."""
    return render(request, "task_progress.html", _task_context(request, task_id, account))


# --- documents: review (officer, clerk) and reading (archivist) --------------------------


@router.get("/documents/{document_id}")
def document_page(
    document_id: int,
    request: Request,
    account: Annotated[Account, Depends(allow(*EVERYONE))],
    page: int = 1,
) -> Response:
    """A document: the viewer at ``page``, its fields, case link, files and checks."""
    w = web(request)
    data = queries.show_document(w.db, w.settings, document_id)
    page = min(max(1, page), max(1, data["pages"]))
    editable = account.role in EDITORS and data["state"] in corrections.EDITABLE_STATES
    shown = data["page_details"][page - 1] if data["page_details"] else None
    context = {
        "doc": data,
        "page": page,
        "shown": shown,
        "editable": editable,
        "doc_types": DOC_TYPES,
        "roles": ROLES,
        "case_types": TYPABLE_CASE_TYPES,
        "can_download": account.role in READERS,
        "can_link": account.role in EDITORS and data["state"] not in ("archived", "approved"),
    }
    return render(request, "document.html", context)


@router.post("/documents/{document_id}/fields")
async def correct(
    document_id: int, request: Request, account: Annotated[Account, Depends(allow(*EDITORS))]
) -> Response:
    """Save corrected fields; the parties table replaces the whole party list."""
    form = await request.form()
    changes = {
        name: str(form[name])
        for name in ("doc_type", "number", "issuer", "date", "case_type")
        if name in form
    }
    roles, names = form.getlist("party_role"), form.getlist("party_name")
    parties = [(str(r), str(n)) for r, n in zip(roles, names, strict=False) if str(n).strip()]
    changed = await run_in_threadpool(
        corrections.correct_fields, web(request).db, document_id, changes, account.name, parties
    )
    done = "Corrections saved." if changed else "Nothing changed."
    return back(f"/documents/{document_id}", done)


@router.post("/documents/{document_id}/case")
def choose_case(
    document_id: int,
    request: Request,
    account: Annotated[Account, Depends(allow(*EDITORS))],
    case: Annotated[str, Form()],
) -> Response:
    """Link to the case chosen (a candidate, or any code typed)."""
    linking.choose(web(request).db, document_id, case.strip(), account.name)
    return back(f"/documents/{document_id}", "Linked to the case.")


@router.post("/documents/{document_id}/case/accept")
def accept_case(
    document_id: int, request: Request, account: Annotated[Account, Depends(allow(*EDITORS))]
) -> Response:
    """Link to the first-ranked candidate."""
    linking.accept(web(request).db, document_id, account.name)
    return back(f"/documents/{document_id}", "Linked to the case.")


@router.get("/documents/{document_id}/checks")
def checks(
    document_id: int, request: Request, _: Annotated[Account, Depends(allow(*READERS))]
) -> Response:
    """The signature and fixity check of the document's files (loaded by htmx)."""
    w = web(request)
    results = fixity.verify_document(w.db, w.settings, document_id)
    return render(request, "checks.html", {"checks": results})


# --- archivist ---------------------------------------------------------------------------


@router.get("/search")
def search(
    request: Request,
    _: Annotated[Account, Depends(allow(*READERS))],
    q: str = "",
    doc_type: str = "",
    case_type: str = "",
    year: str = "",
    issuer: str = "",
    party: str = "",
    number: str = "",
    fuzzy: bool = False,
) -> Response:
    """Search with filters; each hit opens the viewer at its page."""
    asked = any(x.strip() for x in (q, doc_type, case_type, year, issuer, party, number))
    results: list[dict[str, Any]] = []
    if asked:
        filters = Filters(
            doc_type,
            case_type,
            int(year) if year.strip().isdigit() else None,
            issuer,
            party,
            number,
        )
        results = searching.search(web(request).db, q, filters, 50, fuzzy=fuzzy)
    form = {
        "q": q,
        "doc_type": doc_type,
        "case_type": case_type,
        "year": year,
        "issuer": issuer,
        "party": party,
        "number": number,
        "fuzzy": fuzzy,
    }
    context = {
        "form": form,
        "results": results,
        "asked": asked,
        "doc_types": DOC_TYPES,
        "case_types": TYPABLE_CASE_TYPES,
    }
    return render(request, "search.html", context)


@router.get("/cases/{code:path}")
def case_page(
    code: str, request: Request, _: Annotated[Account, Depends(allow(*READERS))]
) -> Response:
    """A case and its documents."""
    return render(request, "case.html", {"case": cases.show_case(web(request).db, code)})


@router.get("/audit")
def audit_page(request: Request, _: Annotated[Account, Depends(allow(*ADMINS))]) -> Response:
    """The latest audit entries and whether the chain is whole."""
    db = web(request).db
    report = audit.verify_chain(db)
    return render(request, "audit.html", {"report": report, "entries": audit.list_entries(db)})
