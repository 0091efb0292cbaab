"""The one typed, frozen settings object, loaded once per process.

Precedence, highest first: environment variables (``HOSO_INBOX``, ``HOSO_ARCHIVE``,
``HOSO_DATABASE_URL``, ``HOSO_WORK_DIR``, and nested ones such as ``HOSO_OCR__LANGUAGES``), then
the YAML file, then the defaults below. Relative paths in the YAML file are taken relative to the
file's own folder, so the repository's ``config.yaml`` works from any current directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from pipeline.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WatchSettings(_Section):
    """How the inbox is watched."""

    stable_seconds: float = Field(2.0, ge=0, description="size and mtime unchanged this long")
    polling: bool = Field(False, description="poll instead of inotify (network shares)")
    poll_interval: float = Field(1.0, gt=0)
    rescan_seconds: float = Field(30.0, gt=0, description="full inbox rescan as a safety net")
    quarantine: Path | None = Field(None, description="default: <inbox>/_failed")
    incomplete_seconds: float = Field(
        900.0,
        ge=0,
        description="a file whose format has not ended (a stalled writer) is waited for this "
        "long after its last change, then taken and refused as damaged",
    )


class WorkersSettings(_Section):
    """Durable work: how long a worker's claim on a document lasts, and how often it is tried."""

    lease_seconds: float = Field(
        60.0, ge=5, description="a claim lasts this long unless renewed; then others may take it"
    )
    max_attempts: int = Field(3, ge=1, description="tries before a document is failed for good")
    retry_seconds: float = Field(30.0, ge=0, description="wait before a retry, doubled each time")
    engine: Literal["local", "celery"] = Field(
        "local",
        description="local: the watcher's own process pool; celery: `hoso worker`s on a broker",
    )
    broker: str = Field(
        "redis://127.0.0.1:6379/0", description="Celery's broker: redis://... or amqp://..."
    )
    fanout_pages: int = Field(
        8, ge=2, description="a document with this many pages is read page by page by all workers"
    )
    tasks_per_child: int = Field(
        0, ge=0, description="a Celery worker child is replaced after this many tasks; 0 never"
    )
    memory_per_child_mb: int = Field(
        1500, ge=0, description="a Celery worker child is replaced above this memory; 0 never"
    )
    spool: Path | None = Field(
        None, description="shared work folder all workers mount; default <archive>/.spool"
    )


class OcrSettings(_Section):
    """Tesseract and rasterisation."""

    engine: Literal["vote", "tesseract", "trueocr"] = Field(
        "vote", description="vote: Tesseract and trueocr read each line; or either alone"
    )
    languages: str = "vie"
    tessdata: Path = Path("ocr_models")
    page_timeout: float = Field(180.0, gt=0, description="seconds for one page's OCR")
    render_dpi: int = Field(300, ge=72, le=1200)
    default_image_dpi: int = Field(300, ge=72, le=1200, description="for images without DPI")
    min_native_dpi: int = Field(150, ge=50)
    max_native_dpi: int = Field(700, ge=100)
    text_layer_min_chars: int = Field(
        20, ge=1, description="a page with this much text has a text layer"
    )
    redo_text_pages: bool = False
    correct: bool = Field(True, description="Vietnamese post-correction of unsure words")
    lexicon: Path = Path("ocr_models/lexicon")
    flag_below: float = Field(
        60.0, ge=0, le=100, description="words read less surely are highlighted for review"
    )


class ImagingSettings(_Section):
    """Preprocessing stages applied to the image Tesseract reads (the archived page is kept)."""

    colour: bool = Field(True, description="read through red seals and blue ink")
    orientation: bool = Field(True, description="turn pages fed sideways or upside down")
    photo: bool = Field(True, description="find the sheet in phone photos, undo perspective")
    light: bool = Field(True, description="flatten shadows, strengthen faded toner")
    deskew: bool = True
    denoise_above_sigma: float = Field(0, ge=0, description="0: never; median on noisy pages")
    binarize: bool = Field(False, description="Sauvola's threshold instead of Tesseract's")
    upscale_below_dpi: float = Field(0, ge=0, description="0: never upscale")
    downscale_above_dpi: float = Field(
        400, ge=0, description="pages finer than this are read at 300 dpi; 0: never"
    )


class OutputSettings(_Section):
    """The searchable PDF."""

    pdfa: bool = True
    keep_work: bool = False


class ProgramSettings(_Section):
    """Time limits of helper programs, in seconds."""

    poppler_timeout: float = Field(120.0, gt=0)
    database_timeout: float = Field(15.0, gt=0)


class OfficerKey(_Section):
    """One officer's own key and the name and title their stamp shows."""

    pkcs12: Path | None = None
    passphrase_env: str = "HOSO_SIGNING_PASSPHRASE"
    pkcs11_module: Path | None = None
    token_label: str = ""
    key_label: str = ""
    pin_env: str = "HOSO_TOKEN_PIN"
    signer_name: str = ""
    title: str = ""


class SigningSettings(_Section):
    """Whose key signs, how, and which roots a signature must chain to.

    The passphrase is never here: it comes from the environment variable ``passphrase_env``
    (the development key made by ``hoso keys init`` keeps its own beside it).
    """

    pkcs12: Path = Field(Path("var/keys/dev-signer.p12"), description="the officer's key file")
    pkcs11_module: Path | None = Field(None, description="a token's PKCS#11 driver; used if set")
    token_label: str = ""
    key_label: str = ""
    pin_env: str = "HOSO_TOKEN_PIN"
    passphrase_env: str = "HOSO_SIGNING_PASSPHRASE"
    dev_passphrase_file: Path | None = Path("var/keys/dev-signer.pass")
    trust_roots: tuple[Path, ...] = (Path("var/keys/dev-ca.pem"),)
    level: Literal["B-B", "B-T", "B-LT"] = "B-B"
    tsa_url: str = ""
    timeout: float = Field(30.0, gt=0, description="seconds for the timestamp authority")
    signer_name: str = "Cán bộ ký thử (development)"
    title: str = ""
    office: str = ""
    font: Path = Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf")
    # Per officer (by user name): their own key and stamp; others use the key above.
    officers: dict[str, OfficerKey] = Field(default_factory=dict)


