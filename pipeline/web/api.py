"""The JSON API under ``/api``: the same actions as the pages, for scripts and other systems.

Authentication is the session cookie from ``POST /api/session``; every change needs the
session's CSRF token in ``X-CSRF-Token`` (``POST /api/session`` returns it).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from pipeline.errors import HosoError, InvalidInput
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
    viewing,
    work,
)
from pipeline.jobs.accounts import Account, LoginLimit
from pipeline.search.index import Filters
from pipeline.web import security
from pipeline.web.security import (
    ADMINS,
    CLERKS,
    EDITORS,
    EVERYONE,
    INTAKE,
    OFFICERS,
    READERS,
    SESSION_COOKIE,
    allow,
    client_of,
    web,
)

router = APIRouter(prefix="/api", tags=["api"])
INBOX_ROWS = 100  # the latest documents the live inbox shows


class Credentials(BaseModel):
    """A log-in."""

    name: str
    password: str


class FieldChanges(BaseModel):
    """Corrected fields; a field left out is unchanged; ``parties`` replaces the whole list."""

    doc_type: str | None = None
    number: str | None = None
    issuer: str | None = None
    date: str | None = None
    case_type: str | None = None
    parties: list[tuple[str, str]] | None = Field(None, description="[role, name] pairs")


class ReturnRequest(BaseModel):
    """Documents sent back to the clerks, with the reason they read."""

    reason: str
    documents: list[int] = Field(default_factory=list, description="empty: every ready one")


class ApproveRequest(BaseModel):
    """An approval of a batch, less the documents left out."""

    exclude: list[int] = Field(default_factory=list)


class CaseChoice(BaseModel):
    """The case a person links a document to."""

    case: str


def start_session(request: Request, response: Response, name: str, password: str) -> Account:
    """Log in and set the session cookie; shared by the page and the API."""
    w = web(request)
    limit = LoginLimit(w.settings.web.login_attempts, w.settings.web.login_window_seconds)
    token, account = accounts.log_in(
        w.db, name, password, limit, w.settings.web.session_hours, client_of(request)
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(w.settings.web.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=w.settings.web.secure_cookies,
        path="/",
    )
    return account


@router.post("/session")
def log_in(credentials: Credentials, request: Request, response: Response) -> dict[str, str]:
    """Log in; returns the role and the CSRF token every change must carry."""
    account = start_session(request, response, credentials.name, credentials.password)
    return {"name": account.name, "role": account.role, "csrf_token": account.csrf}


@router.delete("/session")
def log_out(
    request: Request, response: Response, _: Annotated[Account, Depends(allow(*EVERYONE))]
) -> dict[str, bool]:
    """Log out: the session stops working at once."""
    accounts.log_out(web(request).db, request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}


@router.get("/health")
def health(request: Request) -> Response:
    """Whether the service works: the database answers, and the queue is being worked.

    Open to monitoring without a session, so it says only counts. 200 when all is well; 503
    when the database does not answer or documents wait with no watcher seen for a minute.
    """
    try:
        queue = work.queue_state(web(request).db)
    except HosoError:
        down: dict[str, object] = {"ok": False, "database": False}
        return Response(json.dumps(down), status_code=503, media_type="application/json")
    body: dict[str, object] = {
        "ok": not queue.stalled,
        "database": True,
        "waiting": queue.waiting,
        "scheduled": queue.scheduled,
        "leased": queue.leased,
        "oldest_waiting_seconds": queue.oldest_waiting_seconds,
        "workers": len(queue.workers),
    }
    status = 503 if queue.stalled else 200
    return Response(json.dumps(body), status_code=status, media_type="application/json")


@router.get("/me")
def me(account: Annotated[Account, Depends(allow(*EVERYONE))]) -> dict[str, str]:
    """Who is logged in."""
    return {"name": account.name, "role": account.role, "csrf_token": account.csrf}


@router.get("/inbox")
def inbox(request: Request, _: Annotated[Account, Depends(allow(*INTAKE))]) -> dict[str, Any]:
    """Files waiting in the inbox and the latest documents with their state."""
    return inbox_view(request)


def inbox_view(request: Request) -> dict[str, Any]:
    """What the live inbox shows; shared by the page and the API."""
    w = web(request)
    return {
        "waiting": uploads.waiting_files(w.settings),
        "documents": queries.list_documents(w.db, w.settings, limit=INBOX_ROWS),
    }


@router.post("/uploads")
async def upload(
    request: Request,
    batch: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
    account: Annotated[Account, Depends(allow(*CLERKS))],
) -> dict[str, Any]:
    """Upload scans into a batch of the inbox (``batch`` and ``files`` as multipart form)."""
    w = web(request)

    def store() -> list[dict[str, Any]]:  # hashing and copying: off the event loop
        return [
            uploads.upload_file(w.db, w.settings, account.name, batch, f.filename or "scan", f.file)
            for f in files
        ]

    return {"uploaded": await run_in_threadpool(store)}


@router.post("/documents/{document_id}/retry")
def retry(
    document_id: int,
    request: Request,
    account: Annotated[Account, Depends(allow(*INTAKE))],
) -> dict[str, Any]:
    """Queue a failed document again."""
    uploads.retry(web(request).db, document_id, account.name)
    return {"id": document_id, "state": "received"}


@router.post("/documents/{document_id}/resubmit")
def resubmit(
    document_id: int, request: Request, account: Annotated[Account, Depends(allow(*CLERKS))]
) -> dict[str, Any]:
    """Send a returned document for review again."""
    uploads.resubmit(web(request).db, document_id, account.name)
    return {"id": document_id, "state": "ready"}


@router.get("/batches")
def batches(
    request: Request, _: Annotated[Account, Depends(allow(*OFFICERS))]
) -> list[dict[str, Any]]:
    """Batches and their documents counted per state."""
    return approval.list_batches(web(request).db)


@router.get("/batches/{batch:path}/documents")
def batch(
    batch: str, request: Request, _: Annotated[Account, Depends(allow(*OFFICERS))]
) -> dict[str, Any]:
    """A batch's documents for review."""
    return approval.show_batch(web(request).db, batch)


