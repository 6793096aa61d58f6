"""`make airflow` (`fzzf airflow`): airflow standalone on 127.0.0.1 with the project's DAGs, answering its REST API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import Proc, free_port, get_json, wait_for

pytestmark = pytest.mark.integration


def test_fzzf_airflow_serves_the_ui_and_lists_the_dags(tmp_path):
    port = free_port()
    home = tmp_path / "airflow-home"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "FZZF_AIRFLOW_HOME": str(home),
        "FZZF_DATA_DIR": str(tmp_path / "data"),
        # Another Airflow on this machine (a developer's `make airflow`) owns the default log-server ports.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }
    fzzf = str(Path(sys.executable).with_name("fzzf"))
    proc = Proc("standalone", [fzzf, "airflow", "--port", str(port)], env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for(lambda: get_json(f"{base}/api/v2/monitor/health"), 120, "the api-server", [proc])
        assert health["metadatabase"]["status"] == "healthy"

        def dag_ids():
            ids = {d["dag_id"] for d in get_json(f"{base}/api/v2/dags")["dags"]}
            return ids if {"fzzf_collect", "fzzf_warehouse"} <= ids else None

        wait_for(dag_ids, 90, "both DAGs in the REST API", [proc])
        dag = get_json(f"{base}/api/v2/dags/fzzf_warehouse")
        assert dag["owners"] == ["data-eng"] and {t["name"] for t in dag["tags"]} >= {"fzzf", "warehouse"}
        assert (home / "airflow.db").exists()  # project-local home, SQLite, nothing in ~/airflow
        assert not (tmp_path / "airflow").exists()
    finally:
        proc.stop()
    assert proc.popen.returncode is not None
