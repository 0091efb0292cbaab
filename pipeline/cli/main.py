"""``hoso``: process scans, watch the inbox, and look at what became of each file."""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import __version__
from pipeline.archive.store import sha256_of
from pipeline.chain import ChainOptions, PageResult
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
)
from pipeline.parallel import Job, Outcome, Runner, discard_work
from pipeline.records.database import Database
from pipeline.search.index import Filters
from pipeline.settings import Settings, load_settings
from pipeline.signing.keys import make_dev_pki
from pipeline.signing.sign import sign_pdf
from pipeline.signing.verify import check_pdf, load_roots
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


def _ctx(ctx: typer.Context) -> Context:
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


@contextmanager
def _reported() -> Iterator[None]:
    """Show hoso's errors as plain sentences and exit with the error's code."""
    try:
        yield
    except HosoError as exc:
        err.print(f"[bold red]Error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from exc


def _setup_logging(level: str) -> None:
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


def _warn_if_degraded(settings: Settings) -> None:
    """Say so, once, when a configured stage cannot run, instead of skipping it silently."""
    if settings.ocr.correct and not lexicon_installed(settings.lexicon_dir):
        err.print(
            f"[yellow]Warning:[/] the Vietnamese lexicon is not in {settings.lexicon_dir}, so "
            "OCR post-correction is off. Run `make models` to install it.",
            soft_wrap=True,
        )


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _page_details(page: PageResult) -> dict[str, Any]:
    return {
        "timings": {k: round(v, 4) for k, v in page.timings.items()},
        "corrections": [
            {
                "line": c.line,
                "word": c.word,
                "before": c.before,
                "after": c.after,
                "box": list(c.box),
                "confidence": round(c.confidence, 1),
            }
            for c in page.corrections
        ],
        "notes": page.notes,
    }


def process_record(outcome: Outcome, details: bool = False) -> dict[str, Any]:
    """The JSON object ``hoso process --json`` prints for one input file.

    The extracted facts are given as plain values at the top level (what scripts use) and,
    with their confidence and page/box, under ``fields`` (what a review screen uses).
    """
    result = outcome.result
    fields = result.fields if result else None
    record: dict[str, Any] = {
        "file": str(outcome.job.source),
        "pages": [
            {"text": p.text, "confidence": p.confidence} | (_page_details(p) if details else {})
            for p in result.pages
        ]
        if result
        else [],
        "doc_type": "",
        "number": "",
        "printed_number": "",
        "cited": [],
        "issuer": "",
        "date": "",
        "case_type": "",
        "parties": [],
        "amounts": [],
        "error": outcome.error,
        "fields": None,
    }
    if fields is not None:
        record |= fields.values()
        record["fields"] = fields.to_dict()
    return record


@contextmanager
def _page_progress(
    enabled: bool, total_files: int
) -> Iterator[Callable[[Job, int, int], None] | None]:
    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def on_page(job: Job, done: int, total: int) -> None:
        if job.key not in tasks:
            tasks[job.key] = progress.add_task(job.source.name[:40], total=total)
        progress.update(tasks[job.key], completed=done, total=total)

    with progress:
        yield on_page


@app.command()
def process(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="scans: PDF, TIFF, JPEG or PNG", exists=False)
    ],
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="worker processes (default: CPU count)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="write <name>.pdf here")] = None,
    details: Annotated[
        bool,
        typer.Option(
            "--details",
            help="with --json: per page, seconds per stage, word corrections, what the "
            "preprocessing found (turn, skew)",
        ),
    ] = False,
) -> None:
    """Read files directly, without inbox or database (trying things out, benchmarks)."""
    with _reported():
        c = _ctx(ctx)
        settings = c.settings
        _setup_logging("WARNING")
        options = ChainOptions.from_settings(settings)
        _warn_if_degraded(settings)
        from pipeline.ocr.tesseract import check_model

        check_model(options.tessdata, options.languages)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        work_root = settings.work_root / f"process-{os.getpid()}"
        outputs = _output_names(files, out_dir)
        job_list = [
            Job(str(i), path.resolve(), work_root / f"{i:05d}", outputs[i])
            for i, path in enumerate(files)
        ]
        failed = 0
        show_progress = err.is_terminal and not as_json
        with (
            _page_progress(show_progress, len(job_list)) as on_page,
            Runner(jobs or settings.worker_count, options, on_page=on_page) as runner,
        ):
            pending: dict[str, Outcome] = {}
            next_index = 0
            for job in job_list:
                if not job.source.is_file():
                    pending[job.key] = Outcome(
                        job, None, f"The file {job.source} does not exist.", "NotFound"
                    )
                else:
                    runner.submit(job)
            while next_index < len(job_list):
                for outcome in runner.poll(timeout=1.0):
                    pending[outcome.job.key] = outcome
                while next_index < len(job_list) and str(next_index) in pending:
                    outcome = pending.pop(str(next_index))
                    failed += outcome.error is not None
                    _report_processed(outcome, as_json, details)
                    discard_work(outcome.job, settings.output.keep_work)
                    next_index += 1
        if not settings.output.keep_work:
            shutil.rmtree(work_root, ignore_errors=True)
        if failed:
            raise typer.Exit(1)


