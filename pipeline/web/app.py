"""The FastAPI application: pages, the API, static files, and errors turned into answers."""

from __future__ import annotations

import html
import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline import __version__
from pipeline.errors import (
    HosoError,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    StorageError,
    TooLarge,
    TooManyAttempts,
)
from pipeline.records.database import Database
from pipeline.settings import Settings
from pipeline.web import api, pages
from pipeline.web.context import Web
from pipeline.web.i18n import sentence
from pipeline.web.security import language
from pipeline.web.tasks import Tasks

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"

# Each kind of error: its HTTP status and the headline a page shows above the sentence (the
# headline is an English key of the interface texts, shown in the user's language).
_KINDS: tuple[tuple[type[HosoError], int, str], ...] = (
    (TooManyAttempts, 429, "Too many failed log-ins."),
    (NotAuthenticated, 401, "You are not logged in."),
    (NotAllowed, 403, "You may not do this."),
    (NotFound, 404, "Not found."),
    (TooLarge, 413, "The file could not be stored."),
    (InvalidInput, 422, "The value is not valid."),
    (StorageError, 507, "The file could not be stored."),
)


def kind_of(error: HosoError) -> tuple[int, str]:
    """The HTTP status and the headline for an error."""
    for kind, status, headline in _KINDS:
        if isinstance(error, kind):
            return status, headline
    return 500, "Something went wrong."


class UploadLimit:
    """Refuse an upload request while it arrives, once it carries more than ``limit`` bytes.

    Without it the multipart parser would spool any size to a temporary file before hoso's
    per-file limit is checked, so one huge request could fill the disk. The refusal (413) is
    sent from here; the application then sees the client gone and its answer is dropped.
    """

    def __init__(self, app: ASGIApp, limit: int, paths: frozenset[str]) -> None:
        self.app, self.limit, self.paths = app, limit, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass requests through, counting the bytes of uploads as they are read."""
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        received, refused = 0, False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                refused = True
                await self._refuse(scope, send)
                return {"type": "http.disconnect"}
            return message

        async def answer(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, answer)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = (
            f"The upload is larger than {self.limit >> 20} MB, the most one request may carry; "
            "upload fewer files at a time or ask an admin to raise web.max_request_mb."
        )
        response: Response
        if scope["path"].startswith("/api/"):
            response = JSONResponse({"error": message}, status_code=413)
        else:
            text = html.escape(sentence(message, language(Request(scope))))
            response = HTMLResponse(f'<p class="error" role="alert">{text}</p>', status_code=413)
        response.headers["Connection"] = "close"

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)


def create_app(settings: Settings, db: Database) -> FastAPI:
    """Build the application around one settings object and one database."""
    app = FastAPI(
        title="hoso",
        version=__version__,
        description="Digitized case files of a civil-judgment enforcement office.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.web = Web(settings, db, Tasks(db))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(
        UploadLimit,
        limit=settings.web.max_request_mb << 20,
        paths=frozenset({"/inbox/upload", "/api/uploads"}),
    )

    @app.exception_handler(HosoError)
    async def hoso_error(request: Request, exc: HosoError) -> Response:
        status, headline = kind_of(exc)
        if status == 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.message)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message}, status_code=status)
        if status == 401 and request.method == "GET":
            query = f"?{request.url.query}" if request.url.query else ""
            target = quote(request.url.path + query, safe="")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return pages.error_page(request, exc, headline, status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; frame-ancestors 'self'; object-src 'self'",
        )
        return response

    return app
