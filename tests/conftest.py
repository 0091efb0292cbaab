"""Shared fixtures: settings in a temporary folder and generated scans of every supported kind."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import img2pdf
import pytest
from PIL import Image, ImageOps

from pipeline.settings import REPO_ROOT, Settings, load_settings
from tests.synthetic import degrade, make_document, render_page

TESSDATA = REPO_ROOT / "ocr_models"


def pytest_configure(config: pytest.Config) -> None:
    if not (TESSDATA / "vie.traineddata").is_file():
        raise pytest.UsageError(
            "The OCR models are not installed; run `make test`, which "
            "installs them, or `make models`."
        )


def settings_for(root: Path, **overrides: Any) -> Settings:
    """Settings whose inbox, archive, database and work folder live in ``root``."""
    values: dict[str, Any] = {
        "inbox": root / "inbox",
        "archive": root / "archive",
        "work_dir": root / "work",
        "database_url": f"sqlite:///{root}/hoso.db",
        "jobs": 2,
        "base_dir": REPO_ROOT,
        "watch": {"stable_seconds": 0.3, "poll_interval": 0.2},
        "ocr": {"tessdata": str(TESSDATA)},
    }
    values.update(overrides)
    return load_settings(REPO_ROOT / "config.yaml", **values)


def environment_for(root: Path) -> dict[str, str]:
    """Environment for running the real ``hoso`` command against ``root`` (the same office)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
    env.update(
        {
            "HOSO_INBOX": str(root / "inbox"),
            "HOSO_ARCHIVE": str(root / "archive"),
            "HOSO_DATABASE_URL": f"sqlite:///{root}/hoso.db",
            "HOSO_WORK_DIR": str(root / "work"),
            "HOSO_WATCH__STABLE_SECONDS": "0.3",
            "HOSO_WATCH__POLL_INTERVAL": "0.2",
            # A damaged file that never ends is refused after 6 s unchanged (not 15 min);
            # the stalled-writer test pauses 3 s between its chunks.
            "HOSO_WATCH__INCOMPLETE_SECONDS": "6",
            "HOSO_JOBS": "2",
        }
    )
    return env


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings in ``tmp_path``, with overrides."""
    return lambda **overrides: settings_for(tmp_path, **overrides)


@pytest.fixture
def hoso_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real ``hoso`` command against ``tmp_path``."""
    return environment_for(tmp_path)


class Scans:
    """Generated scan files and their true text, made once per test session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.truth: dict[str, list[str]] = {}

    def _pages(self, seed: int, pages: int, kind: str = "clean") -> list[tuple[Image.Image, str]]:
        doc = make_document(seed, pages=pages)
        out = []
        for index in range(pages):
            rendered = render_page(doc, index)
            out.append((degrade(rendered.image, kind, seed + index), rendered.text))
        return out

    def pdf(
        self, name: str = "scan.pdf", seed: int = 11, pages: int = 2, kind: str = "office_copy"
    ) -> Path:
        path = self.folder / name
        if not path.exists():
            items = self._pages(seed, pages, kind)
            blobs = []
            for image, _ in items:
                buf = io.BytesIO()
                image.save(buf, "JPEG", quality=85, dpi=(300, 300))
                blobs.append(buf.getvalue())
            path.write_bytes(img2pdf.convert(blobs))
            self.truth[name] = [text for _, text in items]
        return path

    def tiff_g4(self, name: str = "fax.tif", seed: int = 12, pages: int = 2) -> Path:
        path = self.folder / name
        if not path.exists():
            items = self._pages(seed, pages, "bilevel")
            frames = [image.convert("1") for image, _ in items]
            frames[0].save(
                path, save_all=True, append_images=frames[1:], compression="group4", dpi=(200, 200)
            )
            self.truth[name] = [text for _, text in items]
        return path

    def jpeg(self, name: str = "photo.jpg", seed: int = 13, kind: str = "noise") -> Path:
        path = self.folder / name
        if not path.exists():
            ((image, text),) = self._pages(seed, 1, kind)
            image.save(path, "JPEG", quality=85, dpi=(300, 300))
            self.truth[name] = [text]
        return path

    def mirrored(self, name: str = "guong.png", seed: int = 15) -> Path:
        """A page scanned through the glass the wrong way: mirrored, unreadable whichever way up."""
        path = self.folder / name
        if not path.exists():
            ((image, text),) = self._pages(seed, 1, "clean")
            ImageOps.mirror(image).save(path, dpi=(300, 300))
            self.truth[name] = [text]
        return path

    def png_alpha(self, name: str = "alpha.png", seed: int = 14) -> Path:
        path = self.folder / name
        if not path.exists():
            ((image, text),) = self._pages(seed, 1)
            rgba = image.convert("RGBA")
            rgba.putalpha(255)
            rgba.save(path, dpi=(300, 300))
            self.truth[name] = [text]
        return path


@pytest.fixture(scope="session")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Scans:
    return Scans(tmp_path_factory.mktemp("scans"))


def postgres_url() -> str:
    return os.environ.get(
        "HOSO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A PostgreSQL URL confined to a fresh schema, dropped afterwards.

    Skips when no server answers, except under CI (CI=true), where it must run.
    """
    import psycopg

    base = postgres_url()
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    try:
        conn = psycopg.connect(plain, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL is not reachable at {base} ({exc}); set HOSO_TEST_POSTGRES_URL")
    schema = f"hoso_test_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test (see ``postgres_schema``)."""
    with postgres_schema() as url:
        yield url
