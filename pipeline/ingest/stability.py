"""Decide when a file in the inbox is finished being written.

Scanners and network copies write a file over seconds; taking it early reads half a scan. A file
is taken only once its size and modification time have stayed the same for a configured delay
and it can be opened for reading.
"""

from __future__ import annotations

import stat
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
        """Note that ``path`` appeared or may have changed.

        The wait restarts only if its size or time did change: reading a file (hoso's own
        checks of it) raises file-system events too, and those must not keep it waiting.
        """
        self._observe(path)

    def forget(self, path: Path) -> None:
        """Stop tracking ``path`` (taken, moved away or deleted)."""
        self._seen.pop(path, None)

    def _observe(self, path: Path) -> _Seen | None:
        try:
            info = path.lstat()  # a link is judged as a link, never by what it points to
        except OSError:
            self._seen.pop(path, None)
            return None
        now = self.clock()
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (info.st_size, info.st_mtime_ns):
            seen = _Seen(info.st_size, info.st_mtime_ns, now)
            self._seen[path] = seen
        return seen

    def stable(self) -> list[Path]:
        """Files unchanged for the delay and readable now, oldest first; they stay tracked."""
        ready: list[tuple[float, Path]] = []
        for path in list(self._seen):
            seen = self._observe(path)
            if seen is None or self.clock() - seen.since < self.delay:
                continue
            if _regular(path):  # never open a FIFO or a device: that can wait for ever
                try:
                    with path.open("rb"):
                        pass
                except PermissionError:
                    pass  # taken now, and refused with a note, rather than waited for silently
                except OSError:
                    continue
            ready.append((seen.since, path))
        return [path for _, path in sorted(ready)]

    def unchanged_for(self, path: Path) -> float:
        """Seconds since ``path`` was last seen to change (0 when it is not tracked)."""
        seen = self._seen.get(path)
        return 0.0 if seen is None else self.clock() - seen.since

    def __len__(self) -> int:
        return len(self._seen)


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False
