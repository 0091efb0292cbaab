"""Passwords, sessions and the log-in limit, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline.errors import InvalidInput, NotAuthenticated, NotFound, TooManyAttempts
from pipeline.jobs import accounts, approval, audit
from pipeline.jobs.accounts import LoginLimit
from pipeline.records.database import Database
from pipeline.records.models import User, WebSession

LIMIT = LoginLimit(attempts=2, window_seconds=60)
SECRET = "một mật khẩu dài"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_schema_url")
    else:
        url = f"sqlite:///{tmp_path}/hoso.db"
    database = Database.open(url, 10)
    approval.add_user(database, "truong", "officer", "test")
    return database


def test_passwords_are_hashed_and_checked(db: Database) -> None:
    assert not accounts.can_anyone_log_in(db)  # `hoso serve` warns: nobody has a password
    with pytest.raises(NotAuthenticated):  # no password yet: the CLI only
        accounts.log_in(db, "truong", "", LIMIT, 1)
    with pytest.raises(InvalidInput, match="at least 10"):
        accounts.set_password(db, "truong", "ngắn", "admin")
    with pytest.raises(NotFound):
        accounts.set_password(db, "ai", SECRET, "admin")
    accounts.set_password(db, "truong", SECRET, "admin")
    assert accounts.can_anyone_log_in(db)
    with db.session() as session:
        stored = session.scalars(select(User.password_hash)).one()
    assert stored.startswith("$argon2id$") and SECRET not in stored
    token, account = accounts.log_in(db, " truong ", SECRET, LIMIT, 1, "10.0.0.7")
    assert (account.name, account.role) == ("truong", "officer")
    assert accounts.account_for(db, token) == account
    with db.session() as session:
        (row,) = session.scalars(select(WebSession))
        assert row.token_hash != token and len(row.token_hash) == 64  # only the hash is kept
    (entry,) = audit.list_entries(db, action="login")
    assert entry["details"] == {"client": "10.0.0.7"}


def test_sessions_end_on_log_out_expiry_and_new_password(db: Database) -> None:
    accounts.set_password(db, "truong", SECRET, "admin")
    first, _ = accounts.log_in(db, "truong", SECRET, LIMIT, 1)
    second, _ = accounts.log_in(db, "truong", SECRET, LIMIT, 1)
    accounts.log_out(db, first)
    with pytest.raises(NotAuthenticated, match="Log in first"):
        accounts.account_for(db, first)
    assert accounts.account_for(db, second).name == "truong"
    with db.session() as session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        session.execute(update(WebSession).values(expires_at=past))
    with pytest.raises(NotAuthenticated, match="expired"):
        accounts.account_for(db, second)
    third, _ = accounts.log_in(db, "truong", SECRET, LIMIT, 1)
    accounts.set_password(db, "truong", SECRET + "!", "admin")
    with pytest.raises(NotAuthenticated):
        accounts.account_for(db, third)
    with pytest.raises(NotAuthenticated):
        accounts.account_for(db, "")


def test_failed_log_ins_are_limited_per_user_name(db: Database) -> None:
    accounts.set_password(db, "truong", SECRET, "admin")
    for _ in range(LIMIT.attempts):
        with pytest.raises(NotAuthenticated, match="wrong"):
            accounts.log_in(db, "truong", "sai rồi", LIMIT, 1)
    with pytest.raises(TooManyAttempts, match="Wait 1 minute"):
        accounts.log_in(db, "truong", SECRET, LIMIT, 1)  # even the right password waits
    assert len(audit.list_entries(db, action="login.refused")) == 1
    # A window that has passed lets the user in again.
    accounts.log_in(db, "truong", SECRET, LoginLimit(2, 0.001), 1)
    assert audit.verify_chain(db).ok


def test_language_choice_is_remembered(db: Database) -> None:
    accounts.set_password(db, "truong", SECRET, "admin")
    accounts.set_language(db, "truong", "en")
    token, _ = accounts.log_in(db, "truong", SECRET, LIMIT, 1)
    assert accounts.account_for(db, token).language == "en"
    with pytest.raises(InvalidInput):
        accounts.set_language(db, "truong", "fr")


def test_parallel_wrong_passwords_are_each_counted_and_none_fails(db: Database) -> None:
    """Twelve guesses at once: each is counted before the next is checked, so exactly the
    allowed number are checked and the rest refused, and no request errors."""
    accounts.set_password(db, "truong", SECRET, "admin")
    limit = LoginLimit(attempts=3, window_seconds=60)
    outcomes: list[str] = []

    def guess() -> None:
        try:
            accounts.log_in(db, "truong", "đoán bừa", limit, 1)
        except TooManyAttempts:
            outcomes.append("refused")
        except NotAuthenticated:
            outcomes.append("wrong")
        except Exception as exc:  # the failure this test is about: a 500
            outcomes.append(f"error {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 9 + ["wrong"] * 3, outcomes
    assert len(audit.list_entries(db, action="login.failed")) == 3
    assert len(audit.list_entries(db, action="login.refused")) == 9
    assert audit.verify_chain(db).ok


def test_parallel_audit_writers_all_succeed_and_the_chain_holds(db: Database) -> None:
    """Downloads, log-ins and ingests at the same moment each append to the chain."""
    accounts.set_password(db, "truong", SECRET, "admin")
    errors: list[str] = []

    def append(k: int) -> None:
        try:
            with db.session(write=True) as session:
                session.scalars(select(User)).all()  # read first, as every request does
                audit.record(session, "truong", "download", f"document:{k}")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=append, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(audit.list_entries(db, action="download")) == 20
    assert audit.verify_chain(db).ok