def _output_names(files: list[Path], out_dir: Path | None) -> list[Path | None]:
    """``<out>/<name>.pdf`` per input; a name used twice gets ``-2``, ``-3`` and so on."""
    if out_dir is None:
        return [None] * len(files)
    used: set[str] = set()
    names: list[Path | None] = []
    for path in files:
        stem, n = path.stem, 2
        while stem in used:
            stem = f"{path.stem}-{n}"
            n += 1
        used.add(stem)
        names.append(out_dir / f"{stem}.pdf")
    return names


def _report_processed(outcome: Outcome, as_json: bool, details: bool) -> None:
    if as_json:
        _print_json(process_record(outcome, details))
        return
    name = outcome.job.source.name
    if outcome.result is None:
        out.print(f"[red]✗[/] {name}: {outcome.error}", highlight=False, soft_wrap=True)
        return
    pages = outcome.result.pages
    conf = sum(p.confidence for p in pages) / len(pages) if pages else 0.0
    where = f" → {outcome.result.output}" if outcome.result.output else ""
    out.print(
        f"[green]✓[/] {name}: {len(pages)} page(s), confidence {conf:.1f}{where}", highlight=False
    )


@app.command()
def watch(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="process what is waiting, then exit")
    ] = False,
) -> None:
    """Watch the inbox and process every scan dropped into it (what `make run` starts)."""
    with _reported():
        c = _ctx(ctx)
        settings = c.settings
        _setup_logging(settings.log_level)
        from pipeline.ocr.tesseract import check_model
        from pipeline.workers.service import WatchService

        check_model(settings.tessdata_dir, settings.ocr.languages)
        _warn_if_degraded(settings)
        stop = threading.Event()

        def _stop(signum: int, _frame: object) -> None:
            logging.getLogger("hoso").info(
                "stopping (signal %d); work in progress resumes on the next start", signum
            )
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        logging.getLogger("hoso").info(
            "hoso %s watching %s (database %s)",
            __version__,
            settings.inbox_dir,
            settings.resolved_database_url,
        )
        WatchService(settings, c.db).run(stop, once=once)


