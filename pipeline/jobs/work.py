"""Durable work with leases: nothing done twice, nothing lost when a worker dies.

Before this, "processing" was a document state that any watcher starting up reset to
"received", so a second watcher, or a cron ``hoso watch --once`` beside ``hoso serve``, took
over a live watcher's documents, deleted its work folder and processed them again. Now every
piece of work is a row of ``work_items`` that a worker *leases*: it claims the row for a while,
renews the lease while it works, and finishes the row in the same transaction that records the
work. A worker that dies stops renewing; its lease expires and then, and only then, another
worker may take the item over. A worker whose lease was taken over cannot finish the item
(:class:`LeaseLost`), so its late result is thrown away instead of recorded twice.

Claims are made safe twice over: on PostgreSQL the candidate rows are locked with ``FOR UPDATE
SKIP LOCKED`` (concurrent claimers pass each other by), on SQLite the transaction begins with
``BEGIN IMMEDIATE`` (one writer at a time, no lock upgrade that fails under load); and each row
is taken with an UPDATE that repeats the conditions, so a row another claimer took in between is
simply not taken.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from pipeline.errors import HosoError
from pipeline.records.database import Database
from pipeline.records.models import OPEN_WORK, WorkerBeat, WorkItem, WorkState, utcnow

PROCESS = "process"

log = logging.getLogger(__name__)


class LeaseLost(HosoError):
    """The worker no longer holds the item: its lease expired and another worker took it."""

    def __init__(self, item_id: int, owner: str) -> None:
        super().__init__(
            f"Work item {item_id} is no longer held by {owner}: its lease ran out and another "
            "worker took it over; this worker's result is discarded."
        )
        self.item_id, self.owner = item_id, owner


def worker_name() -> str:
    """A name no other worker has: host, process id and a random tag (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def begin_claim(session: Session) -> None:
    """Start a claiming transaction: on SQLite take the write lock now, not on first write.

    Must be the first statement of the session's transaction.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def enqueue(
    session: Session,
    kind: str,
    subject_id: int,
    payload: dict[str, object] | None = None,
    delay: float = 0.0,
) -> WorkItem:
    """Queue work on a subject, unless the same work is already open (then that item)."""
    existing = session.scalar(
        select(WorkItem).where(
            WorkItem.kind == kind,
            WorkItem.subject_id == subject_id,
            WorkItem.state.in_(OPEN_WORK),
        )
    )
    if existing is not None:
        if existing.state == WorkState.LEASED.value and not existing.again:
            # A worker is at it now, with what it read before this change: it must go again.
            existing.again = True
        return existing
    now = utcnow()
    item = WorkItem(
        kind=kind,
        subject_id=subject_id,
        state=WorkState.WAITING.value,
        attempts=0,
        not_before=now + timedelta(seconds=delay),
        payload=payload,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def _due(now: datetime, claimer: str | None = None) -> ColumnElement[bool]:
    """What may be claimed now: waiting and past its time, or leased with the lease run out.

    Never ``claimer``'s own lapsed leases: it still holds that work in hand and renews it.
    """
    expired = and_(WorkItem.state == WorkState.LEASED.value, WorkItem.lease_until < now)
    if claimer is not None:
        expired = and_(expired, WorkItem.owner != claimer)
    return or_(and_(WorkItem.state == WorkState.WAITING.value, WorkItem.not_before <= now), expired)


def claim(
    session: Session,
    kind: str,
    owner: str,
    limit: int,
    lease_seconds: float,
    subjects: Sequence[int] | None = None,
) -> list[WorkItem]:
    """Lease up to ``limit`` due items of ``kind`` to ``owner``, oldest first.

    Due: waiting and past its ``not_before``, or leased with the lease run out (its worker
    died or hung). ``subjects`` limits the claim to those subjects (the documents an officer
    approved). Call :func:`begin_claim` first in the same transaction.
    """
    if limit <= 0 or (subjects is not None and not subjects):
        return []
    now = utcnow()
    _expire_dead_here(session, kind, now)
    candidates = (
        select(WorkItem.id)
        .where(WorkItem.kind == kind, _due(now, owner))
        .order_by(WorkItem.id)
        .limit(limit)
    )
    if subjects is not None:
        candidates = candidates.where(WorkItem.subject_id.in_(list(subjects)))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    taken: list[int] = []
    for item_id in session.scalars(candidates).all():
        result = session.execute(
            update(WorkItem)
            .where(WorkItem.id == item_id, _due(now, owner))
            .values(
                state=WorkState.LEASED.value,
                owner=owner,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=WorkItem.attempts + 1,
                sent_at=None,  # the message that announced it, if any, is used up
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            taken.append(item_id)
    if not taken:
        return []
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.id.in_(taken))
            .order_by(WorkItem.id)
            .execution_options(populate_existing=True)
        )
    )


def anything_to_claim(db: Database, kind: str, owner: str) -> bool:
    """Whether :func:`claim` would find work.

    Read only, so an idle worker polling the queue never takes SQLite's write lock
    (``BEGIN IMMEDIATE``) for nothing.
    """
    now = utcnow()
    with db.session() as session:
        if _dead_here(session, kind):
            return True
        found = session.scalar(
            select(WorkItem.id).where(WorkItem.kind == kind, _due(now, owner)).limit(1)
        )
        return found is not None


def _dead_here(session: Session, kind: str) -> list[int]:
    """Items of ``kind`` leased to processes of this machine that are gone."""
    held = session.execute(
        select(WorkItem.id, WorkItem.owner).where(
            WorkItem.kind == kind,
            WorkItem.state == WorkState.LEASED.value,
            WorkItem.owner.like(f"{socket.gethostname()}:%"),
        )
    ).all()
    return [item_id for item_id, owner in held if owner and not alive(owner)]


def _expire_dead_here(session: Session, kind: str, now: datetime) -> None:
    """End at once the leases of workers of this machine whose process is gone.

    A watcher restarted after a crash would otherwise wait out its predecessor's leases; on
    another machine nothing can be known of a process, and its leases run their course.
    """
    dead = _dead_here(session, kind)
    if dead:
        session.execute(
            update(WorkItem)
            .where(WorkItem.id.in_(dead), WorkItem.state == WorkState.LEASED.value)
            .values(lease_until=now - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )


def alive(owner: str) -> bool:
    """Whether the process named in ``owner`` (host:pid:tag) may still be at work.

    On this machine that is known; a process of another machine is given the benefit of the
    doubt (its leases run their course).
    """
    host, _, rest = owner.partition(":")
    if host != socket.gethostname():
        return True
    try:
        pid = int(rest.split(":")[0])
    except ValueError:
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def renew(db: Database, owner: str, item_ids: Iterable[int], lease_seconds: float) -> set[int]:
    """Extend ``owner``'s leases on ``item_ids``; returns the ids it still holds."""
    ids = list(item_ids)
    if not ids:
        return set()
    until = utcnow() + timedelta(seconds=lease_seconds)
    with db.session() as session:
        held = and_(
            WorkItem.id.in_(ids),
            WorkItem.owner == owner,
            WorkItem.state == WorkState.LEASED.value,
        )
        session.execute(
            update(WorkItem)
            .where(held)
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return set(session.scalars(select(WorkItem.id).where(held)))


def held_payload(db: Database, item_id: int, owner: str) -> dict[str, object] | None:
    """The payload of an item ``owner`` holds, or None when it does not hold it (any more)."""
    with db.session() as session:
        item = session.get(WorkItem, item_id)
        if item is None or item.owner != owner or item.state != WorkState.LEASED.value:
            return None
        return dict(item.payload or {})


def holder(db: Database, kind: str, subject_id: int) -> tuple[int, str, dict[str, object]] | None:
    """Who holds the open item of ``kind`` on ``subject_id`` now: (item id, owner, payload)."""
    with db.session() as session:
        item = session.scalar(
            select(WorkItem).where(
                WorkItem.kind == kind,
                WorkItem.subject_id == subject_id,
                WorkItem.state == WorkState.LEASED.value,
            )
        )
        if item is None or item.owner is None:
            return None
        return item.id, item.owner, dict(item.payload or {})


def unsend(db: Database, item_ids: Sequence[int]) -> None:
    """Forget that messages about these items were sent (the broker refused them)."""
    if item_ids:
        with db.session() as session:
            session.execute(
                update(WorkItem)
                .where(WorkItem.id.in_(list(item_ids)))
                .values(sent_at=None)
                .execution_options(synchronize_session=False)
            )


def open_subjects(db: Database, kind: str, subject_ids: Sequence[int]) -> set[int]:
    """Which of ``subject_ids`` have an open item of ``kind``."""
    if not subject_ids:
        return set()
    with db.session() as session:
        return set(
            session.scalars(
                select(WorkItem.subject_id).where(
                    WorkItem.kind == kind,
                    WorkItem.subject_id.in_(list(subject_ids)),
                    WorkItem.state.in_(OPEN_WORK),
                )
            )
        )


def pending_count(db: Database, kind: str) -> int:
    """Items of ``kind`` due now or in a worker's hands (not retries waiting for their time)."""
    now = utcnow()
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WorkItem)
                .where(
                    WorkItem.kind == kind,
                    or_(
                        WorkItem.state == WorkState.LEASED.value,
                        and_(WorkItem.state == WorkState.WAITING.value, WorkItem.not_before <= now),
                    ),
                )
            )
            or 0
        )


