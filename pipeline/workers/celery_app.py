"""hoso's Celery application: the tasks ``hoso worker`` runs and the names producers send.

Tasks are thin: each names a document (never a file's contents) and calls the jobs layer, which
claims the document's work item before doing anything. Delivery is therefore allowed to be
"at least once" (acknowledged after the work is recorded, requeued when a worker dies) while the
work is done once.

Queues, so a 300-page scan never holds up anything else:
- ``hoso.ocr``: one message per document to read (a short one is read whole by its worker);
- ``hoso.pages``: the pages of long documents, consumed beside new documents rather than
  behind them, so a document once started is finished;
- ``hoso.finish``: the step that assembles and records a long document once its pages are read,
  never behind a backlog of pages;
- ``hoso.index``: search-index updates that failed in the transaction and wait in the outbox.
Signing does not travel: it needs the officer's key or token, which stays with the server the
officer uses (see README "Scale-out").
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import cv2
from celery import Celery, signals
from kombu.entity import Exchange, Queue
from kombu.exceptions import KombuError, OperationalError

from pipeline.chain import ChainOptions
from pipeline.errors import BrokerError, DatabaseError
from pipeline.jobs import distributed, searching, work
from pipeline.records.database import Database
from pipeline.settings import Settings

log = logging.getLogger(__name__)

OCR_QUEUE = "hoso.ocr"
PAGES_QUEUE = "hoso.pages"
FINISH_QUEUE = "hoso.finish"
INDEX_QUEUE = "hoso.index"
QUEUES = (OCR_QUEUE, PAGES_QUEUE, FINISH_QUEUE, INDEX_QUEUE)
PROCESS_TASK = "hoso.process"
PAGE_TASK = "hoso.page"
FINISH_TASK = "hoso.finish"
INDEX_TASK = "hoso.index"
INDEX_CHUNK = 50  # documents one index message indexes
BROKER_TIMEOUT = 10.0  # seconds to reach the broker before a send is given up (and retried later)


class _Process:
    """What one worker process opens once: the database (after the fork, never before)."""

    def __init__(self) -> None:
        self.pid = -1
        self.db: Database | None = None

    def database(self, settings: Settings) -> Database:
        if self.db is None or self.pid != os.getpid():
            self.db = Database.open(
                settings.resolved_database_url, settings.programs.database_timeout
            )
            self.pid = os.getpid()
        return self.db


_here = _Process()


@signals.setup_logging.connect  # type: ignore[untyped-decorator]
def _keep_logging(**_: object) -> None:
    """Keep the logging `hoso worker` set up: Celery must not replace it."""


@signals.worker_process_init.connect  # type: ignore[untyped-decorator]
def _forked(**_: object) -> None:
    """A forked child must not use (or close) its parent's database connections."""
    if _here.db is not None:
        _here.db.engine.dispose(close=False)
        _here.db = None
    cv2.setNumThreads(1)  # the worker processes are the parallelism; more threads only contend


def limits(settings: Settings) -> dict[str, float]:
    """Each task's hard time limit: a task over it is killed and its lease runs out.

    A document read whole has fewer than ``fanout_pages`` pages.
    """
    page = settings.ocr.page_timeout
    whole = (settings.workers.fanout_pages - 1) * page
    return {
        PROCESS_TASK: settings.programs.poppler_timeout + whole + 120,
        PAGE_TASK: page + 120,
        FINISH_TASK: 900.0,
        INDEX_TASK: 600.0,
    }


def make_app(settings: Settings) -> Celery:
    """The Celery application for ``settings``: the same on producers and workers."""
    app = Celery("hoso", broker=settings.workers.broker, set_as_current=False)
    limit = limits(settings)
    children = settings.workers
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,  # acknowledged once the work is recorded
        task_reject_on_worker_lost=True,  # a worker killed mid-task: the message goes back
        worker_prefetch_multiplier=1,  # a worker holds no more than it is reading
        task_queues=[
            Queue(name, Exchange(name), routing_key=name)  # type: ignore[no-untyped-call]
            for name in QUEUES
        ],
        task_default_queue=OCR_QUEUE,
        task_routes={
            PROCESS_TASK: {"queue": OCR_QUEUE, "routing_key": OCR_QUEUE},
            PAGE_TASK: {"queue": PAGES_QUEUE, "routing_key": PAGES_QUEUE},
            FINISH_TASK: {"queue": FINISH_QUEUE, "routing_key": FINISH_QUEUE},
            INDEX_TASK: {"queue": INDEX_QUEUE, "routing_key": INDEX_QUEUE},
        },
        task_annotations={name: {"time_limit": seconds} for name, seconds in limit.items()},
        # An unacknowledged message is given to another worker after this: above every time
        # limit, so a slow task is never handed out twice while it still runs.
        broker_transport_options={
            "visibility_timeout": int(max(limit.values()) + 600),
            # A Redis that accepts connections and then hangs must not hang the announcer.
            "socket_timeout": BROKER_TIMEOUT,
            "socket_connect_timeout": BROKER_TIMEOUT,
        },
        broker_connection_timeout=BROKER_TIMEOUT,
        broker_connection_retry_on_startup=True,
        worker_max_tasks_per_child=children.tasks_per_child or None,
        worker_max_memory_per_child=(children.memory_per_child_mb * 1024) or None,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    _register(app, settings)
    return app