@app.command()
def status(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Counts per state, batches, and the latest errors."""
    with _reported():
        data = queries.status(_ctx(ctx).db)
        if as_json:
            _print_json(data)
            return
        states = "  ".join(f"{k}: {v}" for k, v in data["states"].items())
        out.print(f"[bold]{data['total']} document(s)[/]  {states}", highlight=False)
        if data["batches"]:
            table = Table("batch", "documents", "states")
            for b in data["batches"]:
                table.add_row(
                    b["name"],
                    str(b["documents"]),
                    ", ".join(f"{k} {v}" for k, v in b["states"].items()),
                )
            out.print(table)
        for e in data["recent_errors"]:
            out.print(
                f"[red]✗[/] #{e['id']} {e['file']} ({e['batch']}): {e['error']}", highlight=False
            )


@documents_app.command("list")
def documents_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="only this state")] = None,
    batch: Annotated[str | None, typer.Option(help="only this batch")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """The documents taken from the inbox, newest first."""
    with _reported():
        c = _ctx(ctx)
        docs = queries.list_documents(c.db, c.settings, state=state, batch=batch, limit=limit)
        if as_json:
            _print_json(docs)
            return
        table = Table(
            "id", "file", "batch", "state", "pages", "conf", "type", "number", "case", "error"
        )
        for d in docs:
            table.add_row(
                str(d["id"]),
                d["file"],
                d["batch"],
                d["state"],
                str(d["pages"]),
                f"{d['confidence']:.1f}" if d["confidence"] is not None else "",
                d["doc_type"],
                d["number"],
                d["case"] or (f"({d['link_state']})" if d["link_state"] else ""),
                d["error"] or "",
            )
        out.print(table)


@documents_app.command("show")
def documents_show(
    ctx: typer.Context,
    document_id: Annotated[int, typer.Argument(help="document id")],
    as_json: JsonFlag = False,
) -> None:
    """One document: where its files are, its state, and the text of each page."""
    with _reported():
        c = _ctx(ctx)
        data = queries.show_document(c.db, c.settings, document_id)
        if as_json:
            _print_json(data)
            return
        for key, value in data.items():
            if key not in ("page_details", "fields", "parties", "link_candidates", "link_history"):
                out.print(f"[bold]{key}[/]: {value if value is not None else ''}", highlight=False)
        _print_parties(data["parties"])
        for page in data["page_details"]:
            out.rule(
                f"page {page['index'] + 1} · {page['source']} · confidence {page['confidence']:.1f}"
            )
            out.print(page["text"], highlight=False, markup=False)
            for c in page["corrections"]:
                out.print(
                    f"  corrected {c['before']!r} → {c['after']!r} at {c['box']} "
                    f"(OCR confidence {c['confidence']:.0f})",
                    highlight=False,
                    markup=False,
                )


@documents_app.command("edit")
def documents_edit(
    ctx: typer.Context,
    document_id: Annotated[int, typer.Argument(help="document id")],
    doc_type: Annotated[str | None, typer.Option("--type", help="judgment, notice, ...")] = None,
    number: Annotated[str | None, typer.Option(help="the document's own number")] = None,
    issuer: Annotated[str | None, typer.Option(help="the issuing body")] = None,
    date: Annotated[str | None, typer.Option(help="date of issue, YYYY-MM-DD")] = None,
    case_type: Annotated[str | None, typer.Option(help="DS, HS, HNGĐ, KDTM, LĐ, HC, THADS")] = None,
    party: Annotated[
        list[str] | None,
        typer.Option(help="ROLE:NAME, repeated; replaces the whole party list"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Correct extracted fields; audited, then the document is re-indexed and re-linked."""
    with _reported():
        c = _ctx(ctx)
        typed = {"doc_type": doc_type, "number": number, "issuer": issuer, "date": date}
        typed["case_type"] = case_type
        changes = {k: v for k, v in typed.items() if v is not None}
        parties = None
        if party:  # typer gives an empty list when --party is not used
            parties = []
            for item in party:
                role, sep, name = item.partition(":")
                if not sep:
                    raise InvalidInput(
                        f"{item!r} needs a role and a name: --party 'debtor:Lê Văn A'."
                    )
                parties.append((role.strip(), name))
        changed = corrections.correct_fields(c.db, document_id, changes, c.user, parties)
        if as_json:
            _print_json({"id": document_id, "changed": changed})
            return
        for name, (old, new) in changed.items():
            out.print(f"{name}: {old!r} → {new!r}", highlight=False, markup=False)
        if not changed:
            out.print("nothing changed.")


def _print_parties(parties: list[dict[str, Any]]) -> None:
    if not parties:
        out.print("[bold]parties[/]: none found", highlight=False)
        return
    table = Table("role", "name", "born", "identity", "address", "conf", title="parties")
    for p in parties:
        table.add_row(
            p["role"],
            p["name"],
            str(p["birth_year"] or ""),
            p["id_number"],
            p["address"],
            f"{p['confidence']:.2f}",
        )
    out.print(table)


@cases_app.command("import")
def cases_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="the export: UTF-8 CSV with a header row, or .xlsx")],
    mapping: Annotated[
        Path | None,
        typer.Option(help="YAML file mapping hoso's column names to the export's"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import (or update) cases; then re-try linking every unlinked or queued document."""
    with _reported():
        c = _ctx(ctx)
        report = cases.import_cases(c.db, file, mapping, actor=c.user)
        relinked = linking.relink_pending(c.db)
        data = report.as_dict() | {"documents": relinked}
        if as_json:
            _print_json(data)
        else:
            out.print(
                f"{report.created} cases created, {report.updated} updated; documents now "
                f"linked {relinked['linked']}, for review {relinked['review']}, unlinked "
                f"{relinked['unlinked']}.",
                highlight=False,
            )
            for line, reason in report.errors:
                err.print(f"line {line}: {reason}; the row was not imported.", highlight=False)
        if report.errors:
            raise typer.Exit(1)


@cases_app.command("add")
def cases_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="case code")],
    agency: Annotated[str, typer.Option(help="the enforcement office")] = "",
    decision: Annotated[list[str] | None, typer.Option(help="decision number (repeatable)")] = None,
    judgment: Annotated[list[str] | None, typer.Option(help="judgment number (repeatable)")] = None,
    debtor: Annotated[list[str] | None, typer.Option(help="debtor's name (repeatable)")] = None,
    creditor: Annotated[list[str] | None, typer.Option(help="creditor's name (repeatable)")] = None,
    amount: Annotated[str, typer.Option(help="amount in đồng")] = "",
    opened_on: Annotated[str, typer.Option(help="date opened, 2020-06-15")] = "",
) -> None:
    """Add a case by hand (or update it), then re-try linking pending documents."""
    with _reported():
        c = _ctx(ctx)
        row = {
            "case_code": code,
            "agency": agency,
            "decision_number": ";".join(decision or []),
            "judgment_number": ";".join(judgment or []),
            "debtor": ";".join(debtor or []),
            "creditor": ";".join(creditor or []),
            "amount": amount,
            "opened_on": opened_on,
        }
        try:
            case_input = cases.parse_row(row)
        except ValueError as exc:
            err.print(f"[bold red]Error:[/] {exc}.", highlight=False)
            raise typer.Exit(3) from exc
        created = cases.add_case(c.db, case_input, actor=c.user)
        relinked = linking.relink_pending(c.db)
        out.print(
            f"case {code} {'created' if created else 'updated'}; documents linked "
            f"{relinked['linked']}, for review {relinked['review']}.",
            highlight=False,
        )


@cases_app.command("list")
def cases_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Cases by code."""
    with _reported():
        rows = cases.list_cases(_ctx(ctx).db, limit=limit)
        if as_json:
            _print_json(rows)
            return
        table = Table("code", "agency", "decision", "judgment", "debtors", "creditors", "opened")
        for r in rows:
            table.add_row(
                r["code"],
                r["agency"],
                "; ".join(r["decision_numbers"]),
                "; ".join(r["judgment_numbers"]),
                "; ".join(r["debtors"]),
                "; ".join(r["creditors"]),
                r["opened_on"],
            )
        out.print(table)


@cases_app.command("show")
def cases_show(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="case code")],
    as_json: JsonFlag = False,
) -> None:
    """A case and its documents in date order."""
    with _reported():
        data = cases.show_case(_ctx(ctx).db, code)
        if as_json:
            _print_json(data)
            return
        for key, value in data.items():
            if key != "documents":
                shown = "; ".join(value) if isinstance(value, list) else value
                out.print(f"[bold]{key}[/]: {shown if shown is not None else ''}", highlight=False)
        table = Table("date", "id", "type", "number", "file", "linked by", title="documents")
        for d in data["documents"]:
            table.add_row(
                d["date"], str(d["id"]), d["doc_type"], d["number"], d["file"], d["link_method"]
            )
        out.print(table)


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Documents whose case is uncertain, with their ranked candidate cases."""
    with _reported():
        queue = linking.review_queue(_ctx(ctx).db)
        if as_json:
            _print_json(queue)
            return
        table = Table("doc", "file", "type", "number", "candidates (score, why)")
        for d in queue:
            table.add_row(
                str(d["id"]),
                d["file"],
                d["doc_type"],
                d["number"],
                "\n".join(
                    f"{c['rank']}. {c['case']} ({c['score']:.2f}, {c['reason']})"
                    for c in d["candidates"]
                ),
            )
        out.print(table)


@review_app.command("accept")
def review_accept(
    ctx: typer.Context,
    document_id: Annotated[int, typer.Argument(help="document id")],
    as_json: JsonFlag = False,
) -> None:
    """Link a queued document to its first-ranked candidate."""
    with _reported():
        c = _ctx(ctx)
        code = linking.accept(c.db, document_id, c.user)
        _report_link(document_id, code, c.user, as_json)


def _report_link(document_id: int, code: str, user: str, as_json: bool) -> None:
    if as_json:
        _print_json({"document": document_id, "case": code, "user": user})
    else:
        out.print(f"document {document_id} linked to case {code} by {user}.", highlight=False)


@review_app.command("choose")
def review_choose(
    ctx: typer.Context,
    document_id: Annotated[int, typer.Argument(help="document id")],
    case_code: Annotated[str, typer.Argument(help="the case it belongs to")],
    as_json: JsonFlag = False,
) -> None:
    """Link a document to the case you choose."""
    with _reported():
        c = _ctx(ctx)
        code = linking.choose(c.db, document_id, case_code, c.user)
        _report_link(document_id, code, c.user, as_json)


@review_app.command("unlink")
def review_unlink(
    ctx: typer.Context, document_id: Annotated[int, typer.Argument(help="document id")]
) -> None:
    """Take a document out of its case."""
    with _reported():
        c = _ctx(ctx)
        linking.unlink(c.db, document_id, c.user)
        out.print(f"document {document_id} unlinked by {c.user}.", highlight=False)


def _prompt() -> Callable[[str], str] | None:
    """A hidden passphrase prompt when a person sits at a terminal, else None."""
    return getpass.getpass if sys.stdin.isatty() else None


@keys_app.command("init")
def keys_init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="replace an existing development key")] = False,
) -> None:
    """Make a development CA and signer under var/keys/ (NOT FOR PRODUCTION)."""
    with _reported():
        settings = _ctx(ctx).settings
        pki = make_dev_pki(settings.keys_dir, settings.signing.signer_name, force=force)
        out.print(
            f"development key: {pki.signer_p12}\ntrust root: {pki.ca_cert}\n"
            "These keys are for trying hoso out, NOT FOR PRODUCTION.",
            highlight=False,
        )


@app.command()
def sign(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="the PDF to sign")],
    target: Annotated[Path, typer.Argument(help="where to write the signed PDF")],
) -> None:
    """Sign one PDF with the configured key (PAdES, visible stamp on the last page)."""
    with _reported():
        c = _ctx(ctx)
        settings = c.settings
        if source.resolve() == target.resolve():
            err.print("[bold red]Error:[/] write the signed PDF to another file.")
            raise typer.Exit(2)
        stamp, options = approval.stamp_and_options(settings, c.user)
        with approval.signing_key(settings, c.user, _prompt()).open() as signer:
            result = sign_pdf(source, target, signer, stamp, options)
        with c.db.session() as session:
            audit.record(
                session,
                c.user,
                "sign",
                f"file:{target.name}",
                source=str(source),
                target=str(target),
                level=result.level,
                sha256=sha256_of(target),
            )
        out.print(f"signed ({result.level}): {result.path}", highlight=False)


@app.command()
def verify(
    ctx: typer.Context,
    files: Annotated[list[Path] | None, typer.Argument(help="signed PDFs")] = None,
    all_files: Annotated[
        bool, typer.Option("--all", help="check the whole archive: fixity and signatures")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check every signature of each file (or the whole archive); exit 1 when any check fails."""
    with _reported():
        c = _ctx(ctx)
        if all_files:
            _verify_archive(c, as_json)
            return
        if not files:
            err.print("[bold red]Error:[/] name the signed PDFs to check, or give --all.")
            raise typer.Exit(2)
        roots = load_roots([c.settings.path(p) for p in c.settings.signing.trust_roots])
        failed = sum(not _verify_file(c, path, roots, as_json) for path in files)
        if failed:
            raise typer.Exit(1)


