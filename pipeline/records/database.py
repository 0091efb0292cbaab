"""Opening the database: engine with time limits, SQLite in WAL mode, migrations on first use."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import DatabaseError

SQLITE_CACHE_KIB = 65536  # per connection
SQLITE_MMAP_BYTES = 1 << 30
LOCK = 0x686F736F  # "hoso": the advisory lock held while a PostgreSQL schema is migrated


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("pipeline.records").joinpath("migrations"))
    )
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def make_engine(url: str, timeout: float) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": timeout}
    else:
        extra = make_url(url).query.get("options", "")
        extra = extra if isinstance(extra, str) else " ".join(extra)
        kwargs["connect_args"] = {
            "connect_timeout": max(1, round(timeout)),
            "options": f"-c statement_timeout={round(timeout * 1000)} {extra}".strip(),
        }
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed "original is safe" must survive a power cut, because the inbox
            # file is deleted right after that commit.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={round(timeout * 1000)}")
            # Searches read scattered pages of a large full-text index: a bigger page cache and
            # memory-mapped reads keep them from going through read() one page at a time.
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

    return engine


def migrate(engine: Engine) -> str | None:
    """Bring the schema to the latest revision; returns the revision now in force."""
    config = _alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current != head:
            with _sqlite_lock(engine), engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    # Several workers starting at once on one database: one migrates, the
                    # others wait here and then find nothing left to do.
                    # Waiting for another's migration is no statement to time out.
                    connection.execute(text("SET LOCAL statement_timeout = 0"))
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(
            f"The database at {engine.url.render_as_string()} cannot be opened or migrated "
            f"({type(cause).__name__}: {str(cause).strip()}). "
            "Check database_url in config.yaml and that the database server is running."
        ) from exc
    return head


@contextlib.contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    """Several processes opening one new SQLite file at once: one migrates, the others wait.

    (PostgreSQL has its advisory lock.) Alembic reads the revision again once it has the lock,
    so a waiter finds nothing left to do.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Database:
    """The engine and session factory of one configured database, migrated when opened."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, timeout: float) -> Database:
        """Connect and migrate; any failure is a DatabaseError with a plain message."""
        engine = make_engine(url, timeout)
        migrate(engine)
        return cls(engine)

    @contextlib.contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error.

        ``write``: the transaction reads and then writes what others write at the same time
        (the audit chain's last entry, a counter). On SQLite it then takes the write lock at
        once (``BEGIN IMMEDIATE``), since a transaction that has read cannot take it later if
        another wrote meanwhile ("database is locked"); concurrent writers wait their turn. On
        PostgreSQL row locks and advisory locks do that, so nothing changes.
        """
        session = self._sessions()
        try:
            with session.begin():
                if write and self.engine.dialect.name == "sqlite":
                    session.execute(text("BEGIN IMMEDIATE"))
                yield session
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"A database operation failed ({exc.__class__.__name__}). "
                "Check that the database is reachable and try again."
            ) from exc
        finally:
            session.close()

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()