class Renewing:
    """Renew ``owner``'s lease on one item from a thread while a long step runs in this one.

    A Celery task reads a whole document, or a page, in one call; without this its lease would
    lapse mid-read and another worker would take the document over. :attr:`lost` says whether
    the lease was lost meanwhile (the result must then be thrown away).
    """

    def __init__(self, db: Database, owner: str, item_id: int, lease_seconds: float) -> None:
        self.db, self.owner, self.item_id, self.lease = db, owner, item_id, lease_seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease", daemon=True)

    def __enter__(self) -> Renewing:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(min(self.lease / 4, 15.0)):
            try:
                if self.item_id not in renew(self.db, self.owner, [self.item_id], self.lease):
                    self.lost = True
                    return
            except HosoError as exc:  # the database away: try again; the lease may still hold
                log.warning("could not renew the lease on item %s: %s", self.item_id, exc)


def hand_over(
    session: Session,
    item_id: int,
    owner: str,
    new_owner: str,
    lease_seconds: float,
    payload: dict[str, object],
) -> None:
    """Pass a held lease to another holder name (a document fanned out to many workers).

    ``payload`` is what the new holders need to know (kept in the database, not in messages).
    """
    until = utcnow() + timedelta(seconds=lease_seconds)
    if not _while_held(
        session, item_id, owner, owner=new_owner, lease_until=until, payload=payload
    ):
        raise LeaseLost(item_id, owner)