def _verify_file(c: Context, path: Path, roots: list[Any], as_json: bool) -> bool:
    try:
        checks = check_pdf(path, roots)
        problem = "" if checks else "no signature"
    except Exception as exc:  # a damaged file is a failed check, not a crash
        checks, problem = [], f"cannot be read as a PDF ({exc.__class__.__name__})"
    recorded = fixity.recorded_sha256(c.db, c.settings, path)
    if recorded is not None and recorded != sha256_of(path):
        problem = problem or "changed since it was archived: its SHA-256 differs from the record"
    ok = not problem and all(check.ok for check in checks)
    if not ok:
        with c.db.session() as session:
            audit.record(
                session,
                c.user,
                "verify.failed",
                f"file:{path.name}",
                path=str(path),
                problem=problem,
                signatures=[check.as_dict() for check in checks],
            )
    if as_json:
        _print_json(
            {
                "file": str(path),
                "ok": ok,
                "problem": problem,
                "archived": recorded is not None,
                "signatures": [check.as_dict() for check in checks],
            }
        )
        return ok
    verdict = "[green]OK[/]" if ok else "[bold red]FAILED[/]"
    out.print(f"{verdict} {path}" + (f": {problem}" if problem else ""))
    for check in checks:
        out.print(
            f"  {check.signer}, {check.signed_at}: intact {check.intact}, valid "
            f"{check.valid}, whole file {check.covers_whole_file}, trusted "
            f"{check.trusted}, timestamp {check.timestamp}",
            highlight=False,
        )
    return ok