@router.post("/batches/{batch:path}/return")
def return_documents(
    batch: str,
    body: ReturnRequest,
    request: Request,
    account: Annotated[Account, Depends(allow(*OFFICERS))],
) -> dict[str, Any]:
    """Send ready documents back to the clerks with a reason."""
    ids = approval.return_documents(
        web(request).db, batch, account.name, body.documents, body.reason
    )
    return {"returned": ids, "reason": body.reason}


def start_signing(request: Request, batch: str, actor: str, exclude: list[int]) -> str:
    """Approve and sign a batch in the background; shared by the page and the API."""
    w = web(request)

    def work(progress: Any) -> dict[str, Any]:
        report = approval.approve(w.db, w.settings, batch, actor, exclude, None, progress)
        return report.__dict__

    return w.tasks.start(actor, batch, work)


@router.post("/batches/{batch:path}/approve", status_code=202)
def approve(
    batch: str,
    body: ApproveRequest,
    request: Request,
    account: Annotated[Account, Depends(allow(*OFFICERS))],
) -> dict[str, Any]:
    """Approve a batch's ready documents and sign them; returns a task to follow."""
    task = start_signing(request, batch, account.name, body.exclude)
    return {"task": task, "progress": f"/api/tasks/{task}"}


@router.get("/tasks/{task_id}")
def task(
    task_id: str, request: Request, account: Annotated[Account, Depends(allow(*OFFICERS))]
) -> dict[str, Any]:
    """How far a signing task has gone, and its report when finished."""
    found = web(request).tasks.visible(task_id, account.name, admin=account.role == "admin")
    return {
        "task": found.id,
        "title": found.title,
        "done": found.done,
        "total": found.total,
        "percent": found.percent,
        "finished": found.finished,
        "error": found.error,
        "result": found.result,
    }


@router.get("/documents/{document_id}")
def document(
    document_id: int, request: Request, _: Annotated[Account, Depends(allow(*EVERYONE))]
) -> dict[str, Any]:
    """A document: fields, parties, pages with marked words, case link, signed versions."""
    w = web(request)
    return queries.show_document(w.db, w.settings, document_id)


