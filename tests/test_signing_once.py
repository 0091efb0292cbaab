"""Signing is done once: two approvals at the same moment, and a signer killed mid-filing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from pipeline.jobs import approval
from pipeline.records.database import Database
from pipeline.records.models import Document, SignedVersion, State
from pipeline.settings import Settings
from tests.conftest import postgres_schema
from tests.test_approval import ready_documents


@pytest.fixture(params=["sqlite", "postgresql"])
def office(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings], tmp_path: Path
) -> Iterator[tuple[Settings, Database]]:
    from pipeline.signing.keys import make_dev_pki

    pki = make_dev_pki(make_settings().keys_dir, "Người Ký")
    signing = {
        "pkcs12": str(pki.signer_p12),
        "dev_passphrase_file": str(pki.passphrase_file),
        "trust_roots": [str(pki.ca_cert)],
    }

    def ready(url: str) -> tuple[Settings, Database]:
        settings = make_settings(jobs=1, signing=signing, database_url=url)
        db = Database.open(settings.resolved_database_url, 15)
        ready_documents(settings, db, tmp_path, "Kệ 7", 6)
        approval.add_user(db, "truong", "officer", "admin")
        return settings, db

    if request.param == "sqlite":
        settings, db = ready(f"sqlite:///{tmp_path / 'office.db'}")
        yield settings, db
        db.close()
        return
    with postgres_schema() as url:
        settings, db = ready(url)
        yield settings, db
        db.close()


def test_two_approvals_at_the_same_moment_sign_each_document_once(
    office: tuple[Settings, Database],
) -> None:
    settings, db = office
    reports: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def click() -> None:
        try:
            start.wait()
            reports.append(approval.approve(db, settings, "Kệ 7", "truong", exclude=[]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    signed = sorted(item["id"] for report in reports for item in report.signed)
    with db.session() as session:
        ids = sorted(session.scalars(select(Document.id)))
        versions = session.execute(
            select(SignedVersion.document_id, func.count()).group_by(SignedVersion.document_id)
        ).all()
        states = set(session.scalars(select(Document.state)))
    assert signed == ids  # every document signed, by one of the two approvals only
    assert sorted(versions) == [(i, 1) for i in ids]
    assert states == {State.ARCHIVED.value}
    files = sorted(p.name for p in (settings.archive_dir / "signed").rglob("*") if p.is_file())
    assert len(files) == len(ids) and all(name.endswith(".v1.pdf") for name in files), files


def test_a_signed_file_left_without_its_row_is_never_overwritten_nor_blocks_signing(
    office: tuple[Settings, Database],
) -> None:
    settings, db = office
    with db.session() as session:
        doc = session.scalars(select(Document).order_by(Document.id)).first()
        assert doc is not None
        # A signer killed after filing v1 and before recording it left this behind.
        orphan = approval.signed_path(settings, doc, 1)
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"%PDF-1.7 left by a killed signer")
        first = doc.id
    report = approval.approve(db, settings, "Kệ 7", "truong", exclude=[])
    assert len(report.signed) == 6 and not report.refused
    mine = next(item for item in report.signed if item["id"] == first)
    assert mine["version"] == 2 and mine["path"].endswith(".v2.pdf")
    assert orphan.read_bytes() == b"%PDF-1.7 left by a killed signer"  # untouched


def test_a_key_that_cannot_open_approves_nothing(
    office: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the web there is nobody to ask for a passphrase: the approval must fail before any
    document is approved, or they would wait in "approved" with nobody able to sign them."""
    from pipeline.errors import ConfigError
    from pipeline.records.models import WorkItem

    settings, db = office
    keyless = settings.model_copy(
        update={"signing": settings.signing.model_copy(update={"dev_passphrase_file": None})}
    )
    monkeypatch.delenv(keyless.signing.passphrase_env, raising=False)
    with pytest.raises(ConfigError):
        approval.approve(db, keyless, "Kệ 7", "truong", exclude=[])
    with db.session() as session:
        assert set(session.scalars(select(Document.state))) == {State.READY.value}
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 0
