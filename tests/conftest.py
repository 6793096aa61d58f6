"""Test-wide environment: a throw-away Airflow home with SQLite metadata, no telemetry, no real delays.

Airflow reads its configuration when first imported, so the variables are set here, at conftest import time,
before any test module imports airflow.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="fzzf-airflow-"))

os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(48),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "GX_ANALYTICS_ENABLED": "False",
        "FZZF_DELAY": "0",
        "FZZF_BACKOFF": "0",
    }
)
# Tests must never reach a channel configured on the developer's machine.
os.environ.pop("FZZF_ALERT_URLS", None)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB for in-process ``dag.test()`` runs (about 3 s, once per session)."""
    airflow = Path(sys.executable).with_name("airflow")
    proc = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _AIRFLOW_HOME


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which turns the groups into node ids
def pytest_collection_modifyitems(config, items):
    """Groups for ``--dist loadgroup`` (make test): each file stays on one worker, as with ``loadfile``, so its
    module fixtures are built once; and every file that uses the reliability ``pipeline`` (a session fixture of
    about 80 s) joins one group, so that long run is built on one worker only, not on each."""
    by_file: dict[str, str] = {}
    for item in items:
        path = item.nodeid.split("::")[0]
        if "pipeline" in getattr(item, "fixturenames", ()):
            by_file[path] = "reliability-pipeline"
        by_file.setdefault(path, path)
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(by_file[item.nodeid.split("::")[0]]))
