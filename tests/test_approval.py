"""A batch from the inbox to the archive: review, return, approve, sign, verify, tamper."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

from pipeline.jobs import audit
from pipeline.records.database import Database
from tests.conftest import Scans
from tests.test_cli import run
from tests.test_watch import watch_once


def test_review_approve_sign_and_verify_the_archive(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    batch = tmp_path / "inbox" / "Kệ 5"
    batch.mkdir(parents=True)
    shutil.copy(scans.pdf(), batch / "scan.pdf")
    shutil.copy(scans.jpeg(), batch / "photo.jpg")
    shutil.copy(scans.tiff_g4(), batch / "fax.tif")
    keys = run(["keys", "init"], hoso_env)
    assert keys.returncode == 0, keys.stderr
    assert watch_once(hoso_env).returncode == 0
    docs = json.loads(run(["batches", "show", "Kệ 5", "--json"], hoso_env).stdout)["documents"]
    ids = {d["file"]: d["id"] for d in docs}
    assert {d["state"] for d in docs} == {"ready"}

    assert run(["users", "add", "truong", "--role", "officer"], hoso_env).returncode == 0
    assert run(["users", "add", "an", "--role", "clerk"], hoso_env).returncode == 0
    proc = run(["--user", "an", "batches", "approve", "Kệ 5"], hoso_env)
    assert proc.returncode == 10 and "officer" in proc.stderr  # a clerk cannot approve

    # The officer edited the fax's fields: the separation of duties keeps them from approving it.
    db = Database.open(hoso_env["HOSO_DATABASE_URL"], 10)
    with db.session() as session:
        audit.record(session, "truong", "field.edit", f"document:{ids['fax.tif']}", field="number")

    proc = run(
        [
            "--user",
            "truong",
            "batches",
            "return",
            "Kệ 5",
            "--document",
            str(ids["photo.jpg"]),
            "--reason",
            "Ảnh mờ, đề nghị quét lại",
        ],
        hoso_env,
    )
    assert proc.returncode == 0, proc.stderr
    proc = run(["--user", "truong", "batches", "approve", "Kệ 5", "--json"], hoso_env)
    assert proc.returncode == 1  # one document refused
    report = json.loads(proc.stdout)
    assert [s["id"] for s in report["signed"]] == [ids["scan.pdf"]]
    assert [r["id"] for r in report["refused"]] == [ids["fax.tif"]]
    signed = Path(report["signed"][0]["path"])
    assert signed.is_file() and signed.name.endswith(".v1.pdf")
    assert signed.relative_to(tmp_path / "archive").parts[0] == "signed"
    assert not signed.stat().st_mode & stat.S_IWUSR  # filed read-only

    states = {
        d["file"]: (d["state"], d["note"])
        for d in json.loads(run(["batches", "show", "Kệ 5", "--json"], hoso_env).stdout)[
            "documents"
        ]
    }
    assert states["scan.pdf"] == ("archived", "")
    assert states["photo.jpg"] == ("returned", "Ảnh mờ, đề nghị quét lại")
    assert states["fax.tif"][0] == "ready"

    proc = run(["verify", "--all", "--json"], hoso_env)
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["files"] == 7  # 3 originals, 3 searchable, 1 signed

    proc = run(["verify", str(signed), "--json"], hoso_env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["archived"]

    signed.chmod(0o644)
    data = bytearray(signed.read_bytes())
    data[len(data) // 2] ^= 0x01
    signed.write_bytes(bytes(data))
    Path(
        json.loads(run(["documents", "show", str(ids["fax.tif"]), "--json"], hoso_env).stdout)[
            "archived_path"
        ]
    ).unlink()
    proc = run(["verify", str(signed), "--json"], hoso_env)
    assert (
        proc.returncode == 1
        and "changed since it was archived" in json.loads(proc.stdout)["problem"]
    )
    proc = run(["verify", "--all", "--json"], hoso_env)
    assert proc.returncode == 1
    problems = {(p["kind"], p["problem"]) for p in json.loads(proc.stdout)["problems"]}
    assert problems == {("signed v1", "changed: its SHA-256 differs"), ("searchable", "missing")}

    assert run(["audit", "verify"], hoso_env).returncode == 0
    actions = [e["action"] for e in json.loads(run(["audit", "list", "--json"], hoso_env).stdout)]
    for action in ("ingest", "return", "approve", "sign", "verify.failed"):
        assert action in actions


def test_a_large_approval_signs_in_parallel(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pipeline.jobs import approval
    from pipeline.signing.keys import make_dev_pki
    from pipeline.signing.verify import check_pdf, load_roots

    settings = make_settings(jobs=2)
    pki = make_dev_pki(settings.keys_dir, "Người Ký")
    settings = make_settings(
        jobs=2,
        signing={
            "pkcs12": str(pki.signer_p12),
            "dev_passphrase_file": str(pki.passphrase_file),
            "trust_roots": [str(pki.ca_cert)],
        },
    )
    db = Database.open(settings.resolved_database_url, 10)
    ready_documents(settings, db, tmp_path, "lớn", 5)
    approval.add_user(db, "truong", "officer", "admin")
    report = approval.approve(db, settings, "lớn", "truong", exclude=[])
    assert len(report.signed) == 5 and not report.refused
    roots = load_roots([pki.ca_cert])
    for item in report.signed:
        (check,) = check_pdf(Path(item["path"]), roots)
        assert check.ok


def ready_documents(settings: Any, db: Database, scratch: Path, batch: str, count: int) -> None:
    """``count`` one-page documents ready for approval in ``batch``, their PDFs in the archive."""
    import img2pdf
    from PIL import Image

    from pipeline.archive.store import safe_name
    from pipeline.records.models import Batch, Document, State

    Image.new("L", (200, 280), 255).save(scratch / "blank.png", dpi=(72, 72))
    sample = scratch / "sample.pdf"
    sample.write_bytes(img2pdf.convert([str(scratch / "blank.png")]))
    with db.session() as session:
        row = Batch(name=batch)
        for k in range(count):
            rel = f"documents/{safe_name(batch)}/{k}.pdf"
            (settings.archive_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(sample, settings.archive_dir / rel)
            session.add(
                Document(
                    batch=row,
                    original_name=f"{k}.pdf",
                    sha256=f"{k:064d}",
                    output_path=rel,
                    state=State.READY.value,
                )
            )
