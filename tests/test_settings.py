from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.errors import ConfigError
from pipeline.settings import REPO_ROOT, load_settings


def test_repository_config_loads_with_paths_under_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("HOSO_INBOX", "HOSO_ARCHIVE", "HOSO_DATABASE_URL", "HOSO_WORK_DIR", "HOSO_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert settings.inbox_dir == REPO_ROOT / "inbox"
    assert settings.quarantine_dir == REPO_ROOT / "inbox" / "_failed"
    assert settings.resolved_database_url == f"sqlite:///{REPO_ROOT}/var/hoso.db"
    assert settings.ocr.languages == "vie"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_INBOX", str(tmp_path / "in"))
    monkeypatch.setenv("HOSO_ARCHIVE", str(tmp_path / "arc"))
    monkeypatch.setenv("HOSO_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("HOSO_WORK_DIR", str(tmp_path / "w"))
    monkeypatch.setenv("HOSO_OCR__LANGUAGES", "vie+eng")
    settings = load_settings()
    assert settings.inbox_dir == tmp_path / "in"
    assert settings.quarantine_dir == tmp_path / "in" / "_failed"
    assert settings.archive_dir == tmp_path / "arc"
    assert settings.originals_dir == tmp_path / "arc" / "originals"
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.work_root == tmp_path / "w"
    assert settings.ocr.languages == "vie+eng"


def test_relative_paths_follow_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOSO_INBOX", raising=False)
    config = tmp_path / "office" / "hoso.yaml"
    config.parent.mkdir()
    config.write_text("inbox: scans\nwatch:\n  stable_seconds: 5\n", encoding="utf-8")
    monkeypatch.setenv("HOSO_CONFIG", str(config))
    settings = load_settings()
    assert settings.inbox_dir == tmp_path / "office" / "scans"
    assert settings.watch.stable_seconds == 5


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.jobs = 7  # type: ignore[misc]


def test_errors_are_plain(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("watch:\n  stable_seconds: -1\n  colour: red\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"watch\.stable_seconds.*watch\.colour"):
        load_settings(bad)
