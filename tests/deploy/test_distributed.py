"""The scaled-out topology, natively: PostgreSQL metadata, CeleryExecutor on Redis, an api-server, a scheduler, a
dag-processor and two Celery workers as separate processes; one full run of both DAGs against the demo portal.

The same settings as docker-compose.yml (``scrapers.orchestration.airflow_local.celery_env``), on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from scrapers.orchestration.airflow_local import airflow_bin, airflow_env, celery_env, ensure_setup

from .conftest import Proc, free_port, get_json, wait_for

pytestmark = [pytest.mark.distributed, pytest.mark.integration, pytest.mark.timeout(480)]

PG_DB = "fzzf_airflow_test"
REDIS_DB = 11  # dedicated: other users of the local Redis keep db 0
WORKERS = ("worker-a", "worker-b")
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module", autouse=True)
def celery_provider_imports():
    """A venv made before the celery pin (5.7.0 breaks providers-celery 3.26.0) cannot start a worker."""
    import subprocess
    import sys

    probe = "import airflow.providers.celery.executors.celery_executor_utils"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        message = "the Celery provider does not import: " + proc.stderr.strip().splitlines()[-1]
        if os.environ.get("CI"):  # CI installs from the pins: there, this is a failure
            pytest.fail(message)
        pytest.skip(message + " (run `make venv` to install the pinned celery)")


def _pg_connect():
    import psycopg2

    last = None
    for user in ("postgres", "root"):
        try:
            conn = psycopg2.connect(host="127.0.0.1", port=5432, user=user, dbname="postgres", connect_timeout=5)
            conn.autocommit = True
            return conn, user
        except psycopg2.OperationalError as exc:
            last = exc
    pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 with trust auth: {last}")


@pytest.fixture
def metadata_db():
    conn, user = _pg_connect()
    with conn.cursor() as cur:
        cur.execute(f"drop database if exists {PG_DB} with (force)")
        cur.execute(f"create database {PG_DB}")
    try:
        yield f"postgresql+psycopg2://{user}@127.0.0.1:5432/{PG_DB}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f"drop database if exists {PG_DB} with (force)")
        conn.close()


@pytest.fixture
def broker():
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=5)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379: {exc}")
    try:
        yield f"redis://127.0.0.1:6379/{REDIS_DB}"
    finally:
        client.flushdb()
        client.close()


def _api(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read().decode("utf-8"))


def _run_state(base: str, dag_id: str, run_id: str) -> str | None:
    state = get_json(f"{base}/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
    return state if state in ("success", "failed") else None


def test_both_dags_run_on_celery_workers_with_postgres_and_redis(tmp_path, metadata_db, broker):
    from alerts.receiver import Receiver

    from scrapers.demo.portal import DemoPortal

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    env = airflow_env(tmp_path / "airflow-home", port)
    env.update(celery_env(metadata_db, broker, base, str(data_dir)))
    env.update(
        {
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # loopback test instance: no login dance
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "FZZF_COLLECT_SCHEDULE": "none",  # only the run this test triggers
            "FZZF_TASK_RETRIES": "0",
            "FZZF_ALLOW_PRIVATE_HOSTS": "1",
            "FZZF_DELAY": "0",
        }
    )
    procs: list[Proc] = []
    with DemoPortal() as portal, Receiver() as receiver:
        registry = tmp_path / "registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        env.update(FZZF_REGISTRY=str(registry), FZZF_ALERT_URLS=receiver.url)
        started = time.monotonic()
        ensure_setup(env)
        setup_s = time.monotonic() - started
        try:
            airflow = airflow_bin()
            for name, args in (
                ("api-server", ["api-server"]),
                ("scheduler", ["scheduler"]),
                ("dag-processor", ["dag-processor"]),
            ):
                procs.append(Proc(name, [airflow, *args], env | _log_port(), tmp_path))
            for name in WORKERS:
                worker_env = (
                    env
                    | _log_port()
                    | {
                        # Both workers share this machine's hostname; Airflow records what hostname_callable says, as
                        # it would record each container's own hostname under compose.
                        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_identity.hostname",
                        "FZZF_TEST_WORKER_NAME": name,
                        "PYTHONPATH": str(HERE) + os.pathsep + env.get("PYTHONPATH", ""),
                    }
                )
                args = [airflow, "celery", "worker", "--celery-hostname", f"{name}@%h"]
                procs.append(Proc(name, args, worker_env, tmp_path))

            wait_for(lambda: get_json(f"{base}/api/v2/monitor/health"), 90, "the api-server", procs)

            def parsed():
                ids = {d["dag_id"] for d in get_json(f"{base}/api/v2/dags")["dags"]}
                return {"fzzf_collect", "fzzf_warehouse"} <= ids

            wait_for(parsed, 90, "the dag-processor to serialize both DAGs", procs)
            for dag_id in ("fzzf_collect", "fzzf_warehouse"):
                _api("PATCH", f"{base}/api/v2/dags/{dag_id}", {"is_paused": False})
            run = _api("POST", f"{base}/api/v2/dags/fzzf_collect/dagRuns", {"logical_date": None})
            run_started = time.monotonic()

            collect_state = wait_for(
                lambda: _run_state(base, "fzzf_collect", run["dag_run_id"]), 180, "the collect run", procs
            )
            tis = get_json(f"{base}/api/v2/dags/fzzf_collect/dagRuns/{run['dag_run_id']}/taskInstances")
            crawl = [ti for ti in tis["task_instances"] if ti["task_id"] == "crawl"]
            assert collect_state == "success", [
                (t["task_id"], t["map_index"], t["state"]) for t in tis["task_instances"]
            ]
            assert len(crawl) == len(portal.governments) and {t["state"] for t in crawl} == {"success"}
            assert {t["hostname"] for t in crawl} == set(WORKERS), [(t["map_index"], t["hostname"]) for t in crawl]

            # The landing asset triggers the warehouse DAG: no API call here.
            def warehouse_run():
                runs = get_json(f"{base}/api/v2/dags/fzzf_warehouse/dagRuns")["dag_runs"]
                return runs[0] if runs and runs[0]["state"] in ("success", "failed") else None

            wrun = wait_for(warehouse_run, 240, "the asset-triggered warehouse run", procs)
            pipeline_s = time.monotonic() - run_started
            assert wrun["run_type"] == "asset_triggered"
            assert wrun["state"] == "success", _task_states(base, "fzzf_warehouse", wrun["dag_run_id"])
            wtis = get_json(f"{base}/api/v2/dags/fzzf_warehouse/dagRuns/{wrun['dag_run_id']}/taskInstances")
            build = next(t for t in wtis["task_instances"] if t["task_id"] == "build")
            assert build["pool"] == "fzzf_duckdb" and build["hostname"] in WORKERS
        finally:
            for proc in reversed(procs):  # workers first: nothing new is picked up while the rest stops
                proc.stop()
        leftovers = [p.name for p in procs if p.popen.poll() is None]
        assert not leftovers, leftovers

    assert (data_dir / "warehouse.duckdb").exists()
    assert len(receiver.titled("newly missing")) == 1
    message = receiver.messages("newly missing")[0]
    assert "1 newly missing" in message and "[231282]" in message
    print(f"distributed: setup {setup_s:.1f} s, collect + warehouse through Celery {pipeline_s:.1f} s")


def _log_port() -> dict[str, str]:
    # Every process that serves logs needs its own port: two workers on one machine would both want 8793.
    return {
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }


def _task_states(base: str, dag_id: str, run_id: str) -> list:
    tis = get_json(f"{base}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
    return [(t["task_id"], t["state"], t["hostname"]) for t in tis]