def to_send(
    session: Session, kind: str, limit: int, resend_after: float | None
) -> list[tuple[int, int]]:
    """Items of ``kind`` that need a message to the broker now; marks them sent.

    An item needs one when it is due (waiting past its time, or its lease ran out) and no
    message about it is on its way: never sent, or claimed since (a claim consumes the message,
    :func:`claim` clears ``sent_at``). So a retry or a takeover is announced once, however often
    this is asked. ``resend_after``: also send again what was sent that long ago and is still
    due (the broker lost the message: a Redis restarted without its data); ``None`` when the
    broker's queue is not empty and so still holds it. Returns (item id, subject id) pairs.
    Call :func:`begin_claim` first in the same transaction: two dispatchers never send one item.
    """
    now = utcnow()
    _expire_dead_here(session, kind, now)
    unsent: ColumnElement[bool] = WorkItem.sent_at.is_(None)
    if resend_after is not None:
        unsent = or_(unsent, WorkItem.sent_at < now - timedelta(seconds=resend_after))
    query = (
        select(WorkItem.id, WorkItem.subject_id)
        .where(WorkItem.kind == kind, _due(now), unsent)
        .order_by(WorkItem.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = [(int(i), int(s)) for i, s in session.execute(query).all()]
    if found:
        session.execute(
            update(WorkItem)
            .where(WorkItem.id.in_([i for i, _ in found]))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
    return found


def anything_to_send(db: Database, kind: str, resend_after: float) -> bool:
    """Whether :func:`to_send` could find an item.

    Read only: an idle announcer's every look costs one small query, no write lock and no call
    to the broker.
    """
    now = utcnow()
    with db.session() as session:
        if _dead_here(session, kind):
            return True
        unsent = or_(
            WorkItem.sent_at.is_(None), WorkItem.sent_at < now - timedelta(seconds=resend_after)
        )
        found = session.scalar(
            select(WorkItem.id).where(WorkItem.kind == kind, _due(now), unsent).limit(1)
        )
        return found is not None


def finish(session: Session, item_id: int, owner: str) -> None:
    """Mark the item done, in the transaction that records the work.

    Raises :class:`LeaseLost` if ``owner`` no longer holds it; that transaction must then roll
    back, and the work is thrown away.
    """
    _settle(session, item_id, owner, WorkState.DONE, None)


def fail(session: Session, item_id: int, owner: str, error: str) -> None:
    """Mark the item failed for good, with the reason."""
    _settle(session, item_id, owner, WorkState.FAILED, error)


def retry_later(session: Session, item_id: int, owner: str, error: str, delay: float) -> None:
    """Give the item back to the queue, due again in ``delay`` seconds."""
    back = _handed_back(utcnow() + timedelta(seconds=delay))
    if not _while_held(session, item_id, owner, last_error=error, **back):
        raise LeaseLost(item_id, owner)


def release(session: Session, item_id: int, owner: str) -> bool:
    """Hand an item back untried (its worker stops cleanly): due now, the attempt not counted.

    Returns whether ``owner`` still held it.
    """
    return _while_held(
        session, item_id, owner, attempts=WorkItem.attempts - 1, **_handed_back(utcnow())
    )


def _handed_back(due: datetime) -> dict[str, object]:
    """The values of an item back in the queue, due at ``due``."""
    return {"state": WorkState.WAITING.value, "owner": None, "lease_until": None, "not_before": due}


def _while_held(
    session: Session, item_id: int, holder: str, *also: ColumnElement[bool], **values: object
) -> bool:
    """Update the item only if ``holder`` still holds its lease (and ``also``); whether it did.

    The one check every change of a leased item makes: a worker whose lease was taken over
    changes nothing.
    """
    result = session.execute(
        update(WorkItem)
        .where(
            WorkItem.id == item_id,
            WorkItem.owner == holder,
            WorkItem.state == WorkState.LEASED.value,
            *also,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def _settle(
    session: Session, item_id: int, owner: str, state: WorkState, error: str | None
) -> None:
    # Queued again while it was being done (the subject changed meanwhile): due at once.
    if state is WorkState.DONE and _while_held(
        session, item_id, owner, WorkItem.again.is_(True), again=False, **_handed_back(utcnow())
    ):
        return
    now = utcnow()
    if not _while_held(
        session,
        item_id,
        owner,
        state=state.value,
        lease_until=None,
        finished_at=now,
        last_error=error,
    ):
        raise LeaseLost(item_id, owner)


def close_open(session: Session, kind: str, subject_ids: Sequence[int], error: str) -> None:
    """End open items whose subject no longer needs the work (deleted, done by hand)."""
    if subject_ids:
        session.execute(
            update(WorkItem)
            .where(
                WorkItem.kind == kind,
                WorkItem.subject_id.in_(subject_ids),
                WorkItem.state.in_(OPEN_WORK),
            )
            .values(state=WorkState.DONE.value, finished_at=utcnow(), last_error=error)
            .execution_options(synchronize_session=False)
        )


def due_count(db: Database, kind: str, owner: str) -> int:
    """How many items of ``kind`` ``owner`` could take now.

    Not those others hold, nor retries waiting for their time.
    """
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WorkItem)
                .where(WorkItem.kind == kind, _due(utcnow(), owner))
            )
            or 0
        )


def open_count(db: Database, kind: str) -> int:
    """How many items of ``kind`` are waiting or leased."""
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WorkItem)
                .where(WorkItem.kind == kind, WorkItem.state.in_(OPEN_WORK))
            )
            or 0
        )