def _verify_archive(c: Context, as_json: bool) -> None:
    results = fixity.verify_archive(c.db, c.settings, c.settings.worker_count)
    bad = [r for r in results if r.problem]
    if bad:
        with c.db.session() as session:
            for r in bad:
                audit.record(
                    session,
                    c.user,
                    "verify.failed",
                    f"document:{r.document_id}",
                    kind=r.kind,
                    path=r.path,
                    problem=r.problem,
                )
    if as_json:
        _print_json({"files": len(results), "ok": not bad, "problems": [r.__dict__ for r in bad]})
    else:
        for r in bad:
            out.print(
                f"[bold red]FAILED[/] document {r.document_id} {r.kind}: {r.path}: {r.problem}",
                highlight=False,
            )
        out.print(f"{len(results)} files checked, {len(bad)} with problems.")
    if bad:
        raise typer.Exit(1)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidInput("The two passwords differ; nothing was changed.")
    return first


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Option(help="clerk, officer, archivist or admin")],
    password: Annotated[
        bool, typer.Option("--password", help="ask for a web password (or read it with --stdin)")
    ] = False,
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from stdin")] = False,
) -> None:
    """Register a user with a role (or change their role); --password lets them log in."""
    with _reported():
        c = _ctx(ctx)
        secret = _read_password(stdin) if password or stdin else None
        approval.add_user(c.db, name, role, c.user)
        if secret is not None:
            accounts.set_password(c.db, name, secret, c.user)
        out.print(f"{name}: {role}", highlight=False)


