"""`hoso search`: the archive's full-text search from the terminal."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.markup import escape

from pipeline.cli.common import (
    JsonFlag,
    app,
    context_of,
    out,
    print_json,
    reported,
)
from pipeline.jobs import (
    searching,
)
from pipeline.search.index import Filters


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
    with reported():
        if query == "reindex":
            count = searching.reindex(context_of(ctx).db)
            out.print(f"{count} documents indexed.")
            return
        filters = Filters(doc_type, case_type, year, issuer, party, number)
        results = searching.search(context_of(ctx).db, query, filters, limit, fuzzy=fuzzy)
        if as_json:
            print_json(results)
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
