"""``fzzf demo``: the whole pipeline, offline, through real Airflow DAG runs against the bundled demo portal.

It starts the demo portal on 127.0.0.1, writes a registry for it, runs ``airflow dags test`` for the collect DAG and
then the warehouse DAG on a SQLite metadata DB inside the demo's data directory, and prints what an analyst and the
alert channel would see.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from scrapers import clock
from scrapers.settings import REPO_DIR

MARKER = ".fzzf-demo"  # only a directory the demo created itself is ever wiped by the demo
COLLECT_DAG, WAREHOUSE_DAG = "fzzf_collect", "fzzf_warehouse"


def airflow_env(data_dir: Path, registry: Path, airflow_home: Path, as_of=None) -> dict[str, str]:
    """Environment for a project-local Airflow: SQLite metadata, no examples, the repo's DAGs, no telemetry.
    ``as_of``: the day the demo pretends it is (FZZF_TODAY), so its build is that day's build, not a what-if."""
    env = dict(os.environ)
    if as_of is not None:
        env["FZZF_TODAY"] = as_of.isoformat()
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_DIR / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
            "AIRFLOW__API_AUTH__JWT_SECRET": env.get("AIRFLOW__API_AUTH__JWT_SECRET") or secrets.token_hex(48),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "FZZF_DATA_DIR": str(data_dir),
            "FZZF_REGISTRY": str(registry),
            "FZZF_ALLOW_PRIVATE_HOSTS": "1",  # the demo portal lives on 127.0.0.1
            "FZZF_DELAY": "0",
            # A demo that fails should say so at once, not after three retries five minutes apart.
            "FZZF_TASK_RETRIES": "0",
        }
    )
    return env


def _airflow(args: list[str], env: dict[str, str], title: str) -> None:
    airflow = Path(sys.executable).with_name("airflow")
    print(f"\n==> {title}: airflow {' '.join(args)}", flush=True)
    start = time.monotonic()
    proc = subprocess.run([str(airflow), *args], env=env, capture_output=True, text=True)
    log_path = Path(env["AIRFLOW_HOME"]) / ("-".join(a for a in args[:3] if not a.startswith("-")) + ".log")
    log_path.write_text(proc.stdout + "\n" + proc.stderr, encoding="utf-8")
    print(f"    {'ok' if proc.returncode == 0 else 'FAILED'} in {time.monotonic() - start:.1f}s (log: {log_path})")
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
        raise SystemExit("\n".join(["", *tail, f"\nfzzf demo: {title} failed; full log in {log_path}"]))


def prepare_dir(data_dir: Path) -> None:
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise SystemExit(
                f"fzzf demo: {data_dir} is not empty and was not made by the demo; choose another --data-dir"
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by fzzf demo; wiped by the next demo run\n", encoding="utf-8")


def run_demo(data_dir: Path, as_of: dt.date | None = None) -> int:
    from scrapers.demo.portal import DemoPortal
    from scrapers.demo.summary import print_summary

    as_of = as_of or clock.today()
    prepare_dir(data_dir)
    airflow_home = data_dir / "airflow"
    airflow_home.mkdir()
    with DemoPortal() as portal:
        registry = data_dir / "demo-registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        print(f"demo portal: {portal.base_url} ({len(portal.governments)} governments); registry: {registry}")
        env = airflow_env(data_dir, registry, airflow_home, as_of)
        _airflow(["db", "migrate"], env, "Airflow metadata DB (SQLite)")
        _airflow(["dags", "test", COLLECT_DAG, as_of.isoformat()], env, "collect DAG")
    # The portal can go: the warehouse DAG works on landed files only.
    env = airflow_env(data_dir, registry, airflow_home, as_of)
    conf = json.dumps({"as_of": as_of.isoformat()})
    _airflow(["dags", "test", WAREHOUSE_DAG, as_of.isoformat(), "--conf", conf], env, "warehouse DAG")
    print_summary(data_dir, as_of)
    return 0
