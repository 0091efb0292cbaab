"""The audit log: entries chain by hash; changing, removing or inserting one is detected."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipeline.jobs import audit
from pipeline.records.database import Database
from tests.test_cli import run


def _db(tmp_path: Path) -> Database:
    return Database.open(f"sqlite:///{tmp_path}/hoso.db", 10)


def _fill(db: Database, count: int) -> None:
    for k in range(count):
        with db.session() as session:
            audit.record(session, "clerk.an", "ingest", f"document:{k}", file=f"Kệ {k}.pdf")


def test_a_whole_chain_verifies(tmp_path: Path) -> None:
    db = _db(tmp_path)
    _fill(db, 5)
    report = audit.verify_chain(db)
    assert report.ok and report.entries == 5
    latest = audit.list_entries(db, limit=2)
    assert [e["subject"] for e in latest] == ["document:4", "document:3"]
    assert latest[0]["details"] == {"file": "Kệ 4.pdf"}


@pytest.mark.parametrize(
    ("tamper", "broken_at", "reason"),
    [
        ("UPDATE audit_log SET actor = 'someone else' WHERE id = 3", 3, "content was changed"),
        ("DELETE FROM audit_log WHERE id = 2", 3, "removed or changed"),
        ("UPDATE audit_log SET details = '{}' WHERE id = 5", 5, "content was changed"),
    ],
)
def test_tampering_is_found(tmp_path: Path, tamper: str, broken_at: int, reason: str) -> None:
    db = _db(tmp_path)
    _fill(db, 5)
    with sqlite3.connect(tmp_path / "hoso.db") as conn:
        conn.execute(tamper)
    report = audit.verify_chain(db)
    assert not report.ok and report.broken_at == broken_at and reason in report.reason


def test_two_entries_can_never_follow_the_same_one(tmp_path: Path) -> None:
    db = _db(tmp_path)
    _fill(db, 2)
    with sqlite3.connect(tmp_path / "hoso.db") as conn:
        prev = conn.execute("SELECT prev_hash FROM audit_log WHERE id = 2").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash) "
                "VALUES ('x', 'x', 'x', '', '{}', ?, 'f00')",
                (prev,),
            )


def test_actions_are_logged_and_the_cli_checks_the_chain(
    tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    export = tmp_path / "cases.csv"
    export.write_text("case_code,debtor\nTHA-1,Lê Văn Nam\n", "utf-8")
    assert run(["--user", "clerk.an", "cases", "import", str(export)], hoso_env).returncode == 0
    proc = run(["audit", "list", "--json"], hoso_env)
    (entry,) = json.loads(proc.stdout)
    assert (entry["actor"], entry["action"], entry["details"]["created"]) == (
        "clerk.an",
        "cases.import",
        1,
    )
    assert run(["audit", "verify"], hoso_env).returncode == 0
    db = tmp_path / "hoso.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET actor = 'mallory'")
    proc = run(["audit", "verify", "--json"], hoso_env)
    assert proc.returncode == 1 and json.loads(proc.stdout)["broken_at"] == entry["id"]


@pytest.mark.postgres
def test_the_chain_on_postgresql(postgres_schema_url: str) -> None:
    db = Database.open(postgres_schema_url, 10)
    _fill(db, 3)
    assert audit.verify_chain(db).ok
