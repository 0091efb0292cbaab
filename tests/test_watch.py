"""The watcher end to end: real inbox, real OCR, real database, killed and restarted."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Scans
from tests.synthetic import make_document
from tests.synthetic.metrics import cer
from tests.test_chain import pdftotext_pages

HOSO = str(Path(sys.executable).parent / "hoso")


def hoso(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOSO, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def watch_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``hoso watch --once``: process what is waiting, then exit."""
    return subprocess.run(
        [HOSO, "watch", "--once"], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def watcher_busy(env: dict[str, str], db: Path, capture: bool = False) -> subprocess.Popen[str]:
    """Start ``hoso watch`` in its own process group; return once it is processing a document.

    With ``capture`` its log is piped for the caller to read (an unread pipe could fill up).
    """
    watcher = subprocess.Popen(
        [HOSO, "watch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = db_states(db)
        if "processing" in states and "ready" not in states:
            return watcher
        time.sleep(0.2)
    os.killpg(watcher.pid, signal.SIGKILL)
    raise AssertionError("the watcher never started processing")


def db_states(db: Path) -> list[str]:
    """Document states as the watcher has committed them ([] before the schema exists)."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return [r[0] for r in conn.execute("SELECT state FROM documents ORDER BY id")]
    except sqlite3.OperationalError:  # created but not migrated yet, or busy
        return []


def documents(env: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    proc = hoso(["documents", "list", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    return sorted(json.loads(proc.stdout), key=lambda d: d["id"])


def test_dropped_scans_end_as_searchable_pdfs(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "Kệ 12").mkdir(parents=True)
    shutil.copy(scans.pdf(), inbox / "Kệ 12" / "scan.pdf")
    shutil.copy(scans.tiff_g4(), inbox / "Kệ 12" / "fax.tif")
    shutil.copy(scans.jpeg(), inbox / "photo.jpg")
    shutil.copy(scans.jpeg(), inbox / "Kệ 12" / "photo again.jpg")  # same bytes
    (inbox / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> broken")
    proc = watch_once(hoso_env)
    assert proc.returncode == 0, proc.stderr

    docs = {d["file"]: d for d in documents(hoso_env)}
    assert {name: d["state"] for name, d in docs.items()} == {
        "scan.pdf": "ready",
        "fax.tif": "ready",
        "photo.jpg": "ready",
        "photo again.jpg": "duplicate",
        "corrupt.pdf": "failed",
    } or {name: d["state"] for name, d in docs.items()} == {
        "scan.pdf": "ready",
        "fax.tif": "ready",
        "photo again.jpg": "ready",
        "photo.jpg": "duplicate",
        "corrupt.pdf": "failed",
    }
    for name in ("scan.pdf", "fax.tif"):
        doc = docs[name]
        assert doc["batch"] == "Kệ 12"
        archived = Path(doc["archived_path"])
        assert archived.is_file() and archived.parent.name == "Kệ 12"
        truth = scans.truth[name]
        texts = pdftotext_pages(archived)
        errors = sum(cer(t, x)[0] for t, x in zip(truth, texts, strict=True))
        assert errors / sum(len(t) for t in truth) < 0.03
        original = Path(doc["original_path"])
        assert original.read_bytes() == (scans.folder / name).read_bytes()
        assert hashlib.sha256(original.read_bytes()).hexdigest() == doc["sha256"]
    assert "damaged" in docs["corrupt.pdf"]["error"]
    note = (inbox / "_failed" / "corrupt.pdf.error.txt").read_text(encoding="utf-8")
    assert "corrupt.pdf" in note and "damaged" in note
    assert (inbox / "_failed" / "corrupt.pdf").is_file()
    remaining = [p for p in inbox.rglob("*") if p.is_file() and "_failed" not in p.parts]
    assert remaining == [], "every taken file leaves the inbox"

    status = json.loads(hoso(["status", "--json"], hoso_env).stdout)
    assert status["states"]["ready"] == 3 and status["states"]["duplicate"] == 1
    assert status["recent_errors"][0]["file"] == "corrupt.pdf"
    shown = json.loads(
        hoso(["documents", "show", str(docs["scan.pdf"]["id"]), "--json"], hoso_env).stdout
    )
    assert len(shown["page_details"]) == 2 and shown["page_details"][0]["confidence"] > 80
    # The extracted facts are stored with the document and shown.
    truth = make_document(11, pages=2)
    assert shown["doc_type"] == "enforcement_decision" and shown["number"] == truth.number
    assert set(truth.parties) <= {(p["role"], p["name"]) for p in shown["parties"]}
    assert shown["fields"]["number"]["value"] == truth.number and shown["cited"]
    assert docs["scan.pdf"]["number"] == truth.number
    for page in shown["page_details"]:  # every post-correction is kept for the reviewer
        for change in page["corrections"]:
            assert change["before"] != change["after"] and len(change["box"]) == 4


def test_a_killed_watcher_resumes_its_work(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        shutil.copy(
            scans.pdf(f"long{n}.pdf", seed=40 + n, pages=3, kind="clean"), inbox / f"long{n}.pdf"
        )
    env = {**hoso_env, "HOSO_JOBS": "1"}
    watcher = watcher_busy(env, tmp_path / "hoso.db")
    os.killpg(watcher.pid, signal.SIGKILL)  # no clean shutdown: a power cut
    watcher.wait()
    assert not list(inbox.glob("*.pdf")), "originals were taken before the kill"
    proc = watch_once(env)
    assert proc.returncode == 0, proc.stderr
    docs = documents(hoso_env)
    assert [d["state"] for d in docs] == ["ready"] * 3
    assert all(d["pages"] == 3 for d in docs)
    assert any("resuming" in line for line in proc.stderr.splitlines())


def test_workers_end_when_the_watcher_is_killed_alone(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(scans.pdf("alone.pdf", seed=41, pages=3, kind="clean"), inbox / "alone.pdf")
    watcher = watcher_busy(hoso_env, tmp_path / "hoso.db")
    group = watcher.pid  # its own session: the watcher and its workers
    os.kill(watcher.pid, signal.SIGKILL)  # the watcher only, as the OOM killer would
    watcher.wait()
    deadline = time.monotonic() + 20
    while True:  # the workers follow their parent instead of waiting forever on a dead queue
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "workers outlived the killed watcher"
        time.sleep(0.2)


def test_ctrl_c_stops_without_failing_anything(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(scans.pdf("ctrlc.pdf", seed=70, pages=3, kind="clean"), inbox / "ctrlc.pdf")
    watcher = watcher_busy(hoso_env, tmp_path / "hoso.db", capture=True)
    os.killpg(watcher.pid, signal.SIGINT)  # what the terminal sends to the whole group
    _, stderr = watcher.communicate(timeout=120)
    assert watcher.returncode == 0, stderr
    assert not (inbox / "_failed").exists(), "a stopped document is not a failed one"
    proc = watch_once(hoso_env)
    assert proc.returncode == 0, proc.stderr
    assert [d["state"] for d in documents(hoso_env)] == ["ready"]