def backoff(attempts: int, base: float) -> float:
    """Seconds before the next try: ``base`` doubled per attempt made, at most an hour."""
    return float(min(3600.0, base * 2 ** max(0, attempts - 1)))


SEEN_WITHIN = 60.0  # a worker that has not beaten for this long counts as gone
WATCH, ANNOUNCE, CELERY = "watch", "announce", "celery"  # who beats: their roles


def _reads(roles: set[str]) -> bool:
    """Whether workers of these roles, together, get due documents read.

    A watcher with its own pool reads them; with Celery, one process must announce them and
    another read them, and either alone leaves the queue standing.
    """
    return WATCH in roles or {ANNOUNCE, CELERY} <= roles


def beat(db: Database, owner: str, role: str, in_hand: int) -> None:
    """Say that ``owner`` is alive and how much it holds (the watch loop calls it often)."""
    now = utcnow()
    with db.session() as session:
        row = session.get(WorkerBeat, owner)
        if row is None:
            session.add(
                WorkerBeat(name=owner, role=role, started_at=now, seen_at=now, in_hand=in_hand)
            )
        else:
            row.seen_at, row.in_hand = now, in_hand


def gone(db: Database, owner: str) -> None:
    """A worker stopping cleanly takes its heartbeat with it."""
    with db.session() as session:
        row = session.get(WorkerBeat, owner)
        if row is not None:
            session.delete(row)


