"""`hoso cases` and `hoso review`: case records and the documents waiting for a case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipeline.cli.common import (
    JsonFlag,
    cases_app,
    context_of,
    err,
    out,
    print_json,
    reported,
    review_app,
)
from pipeline.jobs import (
    cases,
    linking,
)


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
    with reported():
        c = context_of(ctx)
        report = cases.import_cases(c.db, file, mapping, actor=c.user)
        relinked = linking.relink_pending(c.db)
        data = report.as_dict() | {"documents": relinked}
        if as_json:
            print_json(data)
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
    with reported():
        c = context_of(ctx)
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
    with reported():
        rows = cases.list_cases(context_of(ctx).db, limit=limit)
        if as_json:
            print_json(rows)
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
    with reported():
        data = cases.show_case(context_of(ctx).db, code)
        if as_json:
            print_json(data)
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
    with reported():
        queue = linking.review_queue(context_of(ctx).db)
        if as_json:
            print_json(queue)
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
    with reported():
        c = context_of(ctx)
        code = linking.accept(c.db, document_id, c.user)
        _report_link(document_id, code, c.user, as_json)


def _report_link(document_id: int, code: str, user: str, as_json: bool) -> None:
    if as_json:
        print_json({"document": document_id, "case": code, "user": user})
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
    with reported():
        c = context_of(ctx)
        code = linking.choose(c.db, document_id, case_code, c.user)
        _report_link(document_id, code, c.user, as_json)


@review_app.command("unlink")
def review_unlink(
    ctx: typer.Context, document_id: Annotated[int, typer.Argument(help="document id")]
) -> None:
    """Take a document out of its case."""
    with reported():
        c = context_of(ctx)
        linking.unlink(c.db, document_id, c.user)
        out.print(f"document {document_id} unlinked by {c.user}.", highlight=False)
