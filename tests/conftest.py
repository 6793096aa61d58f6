"""Test-wide environment: a throw-away Airflow home with SQLite metadata, no telemetry, no real delays.

Airflow reads its configuration when first imported, so the variables are set here, at conftest import time,
before any test module imports airflow.
"""

from __future__ import annotations

import functools
import os
import re
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


_USES_PIPELINE = re.compile(r"def \w+\([^)]*\bpipeline\b")  # a test or a fixture of the file takes it


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (make test), except that every file whose tests take the reliability ``pipeline`` (a
    session fixture of about 80 s) shares one scope: that long run is then built on one worker, not on each.
    (xdist's own ``loadgroup`` cannot do this with pytest 9: it rewrites ``item._nodeid``, which pytest 9 dropped.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "reliability-pipeline" if _uses_pipeline(path) else path

    return FileScheduling(config, log)


@functools.cache
def _uses_pipeline(path: str) -> bool:
    file = Path(__file__).resolve().parent.parent / path
    return file.suffix == ".py" and file.exists() and bool(_USES_PIPELINE.search(file.read_text(encoding="utf-8")))
