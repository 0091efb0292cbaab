"""What every command shares: the root app and its groups, the context, output and errors."""

from __future__ import annotations

import getpass
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler

from pipeline import __version__
from pipeline.errors import HosoError
from pipeline.records.database import Database
from pipeline.settings import Settings, load_settings
from pipeline.text.lexicon import installed as lexicon_installed

app = typer.Typer(
    help="hoso: Vietnamese case-file digitization (OCR, searchable PDF/A, records).",
    no_args_is_help=True,
    add_completion=False,
)
documents_app = typer.Typer(
    help="Look at the documents taken from the inbox.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cases_app = typer.Typer(help="Enforcement case records and their documents.", no_args_is_help=True)
review_app = typer.Typer(
    help="Documents waiting for a person to choose their case.", no_args_is_help=True
)
app.add_typer(documents_app, name="documents")
app.add_typer(db_app, name="db")
app.add_typer(cases_app, name="cases")
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
audit_app = typer.Typer(help="The tamper-evident log of every action.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")
batches_app = typer.Typer(help="Review, approve and sign batches.", no_args_is_help=True)
app.add_typer(batches_app, name="batches")

app.add_typer(review_app, name="review")

out = Console()
err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON")]


@dataclass
class Context:
    """What every command shares: the settings (loaded once) and the database (opened lazily)."""

    config: Path | None
    given_user: str = ""
    _settings: Settings | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The settings, read from the file the first time they are needed."""
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    @property
    def user(self) -> str:
        """Who acts: --user, else HOSO_USER or the config's ``user``, else the login name."""
        return self.given_user or self.settings.user or getpass.getuser()

    @property
    def db(self) -> Database:
        """The database, opened (and migrated) the first time it is needed."""
        if self._db is None:
            s = self.settings
            self._db = Database.open(s.resolved_database_url, s.programs.database_timeout)
        return self._db


def context_of(ctx: typer.Context) -> Context:
    """The shared context the root callback made."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


@contextmanager
def reported() -> Iterator[None]:
    """Show hoso's errors as plain sentences and exit with the error's code."""
    try:
        yield
    except HosoError as exc:
        err.print(f"[bold red]Error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from exc


def setup_logging(level: str) -> None:
    """Log to stderr through rich, so logs never mix with JSON printed on stdout."""
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _version(value: bool) -> None:
    if value:
        out.print(f"hoso {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="configuration file (default: HOSO_CONFIG or ./config.yaml)"
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option("--user", "-u", help="who is acting (recorded with links and choices)"),
    ] = None,
) -> None:
    """Digitize Vietnamese civil-judgment enforcement case files."""
    ctx.obj = Context(config, user or "")


def warn_if_degraded(settings: Settings) -> None:
    """Say so, once, when a configured stage cannot run, instead of skipping it silently."""
    if settings.ocr.correct and not lexicon_installed(settings.lexicon_dir):
        err.print(
            f"[yellow]Warning:[/] the Vietnamese lexicon is not in {settings.lexicon_dir}, so "
            "OCR post-correction is off. Run `make models` to install it.",
            soft_wrap=True,
        )


def print_json(data: Any) -> None:
    """Print one JSON document (Vietnamese kept readable) for scripts to parse."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()
