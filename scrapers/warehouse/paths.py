"""Where a data directory keeps its warehouse files: every module that opens one asks here, so a move is one edit.

``DATA_DIR/build/warehouse.duckdb`` is the staging warehouse dbt builds into (kept between builds for incremental
dbt); ``DATA_DIR/warehouse.duckdb`` is the published one readers open; ``DATA_DIR/whatif/<as_of>/`` holds a what-if
build's own staged and written files; ``DATA_DIR/docs/`` the dbt docs of the published warehouse (``fzzf docs``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def staged_path(data_dir: Path) -> Path:
    return Path(data_dir) / "build" / "warehouse.duckdb"


def published_path(data_dir: Path) -> Path:
    return Path(data_dir) / "warehouse.duckdb"


def what_if_dir(data_dir: Path, as_of: dt.date) -> Path:
    return Path(data_dir) / "whatif" / as_of.isoformat()


def docs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "docs"
