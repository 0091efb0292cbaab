"""`hoso audit`, `hoso db` and `hoso doctor`: looking after the installation."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from pipeline import __version__
from pipeline.cli.common import (
    JsonFlag,
    app,
    audit_app,
    context_of,
    db_app,
    out,
    print_json,
    reported,
)
from pipeline.jobs import (
    audit,
)
from pipeline.text.lexicon import installed as lexicon_installed


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Recompute the hash chain of the audit log; exit 1 when an entry was changed or removed."""
    with reported():
        report = audit.verify_chain(context_of(ctx).db)
        if as_json:
            print_json(
                {
                    "ok": report.ok,
                    "entries": report.entries,
                    "broken_at": report.broken_at,
                    "reason": report.reason,
                }
            )
        elif report.ok:
            out.print(f"[green]OK[/]: {report.entries} entries, the chain is whole.")
        else:
            out.print(
                f"[bold red]BROKEN[/] at entry {report.broken_at}: {report.reason}. "
                "The log was altered after it was written; keep this database for inspection."
            )
        if not report.ok:
            raise typer.Exit(1)


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. ingest")] = None,
    subject: Annotated[str | None, typer.Option(help="only this subject, e.g. document:12")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The latest actions, newest first."""
    with reported():
        entries = audit.list_entries(context_of(ctx).db, limit, action, subject)
        if as_json:
            print_json(entries)
            return
        table = Table("id", "at", "who", "action", "subject", "details")
        for e in entries:
            table.add_row(
                str(e["id"]),
                e["at"][:19],
                e["actor"],
                e["action"],
                e["subject"],
                json.dumps(e["details"], ensure_ascii=False)[:80],
            )
        out.print(table)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create the database or migrate it to the latest schema (any command does this too)."""
    with reported():
        c = context_of(ctx)
        c.db  # noqa: B018 - opening the database migrates it
        out.print(f"database ready: {c.settings.resolved_database_url}", highlight=False)


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check that the programs and models hoso needs are installed, and show their versions."""
    with reported():
        from pipeline.imaging import poppler
        from pipeline.ocr import tesseract, trueocr

        settings = context_of(ctx).settings
        out.print(f"hoso {__version__}")
        out.print(f"recogniser: {settings.ocr.engine}")
        out.print(f"tesseract (library) {tesseract.version()}")
        if settings.ocr.engine != "tesseract":
            trueocr.check()
            out.print(f"trueocr {trueocr.version()} (pinned {trueocr.PINNED}), models loaded")
        out.print(f"poppler {poppler.version()}")
        tesseract.check_model(settings.tessdata_dir, settings.ocr.languages)
        for model in sorted(settings.tessdata_dir.glob("*.traineddata")):
            out.print(
                f"model {model.name} ({model.stat().st_size:,} bytes) in {settings.tessdata_dir}"
            )
        if settings.ocr.correct and not lexicon_installed(settings.lexicon_dir):
            out.print(
                f"[yellow]the lexicon is missing from {settings.lexicon_dir}: "
                "post-correction is off; run `make models`[/]"
            )
        elif settings.ocr.correct:
            texts = (
                " and the legal codes"
                if (settings.lexicon_dir / "legal-codes.txt").is_file()
                else ""
            )
            out.print(f"lexicon for post-correction in {settings.lexicon_dir}{texts}")
        out.print("[green]everything hoso needs is installed[/]")


if __name__ == "__main__":  # pragma: no cover
    app()