@users_app.command("password")
def users_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="user name")],
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from stdin")] = False,
) -> None:
    """Set a user's web password (their open sessions end)."""
    with _reported():
        c = _ctx(ctx)
        accounts.set_password(c.db, name, _read_password(stdin), c.user)
        out.print(f"{name}: password set", highlight=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="address to listen on (web.host)")] = None,
    port: Annotated[int | None, typer.Option(help="port (web.port, 8000)")] = None,
    watch: Annotated[
        bool | None, typer.Option("--watch/--no-watch", help="also watch the inbox (web.watch)")
    ] = None,
) -> None:
    """Serve the web interface (and, by default, watch the inbox): what `make run` starts."""
    with _reported():
        c = _ctx(ctx)
        settings = c.settings
        _setup_logging(settings.log_level)
        from pipeline.web.server import serve as run_server

        watching = settings.web.watch if watch is None else watch
        if watching:
            from pipeline.ocr.tesseract import check_model

            check_model(settings.tessdata_dir, settings.ocr.languages)
            _warn_if_degraded(settings)
        run_server(
            settings,
            c.db,
            host or settings.web.host,
            port or settings.web.port,
            watch=watching,
        )


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Users and roles."""
    with _reported():
        users = approval.list_users(_ctx(ctx).db)
        if as_json:
            _print_json(users)
            return
        for u in users:
            out.print(f"{u['name']}: {u['role']}", highlight=False)


@batches_app.command("list")
def batches_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Batches and how many documents are in each state."""
    with _reported():
        rows = approval.list_batches(_ctx(ctx).db)
        if as_json:
            _print_json(rows)
            return
        table = Table("batch", "documents by state")
        for r in rows:
            table.add_row(r["batch"], ", ".join(f"{k} {v}" for k, v in sorted(r["states"].items())))
        out.print(table)


@batches_app.command("show")
def batches_show(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="batch name")],
    as_json: JsonFlag = False,
) -> None:
    """A batch's documents, for review."""
    with _reported():
        data = approval.show_batch(_ctx(ctx).db, batch)
        if as_json:
            _print_json(data)
            return
        table = Table("id", "file", "state", "type", "number", "case", "conf", "note")
        for d in data["documents"]:
            table.add_row(
                str(d["id"]),
                d["file"],
                d["state"],
                d["doc_type"],
                d["number"],
                d["case"] or "",
                f"{d['confidence']:.1f}" if d["confidence"] is not None else "",
                d["note"],
            )
        out.print(table)


