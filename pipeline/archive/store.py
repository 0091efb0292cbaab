"""Durable file writes: temp file, fsync, rename, fsync of the folder. Nothing is overwritten."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import StorageError, TooLarge

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


@dataclass(frozen=True)
class StoredFile:
    """A file safely in the archive."""

    path: Path
    sha256: str
    size: int
    created: bool  # False when identical bytes were already stored there


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks so large scans do not fill memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: Path) -> None:
    """Remove a temporary or abandoned file; never raises.

    Cleanup runs on error paths, often because the storage just failed (read-only, full, gone):
    a cleanup that raised there would replace the real error, or end the watcher. What cannot
    be removed now is a leftover that the next run on the same document removes.
    """
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove %s (%s); it is left for later", path, exc.strerror or exc)


def safe_name(name: str, limit: int = 120) -> str:
    """A file or folder name that is portable but keeps Vietnamese letters (NFC)."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" ._") or "file"
    return cleaned[:limit]


def store_original(source: Path, originals_dir: Path, suffix: str) -> StoredFile:
    """Copy ``source`` into ``originals_dir/<aa>/<sha256><suffix>`` without ever overwriting.

    The hash is computed while copying, so the file is read once; the copy is then made durable
    and renamed into place. If a file with that hash is already stored, the copy is dropped.
    """
    originals_dir.mkdir(parents=True, exist_ok=True)
    tmp = originals_dir / f".incoming-{os.getpid()}-{os.urandom(4).hex()}"
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as src, tmp.open("xb") as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        sha = digest.hexdigest()
        final = originals_dir / sha[:2] / f"{sha}{suffix}"
        final.parent.mkdir(exist_ok=True)
        if final.exists():
            discard(tmp)
            return StoredFile(final, sha, size, created=False)
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return StoredFile(final, sha, size, created=True)
    except OSError as exc:
        discard(tmp)
        raise StorageError(
            f"The file {source.name} could not be copied into the archive "
            f"({exc.strerror or exc}). Check free space and permissions of "
            f"{originals_dir}."
        ) from exc


def place_file(source: Path, target: Path) -> StoredFile:
    """Move a finished file to ``target`` durably; refuses to overwrite an existing file."""
    staged, sha = stage_file(source, target.parent, "place")
    try:
        link_into_place(staged, target)
    finally:
        discard(staged)
    return StoredFile(target, sha, target.stat().st_size, created=True)


def stage_file(source: Path, folder: Path, tag: str) -> tuple[Path, str]:
    """Copy ``source`` durably into ``folder`` under a hidden name only this writer uses.

    The slow part of filing (copy, fsync, hash) done before the transaction that records the
    file, so a database's write lock is never held while a large PDF is copied. Returns the
    staged path and its SHA-256; :func:`link_into_place` gives it its final name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f".{source.name}.{tag}.tmp"
    try:
        shutil.copyfile(source, staged)
        with staged.open("rb+") as handle:
            os.fsync(handle.fileno())
        return staged, sha256_of(staged)
    except OSError as exc:
        discard(staged)
        raise StorageError(
            f"The file {source.name} could not be written to the archive ({exc.strerror or exc})."
        ) from exc


def link_into_place(staged: Path, target: Path) -> None:
    """Give a staged file the name ``target``, never over an existing file, durably.

    A hard link is atomic and fails if the name is taken; on a share without hard links the
    name is checked and the file renamed (the caller's lease keeps other writers off).
    """
    try:
        try:
            os.link(staged, target)
        except FileExistsError:
            raise
        except OSError:
            if target.exists():
                raise FileExistsError(target) from None
            os.rename(staged, target)
        _fsync_dir(target.parent)
    except FileExistsError as exc:
        raise StorageError(
            f"The archive already holds {target}; hoso never overwrites archived files."
        ) from exc
    except OSError as exc:
        raise StorageError(
            f"The file {target.name} could not be written to the archive ({exc.strerror or exc})."
        ) from exc
    discard(staged)


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/name (2)`` and so on when that is taken."""
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def write_stream(stream: BinaryIO, target: Path, limit: int) -> StoredFile:
    """Write ``stream`` to ``target`` durably (hidden temp file, fsync, rename), never over a file.

    A watcher never sees a half-written file: the temporary name starts with a dot, which the
    inbox ignores. More than ``limit`` bytes is refused and nothing is left behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.urandom(4).hex()}.part")
    digest = hashlib.sha256()
    size = 0
    try:
        with tmp.open("xb") as dst:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(
                        f"The file {target.name} is larger than {limit // (1 << 20)} MB, the "
                        "most one upload may hold; split the scan or ask an admin to raise "
                        "web.max_upload_mb."
                    )
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if target.exists():
            raise StorageError(f"{target} exists already; nothing was overwritten.")
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise StorageError(
            f"The file {target.name} could not be written to {target.parent} "
            f"({exc.strerror or exc}). Check free space and permissions."
        ) from exc
    finally:
        discard(tmp)
    return StoredFile(target, digest.hexdigest(), size, created=True)
