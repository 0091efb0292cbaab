"""``hoso process`` and the read commands, through the real installed command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import Scans
from tests.synthetic import make_document
from tests.synthetic.metrics import cer

HOSO = [str(Path(sys.executable).parent / "hoso")]


def run(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        HOSO + args, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def test_process_json_follows_the_format(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    pdf, jpeg = scans.pdf(), scans.jpeg()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage")
    out = tmp_path / "out"
    proc = run(
        ["process", "--jobs", "2", "--json", "--out", str(out), str(pdf), str(broken), str(jpeg)],
        hoso_env,
    )
    assert proc.returncode == 1, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [Path(item["file"]).name for item in lines] == ["scan.pdf", "broken.pdf", "photo.jpg"]
    keys = {
        "file",
        "pages",
        "doc_type",
        "number",
        "cited",
        "issuer",
        "date",
        "case_type",
        "parties",
        "amounts",
        "error",
        "printed_number",
        "fields",
        "flags",
    }
    for item in lines:
        assert set(item) == keys
    ok, bad, photo = lines
    # The generated scan is an enforcement decision: its facts are extracted from the OCR text.
    truth = make_document(11, pages=2)
    assert ok["doc_type"] == "enforcement_decision" and ok["number"] == truth.number
    assert ok["case_type"] == "THADS" and ok["issuer"].startswith("Chi cục Thi hành án dân sự")
    assert set(truth.parties) <= {(p["role"], p["name"]) for p in ok["parties"]}
    assert ok["fields"]["number"]["page"] == 0 and ok["fields"]["number"]["box"] is not None
    assert bad["fields"] is None and bad["parties"] == [] and bad["cited"] == []
    assert ok["error"] is None and len(ok["pages"]) == 2
    assert all(isinstance(p["confidence"], float) for p in ok["pages"])
    # Every page has its quality verdict; a clean scan earns no flag and no turn.
    assert [p["quality"]["verdict"] for p in ok["pages"]] == ["ok", "ok"]
    assert [p["turned"] for p in ok["pages"]] == [0, 0] and ok["flags"] == []
    errors, total = cer(scans.truth["scan.pdf"][0], ok["pages"][0]["text"])
    assert errors / total < 0.02
    assert "broken.pdf" in bad["error"] and bad["pages"] == []
    assert photo["error"] is None
    assert sorted(p.name for p in out.iterdir()) == ["photo.pdf", "scan.pdf"]
    assert not any((tmp_path / "work").glob("*/*")), "work folders are cleaned up"


def test_process_one_good_file_exits_zero(scans: Scans, hoso_env: dict[str, str]) -> None:
    proc = run(["process", "--jobs", "1", str(scans.jpeg())], hoso_env)
    assert proc.returncode == 0, proc.stderr
    assert "photo.jpg: 1 page(s)" in proc.stdout


def test_python_dash_m_and_plain_errors(hoso_env: dict[str, str], tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "--config", str(tmp_path / "nope.yaml"), "status"],
        capture_output=True,
        text=True,
        env=hoso_env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = run(["documents", "show", "42"], hoso_env)
    assert proc.returncode == 9 and "There is no document 42" in proc.stderr


def test_doctor_reports_versions(hoso_env: dict[str, str]) -> None:
    proc = run(["doctor"], hoso_env)
    assert proc.returncode == 0, proc.stderr
    assert "tesseract (library) 5." in proc.stdout and "vie.traineddata" in proc.stdout
    assert shutil.which("pdftoppm")