@router.patch("/documents/{document_id}/fields")
def correct(
    document_id: int,
    body: FieldChanges,
    request: Request,
    account: Annotated[Account, Depends(allow(*EDITORS))],
) -> dict[str, Any]:
    """Correct extracted fields (audited; the document is re-indexed and re-linked)."""
    changes = body.model_dump(exclude_none=True, exclude={"parties"})
    changed = corrections.correct_fields(
        web(request).db, document_id, changes, account.name, body.parties
    )
    return {"id": document_id, "changed": changed}


@router.post("/documents/{document_id}/case")
def choose_case(
    document_id: int,
    body: CaseChoice,
    request: Request,
    account: Annotated[Account, Depends(allow(*EDITORS))],
) -> dict[str, Any]:
    """Link a document to the case a person chose."""
    code = linking.choose(web(request).db, document_id, body.case, account.name)
    return {"id": document_id, "case": code}


@router.post("/documents/{document_id}/case/accept")
def accept_case(
    document_id: int, request: Request, account: Annotated[Account, Depends(allow(*EDITORS))]
) -> dict[str, Any]:
    """Link a document to its first-ranked candidate case."""
    code = linking.accept(web(request).db, document_id, account.name)
    return {"id": document_id, "case": code}


@router.get("/documents/{document_id}/verify")
def verify(
    document_id: int, request: Request, _: Annotated[Account, Depends(allow(*READERS))]
) -> list[dict[str, Any]]:
    """Check the document's files: hashes, and the signatures of signed versions."""
    w = web(request)
    return [c.__dict__ for c in fixity.verify_document(w.db, w.settings, document_id)]


@router.get("/documents/{document_id}/files/{kind}", response_class=FileResponse)
def download(
    document_id: int,
    kind: Literal["original", "searchable", "signed"],
    request: Request,
    account: Annotated[Account, Depends(allow(*READERS))],
    inline: bool = False,
) -> FileResponse:
    """Download the original scan, the searchable PDF or the newest signed PDF (audited).

    With ``inline`` the browser shows it in its own PDF viewer instead of saving it.
    """
    w = web(request)
    found = viewing.download(w.db, w.settings, document_id, kind, account.name)
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.name,
        content_disposition_type="inline" if inline else "attachment",
    )


@router.get("/documents/{document_id}/pages/{page}.jpg", response_class=FileResponse)
def page_image(
    document_id: int,
    page: int,
    request: Request,
    _: Annotated[Account, Depends(allow(*EVERYONE))],
    size: Literal["thumb", "view"] = "view",
) -> FileResponse:
    """A page of the document as an image (thumbnails and the viewer)."""
    w = web(request)
    path = viewing.page_image(w.db, w.settings, document_id, page, size)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private"})


@router.get("/search")
def search(
    request: Request,
    _: Annotated[Account, Depends(allow(*READERS))],
    q: str = "",
    doc_type: str = "",
    case_type: str = "",
    year: int | None = None,
    issuer: str = "",
    party: str = "",
    number: str = "",
    fuzzy: bool = False,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
) -> list[dict[str, Any]]:
    """Search the archive: words, phrases, numbers; diacritics optional; filters narrow."""
    if not (q.strip() or party or number or issuer or doc_type or case_type or year):
        raise InvalidInput("Type something to search for, or choose a filter.")
    filters = Filters(doc_type, case_type, year, issuer, party, number)
    return searching.search(web(request).db, q, filters, limit, fuzzy=fuzzy)


@router.get("/cases/{code:path}")
def case(
    code: str, request: Request, _: Annotated[Account, Depends(allow(*READERS))]
) -> dict[str, Any]:
    """A case and its documents in date order."""
    return cases.show_case(web(request).db, code)


@router.get("/audit")
def audit_log(
    request: Request,
    _: Annotated[Account, Depends(allow(*ADMINS))],
    subject: str = "",
    action: str = "",
    limit: int = 200,
) -> dict[str, Any]:
    """The audit log's latest entries and whether its hash chain is whole."""
    db = web(request).db
    report = audit.verify_chain(db)
    entries = audit.list_entries(db, subject=subject or None, action=action or None, limit=limit)
    return {"whole": report.ok, "entries": report.entries, "latest": entries}


__all__ = ["router", "security"]
