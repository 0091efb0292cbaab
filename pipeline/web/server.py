"""``hoso serve``: the web application under uvicorn, with the inbox watcher beside it.

The watcher runs in a thread of the same process (its page work goes to the process pool as
always), so one command serves a small office; a larger one runs ``hoso watch`` and Celery
workers elsewhere and ``hoso serve`` with ``web.watch: false``.
"""

from __future__ import annotations

import logging
import signal
import threading

import uvicorn

from pipeline.records.database import Database
from pipeline.settings import Settings
from pipeline.web.app import create_app

log = logging.getLogger(__name__)


def serve(settings: Settings, db: Database, host: str, port: int, *, watch: bool) -> None:
    """Serve until interrupted; stop the watcher cleanly afterwards."""
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        # uvicorn shuts down on the signal, then hands it back here; so the watcher stops
        # too, its pool is shut down, and work in progress resumes on the next start.
        log.info("stopping (signal %d); work in progress resumes on the next start", signum)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    watcher: threading.Thread | None = None
    if watch:
        from pipeline.workers.service import WatchService

        service = WatchService(settings, db)
        watcher = threading.Thread(target=service.run, args=(stop,), name="watcher", daemon=True)
        watcher.start()
        log.info("watching %s", settings.inbox_dir)
    app = create_app(settings, db)
    log.info("serving on http://%s:%d", host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        stop.set()
        if watcher is not None:
            watcher.join(timeout=30)
