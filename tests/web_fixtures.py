"""A small office for the web tests: users with passwords, a case, and scans read by real OCR."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.jobs import accounts, approval, cases
from pipeline.records.database import Database
from pipeline.settings import Settings
from tests.conftest import environment_for, settings_for
from tests.synthetic.documents import make_document
from tests.test_cli import HOSO, run

PASSWORD = "mật-khẩu-thử-1"
USERS = {"lan": "clerk", "truong": "officer", "kho": "archivist", "quan": "admin"}
ROLE_USER = {role: name for name, role in USERS.items()}
BATCH = "Lô 1"
SCAN_SEED = 11  # the seed Scans.pdf() renders


@dataclass(frozen=True)
class Office:
    """Where everything lives and what the test knows about it."""

    root: Path
    env: dict[str, str]
    settings: Settings

    def database(self) -> Database:
        """A fresh handle on the office's database."""
        return Database.open(self.settings.resolved_database_url, 10)


def office_settings(root: Path, database_url: str) -> Settings:
    """The office as settings, for building the application in the test process."""
    web = {"login_attempts": 3, "login_window_seconds": 60}
    return settings_for(root, database_url=database_url, web=web)


def hoso(args: list[str], env: dict[str, str]) -> str:
    """Run the real CLI; fail with its error output when it fails."""
    proc = run(args, env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def open_office(root: Path, database_url: str = "") -> Office:
    """Users with passwords, the signing keys, and the case the scan belongs to.

    The database is SQLite in ``root`` unless ``database_url`` names another.
    """
    env = environment_for(root)
    if database_url:
        env["HOSO_DATABASE_URL"] = database_url
    settings = office_settings(root, env["HOSO_DATABASE_URL"])
    hoso(["db", "upgrade"], env)
    hoso(["keys", "init"], env)
    db = Database.open(settings.resolved_database_url, 10)
    try:
        for name, role in USERS.items():
            approval.add_user(db, name, role, "setup")
        for name in USERS:  # the CLI path for one, the jobs layer for the rest (same code)
            if name == "lan":
                subprocess.run(
                    [*HOSO, "users", "password", name, "--stdin"],
                    input=PASSWORD + "\n",
                    text=True,
                    env=env,
                    check=True,
                    capture_output=True,
                )
            else:
                accounts.set_password(db, name, PASSWORD, "setup")
        truth = make_document(SCAN_SEED, pages=2)
        parties = dict((role, name) for role, name in truth.parties)
        cases.add_case(
            db,
            cases.CaseInput(
                "THA-2021-0042",
                agency="Chi cục THADS",
                decisions=(truth.number,),
                debtors=(parties["debtor"],),
                creditors=(parties["creditor"],),
            ),
        )
    finally:
        db.close()
    return Office(root, env, settings)


def process_scans(office: Office, files: dict[str, Path], batch: str = BATCH) -> None:
    """Copy scans into the inbox and let the real watcher read them."""
    folder = office.root / "inbox" / batch
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        shutil.copy(source, folder / name)
    hoso(["watch", "--once"], office.env)
