"""`hoso process`, `hoso watch` and `hoso status`: reading scans and following the inbox."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import __version__
from pipeline.chain import ChainOptions, PageResult
from pipeline.cli.common import (
    Context,
    JsonFlag,
    app,
    context_of,
    err,
    out,
    print_json,
    reported,
    setup_logging,
    warn_if_degraded,
)
from pipeline.jobs import (
    queries,
)
from pipeline.parallel import Job, Outcome, Runner, discard_work
from pipeline.review import message


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
            {
                "text": p.text,
                "confidence": p.confidence,
                "quality": p.quality.as_dict() if p.quality else None,
                "turned": p.turned,
            }
            | (_page_details(p) if details else {})
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
        "flags": [f.as_dict() | {"message": message(f)} for f in result.flags] if result else [],
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
    with reported():
        c = context_of(ctx)
        settings = c.settings
        setup_logging("WARNING")
        options = ChainOptions.from_settings(settings)
        warn_if_degraded(settings)
        from pipeline.ocr.engines import check_installed

        check_installed(options.tessdata, options.languages, options.engine)
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
        print_json(process_record(outcome, details))
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
    for flag in outcome.result.flags:
        mark = "[yellow]![/]" if flag.warning else " "
        out.print(f"  {mark} {message(flag)}", highlight=False, soft_wrap=True)


def _reader_context(ctx: typer.Context) -> Context:
    """What every command that reads documents sets up first: logging, models, warnings."""
    from pipeline.ocr.engines import check_installed

    c = context_of(ctx)
    settings = c.settings
    setup_logging(settings.log_level)
    check_installed(settings.tessdata_dir, settings.ocr.languages, settings.ocr.engine)
    warn_if_degraded(settings)
    return c


@app.command()
def watch(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="process what is waiting, then exit")
    ] = False,
) -> None:
    """Watch the inbox and process every scan dropped into it (the watcher alone, no web)."""
    with reported():
        c = _reader_context(ctx)
        settings = c.settings
        from pipeline.workers.service import WatchService

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
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", help="processes; 0 = the setting `jobs`")
    ] = 0,
    queues: Annotated[
        str,
        typer.Option(
            "--queues",
            "-Q",
            help="queues to take work from, comma-separated (default: hoso.ocr, hoso.pages, "
            "hoso.finish and hoso.index)",
        ),
    ] = "",
) -> None:
    """Read documents for a cluster (`workers.engine: celery`), on this machine or another.

    It takes its work from the broker (`workers.broker`), reads originals from the shared
    archive and records results in the shared database; `hoso watch` or `hoso serve` announce
    the work. Ctrl-C finishes the pages in hand, then stops.
    """
    with reported():
        c = _reader_context(ctx)
        settings = c.settings
        from pipeline.jobs import work
        from pipeline.workers import celery_app

        c.db.close()  # migrated once here; closed so the forked children inherit no connection
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # the processes are the parallelism
        app_ = celery_app.make_app(settings)
        queues = queues or ",".join(celery_app.QUEUES)
        name = work.worker_name()
        beating = celery_app.Beating(settings, name)
        beating.start()
        logging.getLogger("hoso").info(
            "hoso %s worker %s on %s, queues %s", __version__, name, settings.workers.broker, queues
        )
        try:
            app_.worker_main(
                [
                    "worker",
                    "--queues",
                    queues,
                    "--concurrency",
                    str(concurrency or settings.worker_count),
                    "--hostname",
                    f"hoso-{os.getpid()}@%h",
                    "--loglevel",
                    settings.log_level,
                    "--without-gossip",
                    "--without-mingle",
                ]
            )
        finally:
            beating.stop()


@app.command()
def status(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Counts per state, batches, and the latest errors."""
    with reported():
        data = queries.status(context_of(ctx).db)
        if as_json:
            print_json(data)
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
        queue = data["queue"]
        oldest = queue["oldest_waiting_seconds"]
        waited = f", the oldest for {oldest:.0f} s" if oldest is not None else ""
        out.print(
            f"queue: {queue['waiting']} waiting{waited}, {queue['scheduled']} to retry later, "
            f"{queue['leased']} being read; {queue['failed_today']} failed in the last day",
            highlight=False,
        )
        for w in queue["workers"]:
            out.print(
                f"  {w['role']} {w['name']}: seen {w['seconds_ago']:.0f} s ago, "
                f"{w['in_hand']} in hand",
                highlight=False,
            )
        if queue["stalled"]:
            out.print(
                "[bold red]Processing has stopped:[/] documents are waiting and nothing seen in "
                "the last minute reads them. Start `hoso watch` or `hoso serve` (with "
                "`workers.engine: celery`, also `hoso worker`)."
            )
        for e in data["recent_errors"]:
            out.print(
                f"[red]✗[/] #{e['id']} {e['file']} ({e['batch']}): {e['error']}", highlight=False
            )
