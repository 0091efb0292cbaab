"""`hoso documents`: list, show and correct the documents taken from the inbox."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from pipeline.cli.common import (
    JsonFlag,
    context_of,
    documents_app,
    out,
    print_json,
    reported,
)
from pipeline.errors import InvalidInput
from pipeline.jobs import (
    corrections,
    queries,
)
from pipeline.review import Flag, message


@documents_app.command("list")
def documents_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="only this state")] = None,
    batch: Annotated[str | None, typer.Option(help="only this batch")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """The documents taken from the inbox, newest first."""
    with reported():
        c = context_of(ctx)
        docs = queries.list_documents(c.db, c.settings, state=state, batch=batch, limit=limit)
        if as_json:
            print_json(docs)
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
    with reported():
        c = context_of(ctx)
        data = queries.show_document(c.db, c.settings, document_id)
        if as_json:
            print_json(data)
            return
        skip = ("page_details", "fields", "parties", "link_candidates", "link_history", "flags")
        for key, value in data.items():
            if key not in skip:
                out.print(f"[bold]{key}[/]: {value if value is not None else ''}", highlight=False)
        for flag in map(Flag.from_dict, data["flags"]):
            mark = "[yellow]![/]" if flag.warning else " "
            out.print(f"{mark} {message(flag)}", highlight=False, soft_wrap=True)
        _print_parties(data["parties"])
        for page in data["page_details"]:
            quality = page.get("quality") or {}
            verdict = f" · read {quality['verdict']}" if quality else ""
            out.rule(
                f"page {page['index'] + 1} · {page['source']} · confidence "
                f"{page['confidence']:.1f}{verdict}"
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
    with reported():
        c = context_of(ctx)
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
            print_json({"id": document_id, "changed": changed})
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
