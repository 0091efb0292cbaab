"""Durable work items with leases, on SQLite and on PostgreSQL.

Claims by many workers at once never hand one item to two of them; a lease that is renewed is
never taken over; one that runs out is, and the worker that lost it cannot finish it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline.jobs import work
from pipeline.records.database import Database
from pipeline.records.models import WorkItem, WorkState, utcnow
from tests.conftest import postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database.open(f"sqlite:///{tmp_path / 'work.db'}", timeout=15)
        yield database
        database.close()
        return
    with postgres_schema() as url:
        database = Database.open(url, timeout=15)
        yield database
        database.close()


def queue(db: Database, subjects: range) -> None:
    with db.session() as session:
        for subject in subjects:
            work.enqueue(session, work.PROCESS, subject)


def take(db: Database, owner: str, limit: int, lease: float = 60.0) -> list[WorkItem]:
    with db.session() as session:
        work.begin_claim(session)
        return work.claim(session, work.PROCESS, owner, limit, lease)


def test_one_open_item_per_subject(db: Database) -> None:
    queue(db, range(1, 4))
    queue(db, range(1, 4))  # the same documents dropped again: still three items
    assert work.open_count(db, work.PROCESS) == 3


def test_many_workers_claiming_at_once_never_share_an_item(db: Database) -> None:
    queue(db, range(1, 61))
    got: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        mine: list[int] = []
        try:
            while True:
                items = take(db, name, 3)
                if not items:
                    break
                mine += [item.subject_id for item in items]
                time.sleep(0.01)  # the work itself, during which the others claim
        except BaseException as exc:
            errors.append(exc)
        got[name] = mine

    threads = [threading.Thread(target=worker, args=(f"w{k}",)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    claimed = [subject for mine in got.values() for subject in mine]
    assert sorted(claimed) == list(range(1, 61))  # every item once, none twice
    assert sum(1 for mine in got.values() if mine) >= 2  # and the work was shared


def test_a_renewed_lease_is_kept_and_an_expired_one_taken_over(db: Database) -> None:
    queue(db, range(1, 3))
    first = take(db, "host:1:a", 2, lease=30)
    assert [item.attempts for item in first] == [1, 1]
    assert take(db, "host:2:b", 2) == []  # held: nothing for the second worker
    assert work.renew(db, "host:1:a", [first[0].id, first[1].id], 30) == {
        first[0].id,
        first[1].id,
    }
    with db.session() as session:  # the first worker stops renewing item 1; time passes
        session.execute(
            update(WorkItem)
            .where(WorkItem.id == first[0].id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    taken = take(db, "host:2:b", 2)
    assert [(item.id, item.attempts, item.owner) for item in taken] == [
        (first[0].id, 2, "host:2:b")
    ]
    # The first worker comes back with its result: too late, it cannot finish the item...
    with pytest.raises(work.LeaseLost), db.session() as session:
        work.finish(session, first[0].id, "host:1:a")
    assert work.renew(db, "host:1:a", [first[0].id], 30) == set()
    # ...while the one that took it over can, once.
    with db.session() as session:
        work.finish(session, first[0].id, "host:2:b")
    with pytest.raises(work.LeaseLost), db.session() as session:
        work.finish(session, first[0].id, "host:2:b")
    with db.session() as session:
        states = dict(session.execute(select(WorkItem.subject_id, WorkItem.state)).all())
    assert states == {1: WorkState.DONE.value, 2: WorkState.LEASED.value}


def test_a_retry_waits_its_turn_and_a_failure_is_final(db: Database) -> None:
    queue(db, range(1, 3))
    one, two = take(db, "host:1:a", 2)
    with db.session() as session:
        work.retry_later(session, one.id, "host:1:a", "worker crashed", delay=3600)
        work.fail(session, two.id, "host:1:a", "damaged file")
    assert take(db, "host:1:a", 2) == []  # one waits an hour; two is failed for good
    with db.session() as session:
        row = session.get(WorkItem, one.id)
        assert row is not None and row.last_error == "worker crashed" and row.owner is None
        session.execute(update(WorkItem).where(WorkItem.id == one.id).values(not_before=utcnow()))
    (again,) = take(db, "host:1:a", 2)
    assert (again.id, again.attempts) == (one.id, 2)
    queue(db, range(2, 3))  # a failed document dropped again is new work
    assert work.open_count(db, work.PROCESS) == 2


def test_the_leases_of_a_dead_process_of_this_machine_end_at_once(db: Database) -> None:
    import socket
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = f"{socket.gethostname()}:{int(gone.stdout)}:dead"
    queue(db, range(1, 2))
    assert take(db, dead, 1, lease=3600)
    (item,) = take(db, work.worker_name(), 1)  # no hour's wait: its process is gone
    assert item.attempts == 2


def test_backoff_doubles_and_stops_at_an_hour() -> None:
    assert [work.backoff(k, 30) for k in (1, 2, 3)] == [30, 60, 120]
    assert work.backoff(20, 30) == 3600


def test_the_queue_says_when_nobody_works_on_it(db: Database) -> None:
    queue(db, range(1, 4))
    state = work.queue_state(db)
    assert (state.waiting, state.leased, state.workers) == (3, 0, ())
    assert state.stalled and state.oldest_waiting_seconds is not None
    owner = work.worker_name()
    take(db, owner, 1)
    work.beat(db, owner, "watch", 1)
    state = work.queue_state(db)
    assert (state.waiting, state.leased) == (2, 1) and not state.stalled
    assert [(w.name, w.role, w.in_hand) for w in state.workers] == [(owner, "watch", 1)]
    work.gone(db, owner)
    assert work.queue_state(db).stalled
    # With Celery it takes two: a process announcing the work and a worker reading it.
    work.beat(db, "announcer", work.ANNOUNCE, 0)
    assert work.queue_state(db).stalled and work.stalled(db)
    work.beat(db, "reader", work.CELERY, 0)
    assert not work.queue_state(db).stalled and not work.stalled(db)
    work.gone(db, "announcer")
    assert work.queue_state(db).stalled and work.stalled(db)


def test_a_worker_never_takes_back_its_own_lapsed_lease(db: Database) -> None:
    """After a long pause (the database away) a watcher's leases lapse while it still holds
    the work: taking them again would start a second run of the same document."""
    queue(db, range(1, 2))
    (item,) = take(db, "host:1:a", 1)
    with db.session() as session:
        session.execute(update(WorkItem).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert take(db, "host:1:a", 1) == []
    assert work.due_count(db, work.PROCESS, "host:1:a") == 0  # --once does not wait on it
    assert work.due_count(db, work.PROCESS, "host:2:b") == 1  # others may take it over
    assert work.renew(db, "host:1:a", [item.id], 60) == {item.id}  # and it is still its own


def test_work_queued_again_while_it_is_being_done_is_done_again(db: Database) -> None:
    """The outbox's rule: a correction committed while the indexer works on the old text."""
    queue(db, range(1, 2))
    (item,) = take(db, "host:1:a", 1)
    queue(db, range(1, 2))  # the subject changed meanwhile: still one item, marked again
    assert work.open_count(db, work.PROCESS) == 1
    with db.session() as session:
        work.finish(session, item.id, "host:1:a")
    (again,) = take(db, "host:2:b", 1)  # due at once, with what the change wrote
    assert again.id == item.id and again.attempts == 2
    with db.session() as session:
        work.finish(session, again.id, "host:2:b")
    assert work.open_count(db, work.PROCESS) == 0