def _register(app: Celery, settings: Settings) -> None:
    options = ChainOptions.from_settings(settings)
    # The database or the broker away for a moment: the message comes back later rather than
    # being dropped (its work item would wait for the announcer's next look otherwise).
    retried: dict[str, Any] = {
        "autoretry_for": (DatabaseError, BrokerError),
        "retry_backoff": 2,
        "retry_backoff_max": 60,
        "max_retries": 30,
    }

    @app.task(name=PROCESS_TASK, **retried)  # type: ignore[untyped-decorator]
    def process(document_id: int) -> None:
        db = _here.database(settings)
        # A name for this task alone: a claim it could not finish (an error after it) is
        # taken over by the next message, even one this same process receives.
        owner = work.worker_name()
        ahead = waiting(app, PAGES_QUEUE)
        started = distributed.start(db, settings, document_id, owner, options, ahead)
        if started.fanned is not None:
            for index in started.pages:
                send(app, PAGE_TASK, {**started.fanned.message(), "index": index})

    @app.task(name=PAGE_TASK, **retried)  # type: ignore[untyped-decorator]
    def page(index: int, **fanned: Any) -> None:
        db = _here.database(settings)
        doc = distributed.Fanned(**fanned)
        if distributed.read_page(db, settings, doc, index, options):
            send(app, FINISH_TASK, fanned)

    @app.task(name=FINISH_TASK, **retried)  # type: ignore[untyped-decorator]
    def finish(**fanned: Any) -> None:
        distributed.finish(
            _here.database(settings), settings, distributed.Fanned(**fanned), options
        )

    @app.task(name=INDEX_TASK, **retried)  # type: ignore[untyped-decorator]
    def index() -> None:
        searching.index_queued(_here.database(settings), work.worker_name(), limit=INDEX_CHUNK)


def send(
    app: Celery, task: str, kwargs: dict[str, Any] | None = None, args: list[Any] | None = None
) -> None:
    """Send one message, or raise :class:`BrokerError` (the work stays due in the database)."""
    try:
        app.send_task(
            task,
            args=args,
            kwargs=kwargs,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 1.0},
        )
    except (KombuError, OperationalError, OSError) as exc:
        raise BrokerError(
            f"The message broker {_safe_url(app)} cannot be reached ({exc}); the work stays "
            "queued in the database and is sent when it answers."
        ) from exc


def waiting(app: Celery, queue: str) -> int:
    """How many messages ``queue`` holds (not those a worker has taken and not acknowledged)."""
    try:
        with app.connection_or_acquire() as conn:  # from the pool: asked every second
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
            # Declared as the workers declare it (durable, not auto-deleted), or brokers refuse.
            declared = app.amqp.queues[queue].bind(conn.default_channel).queue_declare()
            return int(declared.message_count)
    except (KombuError, OperationalError, OSError) as exc:
        raise BrokerError(
            f"The message broker {_safe_url(app)} cannot be reached ({exc})."
        ) from exc


def _safe_url(app: Celery) -> str:
    """The broker's address without its password, for messages people read."""
    with app.connection_for_read() as conn:
        return str(conn.as_uri())


class Beating:
    """A running worker says it is alive, every few seconds, from its main process."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings, self.name = settings, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="beat", daemon=True)
        self._db: Database | None = None
        # Worker children are forked from this process: they must not inherit the connection.
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        if self._db is not None:
            self._db.engine.dispose(close=False)
            self._db = None

    def start(self) -> None:
        """Beat now and every quarter of a minute, until :meth:`stop`."""
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and take the heartbeat away: the worker left on purpose."""
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            work.gone(self._database(), self.name)
        except Exception as exc:  # stopping: a heartbeat left behind ages out in a minute
            log.warning("could not remove this worker's heartbeat: %s", exc)

    def _database(self) -> Database:
        if self._db is None:
            s = self.settings
            self._db = Database.open(s.resolved_database_url, s.programs.database_timeout)
        return self._db

    def _run(self) -> None:
        while True:
            try:
                work.beat(self._database(), self.name, work.CELERY, 0)
            except Exception as exc:  # the database away: beat again later
                log.warning("could not beat: %s", exc)
            if self._stop.wait(work.SEEN_WITHIN / 4):
                return
