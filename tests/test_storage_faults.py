"""A full or read-only archive is a fault to wait out, not a verdict on the file.

The archive is a small tmpfs mounted for the test (needs root; skipped otherwise, with the
reason). A scan dropped while the archive is full, then while it is read-only, stays in the
inbox with the watcher alive, and is archived and read once the storage is back.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Scans
from tests.test_watch import HOSO, db_states


def _mount(target: Path, options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )


def _remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True)


@pytest.fixture
def small_archive(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "archive"
    target.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for the archive needs root")
    mounted = _mount(target, "size=64k")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()})")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def wait_for(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(what)


def test_a_full_then_read_only_archive_is_waited_out(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str], small_archive: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    db = tmp_path / "hoso.db"
    first = scans.pdf("full.pdf", seed=91, pages=1, kind="office_copy")
    second = scans.pdf("readonly.pdf", seed=92, pages=1, kind="office_copy")
    assert first.stat().st_size > 64 * 1024  # larger than the archive's room
    log = (tmp_path / "watch.log").open("w")
    watcher = subprocess.Popen(
        [HOSO, "watch"], env=hoso_env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        shutil.copy(first, inbox / "full.pdf")
        time.sleep(6)  # several tries against a full disk
        assert watcher.poll() is None, "the watcher died on a full disk"
        assert (inbox / "full.pdf").exists(), "the file must wait in the inbox"
        assert db_states(db) == []
        assert not (inbox / "_failed").exists(), "a storage fault is not the file's fault"
        _remount(small_archive, "size=50m")  # space is back
        wait_for(lambda: db_states(db) == ["ready"], 180, "not archived after space came back")
        assert not (inbox / "full.pdf").exists()

        _remount(small_archive, "ro")
        shutil.copy(second, inbox / "readonly.pdf")
        time.sleep(6)
        assert watcher.poll() is None, "the watcher died on a read-only archive"
        assert (inbox / "readonly.pdf").exists()
        assert db_states(db) == ["ready"]
        _remount(small_archive, "rw")
        wait_for(lambda: db_states(db) == ["ready", "ready"], 180, "not archived after rw")
    finally:
        os.killpg(watcher.pid, signal.SIGINT)
        watcher.wait(timeout=60)
    originals = list((small_archive / "originals").rglob("*"))
    assert not [p for p in originals if p.name.startswith(".incoming")]  # no leftovers
    assert len([p for p in originals if p.is_file()]) == 2