def send(db: Database, resend_after: float | None = None) -> list[int]:
    with db.session() as session:
        work.begin_claim(session)
        return [subject for _, subject in work.to_send(session, work.PROCESS, 100, resend_after)]


def test_each_item_is_announced_once_each_time_it_becomes_due(db: Database) -> None:
    queue(db, range(1, 4))
    assert send(db) == [1, 2, 3]
    assert send(db) == []  # asked again: the messages are on their way
    assert send(db, resend_after=3600) == []
    [item] = take(db, "w1", 1)
    with db.session() as session:  # failed, to be retried later: not announced before its time
        work.retry_later(session, item.id, "w1", "broken", delay=3600)
    assert send(db) == []
    with db.session() as session:
        session.execute(update(WorkItem).values(not_before=utcnow() - timedelta(seconds=1)))
    assert send(db) == [1]  # due again after its retry wait: announced again
    assert send(db) == []


def test_a_lapsed_lease_and_a_lost_message_are_announced_again(db: Database) -> None:
    queue(db, range(1, 3))
    assert send(db) == [1, 2]
    [item] = take(db, "w1", 1, lease=60)
    assert send(db) == []  # held, and renewed: nothing to say
    with db.session() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.id == item.id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert send(db) == [1]  # its worker died: taken over through a new message
    # Item 2's message was lost (a broker restarted without its data) and the queue is empty.
    with db.session() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.subject_id == 2)
            .values(sent_at=utcnow() - timedelta(seconds=120))
        )
    assert send(db) == []  # the broker's queue still holds messages: it is among them
    assert send(db, resend_after=60) == [2]


def test_a_renewing_thread_keeps_a_lease_and_notices_when_it_is_lost(db: Database) -> None:
    queue(db, range(1, 2))
    [item] = take(db, "w1", 1, lease=2)
    with work.Renewing(db, "w1", item.id, lease_seconds=2) as held:
        time.sleep(3)
        assert not held.lost
        assert not take(db, "w2", 1)  # renewed past its first expiry
        with db.session() as session:
            work.hand_over(session, item.id, "w1", "fanout:1:x", 60, {"pages": 3})
        time.sleep(1.5)
        assert held.lost  # the old name no longer holds it
    assert work.holder(db, work.PROCESS, 1) == (item.id, "fanout:1:x", {"pages": 3})
