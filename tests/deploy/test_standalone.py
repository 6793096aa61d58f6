"""`make airflow` (`fzzf airflow`) with a registry named: Airflow's components on 127.0.0.1 with the project's DAGs,
answering its REST API, listening on loopback only, and stopping cleanly on SIGTERM (issue 22, items 2 and 10)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from .conftest import Proc, descendants, free_port, get_json, listening, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

FZZF = str(Path(sys.executable).with_name("fzzf"))


def test_fzzf_airflow_with_a_registry_serves_the_ui_on_loopback_and_stops_cleanly(tmp_path):
    from scrapers.demo.portal import DemoPortal

    port = free_port()
    home = tmp_path / "airflow-home"
    with DemoPortal() as portal:
        registry = tmp_path / "registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "FZZF_REGISTRY": str(registry),
            "FZZF_AIRFLOW_HOME": str(home),
            "FZZF_DATA_DIR": str(tmp_path / "data"),
            "FZZF_COLLECT_SCHEDULE": "none",  # a first start runs the day's crawl at once; this test only looks
            # No log-server ports: the local Airflow starts none, so a developer's own `make airflow` cannot clash.
        }
        proc = Proc("fzzf-airflow", [FZZF, "airflow", "--port", str(port)], env, tmp_path, cwd=tmp_path)
        base = f"http://127.0.0.1:{port}"
        try:
            health = wait_for(lambda: get_json(f"{base}/api/v2/monitor/health"), 240, "the api-server", [proc])
            assert health["metadatabase"]["status"] == "healthy"

            def dags():
                found = {d["dag_id"]: d for d in get_json(f"{base}/api/v2/dags")["dags"]}
                return found if {"fzzf_collect", "fzzf_warehouse", "fzzf_resolve"} <= set(found) else None

            found = wait_for(dags, 90, "the three DAGs in the REST API", [proc])
            # The pair that needs each other is unpaused together; the monthly resolve waits for a person.
            paused = {dag_id: d["is_paused"] for dag_id, d in found.items()}
            assert paused == {"fzzf_collect": False, "fzzf_warehouse": False, "fzzf_resolve": True}
            dag = get_json(f"{base}/api/v2/dags/fzzf_warehouse")
            assert dag["owners"] == ["data-eng"] and {t["name"] for t in dag["tags"]} >= {"fzzf", "warehouse"}
            assert (home / "airflow.db").exists()  # project-local home, SQLite, nothing in ~/airflow
            assert not (tmp_path / "airflow").exists()

            # The README: 127.0.0.1 only. Airflow's own log servers would hold *:8793 and *:8794.
            sockets = wait_for(lambda: listening(descendants(proc.popen.pid)), 30, "listening sockets", [proc])
            assert ("127.0.0.1", port) in sockets
            assert {address for address, _ in sockets} == {"127.0.0.1"}, sockets

            components = descendants(proc.popen.pid) - {proc.popen.pid}
            proc.popen.send_signal(signal.SIGTERM)
            code = proc.popen.wait(timeout=90)
        finally:
            proc.stop()
    output = proc.log.read_text(encoding="utf-8")
    assert code == 0, output[-3000:]
    assert output.strip().splitlines()[-1].startswith("fzzf airflow: stopped (api-server, scheduler"), output[-2000:]
    assert "Traceback" not in output
    assert not [pid for pid in components if Path(f"/proc/{pid}").exists()], "components left running"


def test_a_data_dir_without_a_registry_is_refused_before_anything_starts(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FZZF_DATA_DIR": str(tmp_path / "real")}
    work = tmp_path / "checkout"
    work.mkdir()
    proc = Proc("fzzf-airflow", [FZZF, "airflow", "--port", str(free_port())], env, tmp_path, cwd=work)
    try:
        code = proc.popen.wait(timeout=60)
    finally:
        proc.stop()
    output = proc.log.read_text(encoding="utf-8")
    assert code == 2, output[-2000:]
    assert "FZZF_REGISTRY" in output and "Traceback" not in output
    assert not (tmp_path / "real").exists() and list(work.iterdir()) == []  # no data/demo either
