"""Who is asking, whether they may, and whether a change really comes from hoso's own pages.

The session token travels in an HttpOnly, SameSite=Lax cookie (Secure behind HTTPS). Every
request that changes something must carry the session's CSRF token, in the ``X-CSRF-Token``
header (htmx and scripts) or a ``csrf_token`` form field (plain forms): another site can make a
browser send the cookie, but it cannot read the token.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from pipeline.errors import NotAllowed, NotAuthenticated
from pipeline.jobs import accounts, approval, corrections, uploads
from pipeline.jobs.accounts import Account
from pipeline.web.context import Web

SESSION_COOKIE = "hoso_session"
LOGIN_COOKIE = "hoso_login"  # a pre-session token guarding the log-in form itself
LANGUAGE_COOKIE = "hoso_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Who may do what: the jobs layer's own role sets where it has them (it checks them again for
# every action that changes records), and the ones only the faces need.
CLERKS = uploads.UPLOADERS
OFFICERS = approval.APPROVERS
EDITORS = corrections.EDITORS  # correct fields, link cases
INTAKE = uploads.RETRIERS  # see the inbox, retry a failed document
EVERYONE = approval.ROLES
READERS = ("archivist", "officer", "admin")  # search, read, download, check fixity
ADMINS = ("admin",)


def web(request: Request) -> Web:
    """The application's settings, database and task registry."""
    found = request.app.state.web
    assert isinstance(found, Web)
    return found


async def _sent_csrf(request: Request) -> str:
    header = request.headers.get("x-csrf-token", "")
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token", "")
        return value if isinstance(value, str) else ""
    return ""


def allow(*roles: str) -> Callable[[Request], Awaitable[Account]]:
    """A dependency: the logged-in account, if its role is one of ``roles`` (and CSRF holds)."""

    async def dependency(request: Request) -> Account:
        # The database is asked off the event loop: one slow query must not stall every request.
        account = await run_in_threadpool(
            accounts.account_for, web(request).db, request.cookies.get(SESSION_COOKIE, "")
        )
        request.state.account = account
        if request.method not in SAFE_METHODS:
            sent = await _sent_csrf(request)
            if not sent or not secrets.compare_digest(sent, account.csrf):
                raise NotAllowed(
                    "The request did not carry this session's security token (CSRF). Reload "
                    "the page and try again."
                )
        if account.role not in roles:
            raise NotAllowed(
                f"{account.name} is a {account.role}; this needs the role {' or '.join(roles)}."
            )
        return account

    return dependency


def optional_account(request: Request) -> Account | None:
    """The logged-in account, or None (for pages that also show to visitors, like log-in)."""
    try:
        account = accounts.account_for(web(request).db, request.cookies.get(SESSION_COOKIE, ""))
    except NotAuthenticated:
        return None
    request.state.account = account
    return account


def language(request: Request) -> str:
    """The interface language: the cookie, else the user's choice, else the configured one."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in accounts.LANGUAGES:
        return chosen
    account = getattr(request.state, "account", None)
    if isinstance(account, Account) and account.language in accounts.LANGUAGES:
        return account.language
    return web(request).settings.web.language


def client_of(request: Request) -> str:
    """The caller's address, for the audit log."""
    return request.client.host if request.client else ""