@batches_app.command("approve")
def batches_approve(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="batch name")],
    exclude: Annotated[
        list[int] | None, typer.Option(help="leave this document out (repeatable)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve the batch's ready documents, sign them and file them in the archive."""
    with _reported():
        c = _ctx(ctx)
        report = approval.approve(c.db, c.settings, batch, c.user, exclude or [], _prompt())
        if as_json:
            _print_json(report.__dict__)
        else:
            for item in report.signed:
                out.print(f"signed document {item['id']} → {item['path']}", highlight=False)
            for item in report.refused:
                err.print(f"document {item['id']} not approved: {item['reason']}.")
            out.print(
                f"{len(report.signed)} signed and archived, {len(report.refused)} refused, "
                f"{len(report.excluded)} left out.",
                highlight=False,
            )
        if report.refused:
            raise typer.Exit(1)


@batches_app.command("return")
def batches_return(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="batch name")],
    reason: Annotated[str, typer.Option(help="why the documents go back")],
    document: Annotated[
        list[int] | None, typer.Option(help="only this document (repeatable; default all ready)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send ready documents back to the clerks with a reason."""
    with _reported():
        c = _ctx(ctx)
        ids = approval.return_documents(c.db, batch, c.user, document or [], reason)
        if as_json:
            _print_json({"returned": ids, "reason": reason})
        else:
            out.print(f"returned {len(ids)} documents: {reason}", highlight=False)


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='words, "a phrase", or a document number')],
    doc_type: Annotated[str, typer.Option("--type", help="judgment, notice, ...")] = "",
    case_type: Annotated[str, typer.Option(help="DS, HS, HNGĐ, KDTM, LĐ, HC, THADS")] = "",
    year: Annotated[int | None, typer.Option(help="year of issue")] = None,
    issuer: Annotated[str, typer.Option(help="words of the issuing body")] = "",
    party: Annotated[str, typer.Option(help="a party's name, with or without diacritics")] = "",
    number: Annotated[str, typer.Option(help="a document number in any printed form")] = "",
    limit: Annotated[int, typer.Option(min=1)] = 20,
    fuzzy: Annotated[
        bool, typer.Option(help="also match names and words OCR damaged (ranked below the rest)")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Search the archive; `hoso search reindex` rebuilds the index ('"reindex"' finds the word)."""
    with _reported():
        if query == "reindex":
            count = searching.reindex(_ctx(ctx).db)
            out.print(f"{count} documents indexed.")
            return
        filters = Filters(doc_type, case_type, year, issuer, party, number)
        results = searching.search(_ctx(ctx).db, query, filters, limit, fuzzy=fuzzy)
        if as_json:
            _print_json(results)
            return
        for r in results:
            where = f"page {r['page']}" if r["page"] else "fields"
            shown = re.sub(r"\\\[([^\]]*)\]", r"[bold yellow]\1[/]", escape(r["snippet"]))
            out.print(
                f"[bold]{r['id']}[/] {r['doc_type']} {escape(r['number'])} {r['date']} ({where}, "
                f"score {r['score']:.1f})\n   {shown}",
                highlight=False,
            )
        if not results:
            out.print("nothing found.")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Recompute the hash chain of the audit log; exit 1 when an entry was changed or removed."""
    with _reported():
        report = audit.verify_chain(_ctx(ctx).db)
        if as_json:
            _print_json(
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
    with _reported():
        entries = audit.list_entries(_ctx(ctx).db, limit, action, subject)
        if as_json:
            _print_json(entries)
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
    with _reported():
        c = _ctx(ctx)
        c.db  # noqa: B018 - opening the database migrates it
        out.print(f"database ready: {c.settings.resolved_database_url}", highlight=False)


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check that the programs and models hoso needs are installed, and show their versions."""
    with _reported():
        from pipeline.imaging import poppler
        from pipeline.ocr import tesseract

        settings = _ctx(ctx).settings
        out.print(f"hoso {__version__}")
        out.print(f"tesseract (library) {tesseract.version()}")
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
            out.print(f"lexicon for post-correction in {settings.lexicon_dir}")
        out.print("[green]everything hoso needs is installed[/]")


if __name__ == "__main__":  # pragma: no cover
    app()
