"""``hoso``: process scans, watch the inbox, review, sign, search, serve the web interface.

The commands live in one module per area; importing them registers them on the root app.
"""

from __future__ import annotations

from pipeline.cli import (  # noqa: F401  (imported for the commands they register)
    accounts,
    admin,
    cases,
    documents,
    processing,
    search,
    signing,
    web,
)
from pipeline.cli.common import app

__all__ = ["app"]