@dataclass(frozen=True)
class WorkerSeen:
    """A worker that beat within the last minute."""

    name: str
    role: str
    seconds_ago: float
    in_hand: int


@dataclass(frozen=True)
class QueueState:
    """What the queue holds and who works on it: the view model of status and health."""

    waiting: int  # due now
    scheduled: int  # waiting for a retry's time
    leased: int  # in a worker's hands
    failed_today: int
    oldest_waiting_seconds: float | None
    workers: tuple[WorkerSeen, ...]

    @property
    def stalled(self) -> bool:
        """Work is due and nobody seen lately would get it read (the service has stopped)."""
        return self.waiting > 0 and not _reads({w.role for w in self.workers})

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "waiting": self.waiting,
            "scheduled": self.scheduled,
            "leased": self.leased,
            "failed_today": self.failed_today,
            "oldest_waiting_seconds": self.oldest_waiting_seconds,
            "stalled": self.stalled,
            "workers": [
                {
                    "name": w.name,
                    "role": w.role,
                    "seconds_ago": w.seconds_ago,
                    "in_hand": w.in_hand,
                }
                for w in self.workers
            ],
        }


def stalled(db: Database, kind: str = PROCESS) -> bool:
    """:attr:`QueueState.stalled` in two small queries, for every page the web serves."""
    now = utcnow()
    with db.session() as session:
        due = session.scalar(
            select(WorkItem.id)
            .where(
                WorkItem.kind == kind,
                WorkItem.state == WorkState.WAITING.value,
                WorkItem.not_before <= now,
            )
            .limit(1)
        )
        if due is None:
            return False
        roles = session.scalars(
            select(WorkerBeat.role)
            .where(WorkerBeat.seen_at >= now - timedelta(seconds=SEEN_WITHIN))
            .distinct()
        ).all()
        return not _reads(set(roles))


def queue_state(db: Database, kind: str = PROCESS) -> QueueState:
    """The queue of ``kind`` now, and the workers seen within :data:`SEEN_WITHIN` seconds."""
    now = utcnow()
    with db.session() as session:

        def count(*where: ColumnElement[bool]) -> int:
            found = session.scalar(
                select(func.count()).select_from(WorkItem).where(WorkItem.kind == kind, *where)
            )
            return int(found or 0)

        waiting = WorkItem.state == WorkState.WAITING.value
        oldest = session.scalar(
            select(func.min(WorkItem.created_at)).where(
                WorkItem.kind == kind, waiting, WorkItem.not_before <= now
            )
        )
        beats = session.scalars(
            select(WorkerBeat)
            .where(WorkerBeat.seen_at >= now - timedelta(seconds=SEEN_WITHIN))
            .order_by(WorkerBeat.name)
        ).all()
        return QueueState(
            waiting=count(waiting, WorkItem.not_before <= now),
            scheduled=count(waiting, WorkItem.not_before > now),
            leased=count(WorkItem.state == WorkState.LEASED.value),
            failed_today=count(
                WorkItem.state == WorkState.FAILED.value,
                WorkItem.finished_at >= now - timedelta(days=1),
            ),
            oldest_waiting_seconds=(
                round((now - _aware(oldest)).total_seconds(), 1) if oldest is not None else None
            ),
            workers=tuple(
                WorkerSeen(
                    b.name, b.role, round((now - _aware(b.seen_at)).total_seconds(), 1), b.in_hand
                )
                for b in beats
            ),
        )


def _aware(moment: datetime) -> datetime:
    """SQLite gives times back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
