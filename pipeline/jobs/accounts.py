"""Passwords, log-ins and web sessions.

Passwords are kept as argon2id hashes. A session token is random, given to the browser once
and stored only as its SHA-256; each session has its own CSRF token that every change must
carry. Failed log-ins are counted from the audit log (``login.failed`` for the user name), so the
limit holds across restarts and across server processes, and every attempt is on record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pipeline.errors import InvalidInput, NotAuthenticated, NotFound, TooManyAttempts
from pipeline.jobs import audit
from pipeline.records.database import Database
from pipeline.records.models import AuditEntry, User, WebSession, utcnow

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, so a refusal takes as long either way."""
    return _HASHER.hash(secrets.token_urlsafe(16))


MIN_PASSWORD = 10
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Account:
    """Who a session belongs to, as the faces need it (no ORM object leaves the jobs layer)."""

    name: str
    role: str
    language: str
    csrf: str


@dataclass(frozen=True)
class LoginLimit:
    """How many failed log-ins a user name may have within a window of seconds."""

    attempts: int
    window_seconds: float


def set_password(db: Database, name: str, password: str, actor: str) -> None:
    """Give a user a password (argon2id); the old one and every open session stop working."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD} characters.")
    with db.session(write=True) as session:
        user = session.scalars(select(User).where(User.name == name)).one_or_none()
        if user is None:
            raise NotFound(f"There is no user {name}; add them with `hoso users add {name}`.")
        user.password_hash = _HASHER.hash(password)
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(session, actor, "user.password", f"user:{name}")


def can_anyone_log_in(db: Database) -> bool:
    """Whether at least one user has a web password (a fresh installation has none)."""
    with db.session() as session:
        found = session.scalars(select(User.id).where(User.password_hash != "").limit(1))
        return found.first() is not None


def set_language(db: Database, name: str, language: str) -> None:
    """Remember the interface language a user chose."""
    if language not in LANGUAGES:
        raise InvalidInput(f"The languages are {', '.join(LANGUAGES)}.")
    with db.session() as session:
        user = session.scalars(select(User).where(User.name == name)).one()
        user.language = language


def _recent_failures(session: Session, name: str, window_seconds: float) -> int:
    since = (utcnow() - dt.timedelta(seconds=window_seconds)).isoformat(timespec="microseconds")
    count = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == "login.failed",
            AuditEntry.subject == f"user:{name}",
            AuditEntry.at >= since,
        )
    )
    return int(count or 0)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(
    db: Database, name: str, password: str, limit: LoginLimit, hours: float, client: str = ""
) -> tuple[str, Account]:
    """Check the password and open a session; returns the browser's token and the account.

    The same refusal is given whether the name or the password is wrong, so a caller cannot
    learn which names exist.
    """
    name = name.strip()
    refused = False
    ok = False
    with db.session(write=True) as session:
        # Counted and recorded in one turn: parallel guesses each see the ones before them.
        audit.serialise(session)
        if _recent_failures(session, name, limit.window_seconds) >= limit.attempts:
            # Recorded, then refused once the entry is committed (raising here would undo it).
            audit.record(session, name or "?", "login.refused", f"user:{name}", client=client)
            refused = True
        else:
            user = session.scalars(select(User).where(User.name == name)).one_or_none()
            # An unknown name costs the same hashing time, so timing does not reveal names.
            stored = user.password_hash if user is not None else ""
            try:
                ok = _HASHER.verify(stored or _dummy_hash(), password) and bool(stored)
            except (VerificationError, InvalidHashError):
                ok = False
            if not ok:
                audit.record(session, name or "?", "login.failed", f"user:{name}", client=client)
    if refused:
        minutes = max(1, round(limit.window_seconds / 60))
        wait = f"{minutes} minute" + ("s" if minutes > 1 else "")
        raise TooManyAttempts(
            f"Too many failed log-ins for {name}. Wait {wait} and try again, "
            "or ask an admin to set a new password."
        )
    if not ok:
        raise NotAuthenticated("The user name or the password is wrong.")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.session(write=True) as session:
        user = session.scalars(select(User).where(User.name == name)).one()
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        now = utcnow()
        session.add(
            WebSession(
                token_hash=_hash(token),
                user_id=user.id,
                csrf=csrf,
                created_at=now,
                expires_at=now + dt.timedelta(hours=hours),
            )
        )
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        audit.record(session, name, "login", f"user:{name}", client=client)
        return token, Account(user.name, user.role, user.language, csrf)


def account_for(db: Database, token: str) -> Account:
    """The account of a session token, if it is open and not expired."""
    if not token:
        raise NotAuthenticated("Log in first.")
    with db.session() as session:
        row = session.scalars(
            select(WebSession).where(WebSession.token_hash == _hash(token))
        ).one_or_none()
        if row is None:
            raise NotAuthenticated("Log in first.")
        expires = row.expires_at
        if expires.tzinfo is None:  # SQLite gives back naive datetimes
            expires = expires.replace(tzinfo=dt.UTC)
        if expires < utcnow():
            raise NotAuthenticated("The log-in has expired; log in again.")
        user = row.user
        return Account(user.name, user.role, user.language, row.csrf)


def log_out(db: Database, token: str) -> None:
    """Close a session (the token stops working at once)."""
    with db.session(write=True) as session:
        row = session.scalars(
            select(WebSession).where(WebSession.token_hash == _hash(token))
        ).one_or_none()
        if row is not None:
            audit.record(session, row.user.name, "logout", f"user:{row.user.name}")
            session.delete(row)
