import os
from pathlib import Path

from pipeline.ingest.stability import StabilityTracker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_taken_only_after_it_stops_changing(tmp_path: Path) -> None:
    clock = Clock()
    tracker = StabilityTracker(2.0, clock)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 part")
    tracker.touch(scan)
    assert tracker.stable() == []
    clock.now += 1.5
    with scan.open("ab") as handle:  # still being copied
        handle.write(b" more")
    os.utime(scan, ns=(0, 5_000_000_000))
    assert tracker.stable() == []
    clock.now += 1.9
    assert tracker.stable() == []
    clock.now += 0.2
    assert tracker.stable() == [scan]


def test_vanished_files_are_forgotten(tmp_path: Path) -> None:
    clock = Clock()
    tracker = StabilityTracker(0.0, clock)
    scan = tmp_path / "gone.pdf"
    scan.write_bytes(b"x")
    tracker.touch(scan)
    scan.unlink()
    assert tracker.stable() == []
    assert len(tracker) == 0


def test_oldest_stable_file_comes_first(tmp_path: Path) -> None:
    clock = Clock()
    tracker = StabilityTracker(1.0, clock)
    first, second = tmp_path / "b.pdf", tmp_path / "a.pdf"
    first.write_bytes(b"1")
    tracker.touch(first)
    clock.now += 0.5
    second.write_bytes(b"2")
    tracker.touch(second)
    clock.now += 5
    assert tracker.stable() == [first, second]
