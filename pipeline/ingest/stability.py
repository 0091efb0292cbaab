"""Decide when a file in the inbox is finished being written.

Scanners and network copies write a file over seconds; taking it early reads half a scan. A file
is taken only once its size and modification time have stayed the same for a configured delay
and it can be opened for reading.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


class StabilityTracker:
    """Remembers candidate files and reports those that have stopped changing."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self.clock = clock
        self._seen: dict[Path, _Seen] = {}

    def touch(self, path: Path) -> None:
        """Note that ``path`` appeared or changed."""
        self._seen.pop(path, None)
        self._observe(path)

    def forget(self, path: Path) -> None:
        """Stop tracking ``path`` (taken, moved away or deleted)."""
        self._seen.pop(path, None)

    def _observe(self, path: Path) -> _Seen | None:
        try:
            stat = path.stat()
        except OSError:
            self._seen.pop(path, None)
            return None
        now = self.clock()
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            seen = _Seen(stat.st_size, stat.st_mtime_ns, now)
            self._seen[path] = seen
        return seen

    def stable(self) -> list[Path]:
        """Files unchanged for the delay and readable now, oldest first; they stay tracked."""
        ready: list[tuple[float, Path]] = []
        for path in list(self._seen):
            seen = self._observe(path)
            if seen is None or self.clock() - seen.since < self.delay:
                continue
            try:
                with path.open("rb"):
                    pass
            except OSError:
                continue
            ready.append((seen.since, path))
        return [path for _, path in sorted(ready)]

    def __len__(self) -> int:
        return len(self._seen)