class WebSettings(_Section):
    """The web interface (``hoso serve``, ``make run``)."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    language: Literal["vi", "en"] = Field("vi", description="interface language by default")
    session_hours: float = Field(10.0, gt=0, description="a log-in lasts this long")
    secure_cookies: bool = Field(False, description="true behind HTTPS: cookies only over TLS")
    login_attempts: int = Field(5, ge=1, description="failed log-ins allowed per window")
    login_window_seconds: float = Field(900.0, gt=0, description="the window, per user name")
    max_upload_mb: int = Field(200, ge=1, description="largest file a clerk may upload")
    max_request_mb: int = Field(1000, ge=1, description="one upload request, all its files")
    watch: bool = Field(True, description="`hoso serve` also runs the inbox watcher")


class Settings(BaseSettings):
    """Everything hoso reads from configuration; never mutated after loading."""

    model_config = SettingsConfigDict(
        frozen=True, env_prefix="HOSO_", env_nested_delimiter="__", extra="forbid"
    )

    inbox: Path = Path("inbox")
    archive: Path = Path("archive")
    work_dir: Path = Path("var/work")
    database_url: str = "sqlite:///var/hoso.db"
    jobs: int = Field(0, ge=0, description="worker processes; 0 means one per CPU")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    watch: WatchSettings = WatchSettings()
    workers: WorkersSettings = WorkersSettings()
    ocr: OcrSettings = OcrSettings()
    imaging: ImagingSettings = ImagingSettings()
    output: OutputSettings = OutputSettings()
    programs: ProgramSettings = ProgramSettings()
    signing: SigningSettings = SigningSettings()
    web: WebSettings = WebSettings()
    user: str = Field("", description="who the CLI acts as when --user is not given")
    base_dir: Path = Field(REPO_ROOT, description="relative paths are resolved against this")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Let the environment override what the YAML file (passed as init values) says."""
        return (env_settings, init_settings)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql:// database URLs are supported")
        return value

    def path(self, value: Path) -> Path:
        """Resolve a configured path against the configuration's base folder."""
        return value if value.is_absolute() else (self.base_dir / value).resolve()

    @property
    def inbox_dir(self) -> Path:
        """The watched inbox."""
        return self.path(self.inbox)

    @property
    def archive_dir(self) -> Path:
        """The archive root."""
        return self.path(self.archive)

    @property
    def originals_dir(self) -> Path:
        """Immutable originals, named by their SHA-256."""
        return self.archive_dir / "originals"

    @property
    def documents_dir(self) -> Path:
        """Searchable PDFs, one folder per batch."""
        return self.archive_dir / "documents"

    @property
    def work_root(self) -> Path:
        """Per-job work folders."""
        return self.path(self.work_dir)

    @property
    def spool_dir(self) -> Path:
        """Work shared by the machines of a Celery cluster: plans and pages of fanned-out documents.

        It must be on the shared mount every worker sees, as the archive is.
        """
        if self.workers.spool is None:
            return self.archive_dir / ".spool"
        return self.path(self.workers.spool)

    @property
    def previews_dir(self) -> Path:
        """Page images rendered for the web viewer (a cache: safe to delete)."""
        return self.work_root / "previews"

    @property
    def quarantine_dir(self) -> Path:
        """Where files that could not be processed are put, with a note of why."""
        if self.watch.quarantine is None:
            return self.inbox_dir / "_failed"
        return self.path(self.watch.quarantine)

    @property
    def tessdata_dir(self) -> Path:
        """The tessdata folder hoso reads models from."""
        return self.path(self.ocr.tessdata)

    @property
    def keys_dir(self) -> Path:
        """Where ``hoso keys init`` writes the development PKI."""
        return self.path(Path("var/keys"))

    @property
    def lexicon_dir(self) -> Path:
        """Where the Vietnamese lexicon for post-correction is installed."""
        return self.path(self.ocr.lexicon)

    @property
    def resolved_database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the base folder."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and not self.database_url.startswith(prefix + "/"):
            rest = self.database_url[len(prefix) :]
            if rest and rest != ":memory:":
                return prefix + str(self.path(Path(rest)))
        return self.database_url

    @property
    def worker_count(self) -> int:
        """How many worker processes to run."""
        return self.jobs or (os.cpu_count() or 1)


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    """Read the YAML file once and build the frozen settings.

    Args:
        config_path: the file to read; ``HOSO_CONFIG`` or the repository's ``config.yaml`` when
            not given. A missing default file is fine (defaults apply); a missing file that was
            asked for by name is an error.
        **overrides: values that win over the file (used by tests).
    """
    explicit = config_path or (
        Path(os.environ["HOSO_CONFIG"]) if os.environ.get("HOSO_CONFIG") else None
    )
    path = (explicit or DEFAULT_CONFIG).expanduser().resolve()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(
                f"The configuration file {path} cannot be read ({exc}). "
                "Fix the file or choose another with --config."
            ) from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"The configuration file {path} must be a mapping of settings.")
        data = dict(loaded or {})
        data.setdefault("base_dir", path.parent)
    elif explicit is not None:
        raise ConfigError(
            f"The configuration file {path} does not exist. "
            "Check the path given with --config or HOSO_CONFIG."
        )
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"The configuration in {path} is not valid: {problems}.") from exc
