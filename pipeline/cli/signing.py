"""`hoso keys`, `sign`, `verify` and `hoso batches`: review, approval, signatures, fixity."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pipeline.archive.store import sha256_of
from pipeline.cli.common import (
    Context,
    JsonFlag,
    app,
    batches_app,
    context_of,
    err,
    keys_app,
    out,
    print_json,
    reported,
)
from pipeline.jobs import (
    approval,
    audit,
    fixity,
)
from pipeline.signing.keys import make_dev_pki
from pipeline.signing.sign import sign_pdf
from pipeline.signing.verify import check_pdf, load_roots


def passphrase_prompt() -> Callable[[str], str] | None:
    """A hidden passphrase prompt when a person sits at a terminal, else None."""
    return getpass.getpass if sys.stdin.isatty() else None


@keys_app.command("init")
def keys_init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="replace an existing development key")] = False,
) -> None:
    """Make a development CA and signer under var/keys/ (NOT FOR PRODUCTION)."""
    with reported():
        settings = context_of(ctx).settings
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
    with reported():
        c = context_of(ctx)
        settings = c.settings
        if source.resolve() == target.resolve():
            err.print("[bold red]Error:[/] write the signed PDF to another file.")
            raise typer.Exit(2)
        stamp, options = approval.stamp_and_options(settings, c.user)
        with approval.signing_key(settings, c.user, passphrase_prompt()).open() as signer:
            result = sign_pdf(source, target, signer, stamp, options)
        with c.db.session(write=True) as session:
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
    with reported():
        c = context_of(ctx)
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
        with c.db.session(write=True) as session:
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
        print_json(
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
        with c.db.session(write=True) as session:
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
        print_json({"files": len(results), "ok": not bad, "problems": [r.__dict__ for r in bad]})
    else:
        for r in bad:
            out.print(
                f"[bold red]FAILED[/] document {r.document_id} {r.kind}: {r.path}: {r.problem}",
                highlight=False,
            )
        out.print(f"{len(results)} files checked, {len(bad)} with problems.")
    if bad:
        raise typer.Exit(1)


@batches_app.command("list")
def batches_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Batches and how many documents are in each state."""
    with reported():
        rows = approval.list_batches(context_of(ctx).db)
        if as_json:
            print_json(rows)
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
    with reported():
        data = approval.show_batch(context_of(ctx).db, batch)
        if as_json:
            print_json(data)
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
    with reported():
        c = context_of(ctx)
        report = approval.approve(
            c.db, c.settings, batch, c.user, exclude or [], passphrase_prompt()
        )
        if as_json:
            print_json(report.__dict__)
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
    with reported():
        c = context_of(ctx)
        ids = approval.return_documents(c.db, batch, c.user, document or [], reason)
        if as_json:
            print_json({"returned": ids, "reason": reason})
        else:
            out.print(f"returned {len(ids)} documents: {reason}", highlight=False)
