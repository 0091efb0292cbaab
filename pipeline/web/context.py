"""What every request handler shares: settings, database and the running tasks."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.records.database import Database
from pipeline.settings import Settings
from pipeline.web.tasks import Tasks


@dataclass(frozen=True)
class Web:
    """The web application's state, made once when the application is built."""

    settings: Settings
    db: Database
    tasks: Tasks
