"""`hoso serve`: the web interface (and the inbox watcher beside it)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.common import (
    app,
    context_of,
    err,
    reported,
    setup_logging,
    warn_if_degraded,
)
from pipeline.jobs import accounts


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
    with reported():
        c = context_of(ctx)
        settings = c.settings
        setup_logging(settings.log_level)
        from pipeline.web.server import serve as run_server

        watching = settings.web.watch if watch is None else watch
        if watching:
            from pipeline.ocr.engines import check_installed

            check_installed(settings.tessdata_dir, settings.ocr.languages, settings.ocr.engine)
            warn_if_degraded(settings)
        if not accounts.can_anyone_log_in(c.db):
            err.print(
                "[yellow]Nobody can log in yet.[/] Give someone a password first, e.g. "
                "`hoso users add quan --role admin --password`.",
                soft_wrap=True,
            )
        run_server(
            settings,
            c.db,
            host or settings.web.host,
            port or settings.web.port,
            watch=watching,
        )
