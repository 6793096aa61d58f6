"""Airflow on this machine: `make airflow` runs `airflow standalone` on 127.0.0.1 with the project's DAGs.

Everything Airflow writes goes under the repo's ``.airflow/`` (gitignored), never ``~/airflow``. The same environment
and setup (pools) serve the tests that start Airflow processes, so the local UI, the tests and the compose
deployment agree on names.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from scrapers.settings import REPO_DIR

DAGS_DIR = REPO_DIR / "dags"
LOCAL_HOME = REPO_DIR / ".airflow"

# name -> (slots, why). DuckDB takes one writer process per file: dbt builds, gates and publishes queue on one slot.
POOLS = {
    "fzzf_duckdb": (1, "DuckDB allows one writer per file: warehouse builds and publishes run one at a time"),
}


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def airflow_env(home: Path, port: int = 8080, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every local Airflow process of this project runs with (explicit settings in ``base`` win)."""
    env = dict(os.environ if base is None else base)
    # Where Airflow lives and what it serves is this project's decision, whatever the shell has exported.
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        }
    )
    defaults = {
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # The default of 32 forks 32 task processes on a 2-core machine.
        "AIRFLOW__CORE__PARALLELISM": "4",
        # Random per start: tokens from an earlier start are worthless, which is what a local instance wants.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(48),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "GX_ANALYTICS_ENABLED": "False",
        "FZZF_DATA_DIR": str(REPO_DIR / "data"),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    # `airflow standalone` and Celery workers start `airflow ...` by name: the venv's bin must come first on PATH.
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "") if env.get("PATH") else bin_dir
    return env


def celery_env(sql_alchemy_conn: str, broker_url: str, api_url: str, data_dir: str) -> dict[str, str]:
    """Settings of the scaled-out topology (CeleryExecutor, PostgreSQL, Redis) on top of ``airflow_env``.

    docker-compose.yml sets the same keys (tests/deploy checks it), so the native `distributed` test and the
    compose deployment run one configuration.
    """
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_alchemy_conn,
        # Airflow derives a second, async engine (postgresql+asyncpg) from the URL, and asyncpg is not among the
        # pins. Empty turns it off; only the task state store API and the dag-run "wait" endpoint need it, and these
        # DAGs use neither. Pin asyncpg and drop this line to get them.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": "",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        # Keep the driver: SQLAlchemy 2.1's default for postgresql:// is psycopg 3, which is not installed.
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sql_alchemy_conn,
        "AIRFLOW__API__BASE_URL": api_url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
        "FZZF_DATA_DIR": data_dir,
    }


# Keys of airflow_env() that only make sense natively: the image sets its own home and PATH, containers bind 0.0.0.0.
NATIVE_ONLY = frozenset({"AIRFLOW_HOME", "AIRFLOW__API__HOST", "AIRFLOW__API__PORT", "PATH"})


def ensure_setup(env: dict[str, str], timeout: float = 300) -> None:
    """Migrate the metadata database and create the pools the DAGs use (both idempotent)."""
    run = dict(env=env, capture_output=True, text=True, timeout=timeout)
    proc = subprocess.run([airflow_bin(), "db", "migrate"], **run)
    if proc.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{proc.stderr[-3000:]}")
    for name, (slots, why) in POOLS.items():
        proc = subprocess.run([airflow_bin(), "pools", "set", name, str(slots), why], **run)
        if proc.returncode != 0:
            raise RuntimeError(f"airflow pools set {name} failed:\n{proc.stderr[-3000:]}")


def run_standalone(port: int = 8080, home: Path | None = None) -> int:
    """Run ``airflow standalone`` in the foreground until Ctrl-C; returns its exit code.

    ``home`` (or ``FZZF_AIRFLOW_HOME``) replaces ``.airflow/``; tests use it to leave a developer's instance alone.
    """
    home = Path(home or os.environ.get("FZZF_AIRFLOW_HOME") or LOCAL_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = airflow_env(home, port)
    # The local UI keeps its own SQLite metadata under .airflow/, not whatever database the shell points at.
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    env.setdefault("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    # One local user, on loopback only: every visitor is admin, so the UI opens without a password to copy.
    env.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    Path(env["FZZF_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    ensure_setup(env)
    print(f"Airflow UI: http://127.0.0.1:{port}  (AIRFLOW_HOME={home}, DAGs from {DAGS_DIR})", flush=True)
    # Own process group: standalone forks a scheduler, dag-processor, triggerer and api-server, and killing only
    # the parent leaves them running (see shared notes); we stop the whole group.
    proc = subprocess.Popen([airflow_bin(), "standalone"], env=env, start_new_session=True)

    def _terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGTERM (a test's teardown, `kill`, a closing terminal) must stop the group too, not orphan it.
    previous = {sig: signal.signal(sig, _terminate) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return stop_group(proc)
    finally:
        if proc.poll() is None:
            stop_group(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_group(proc: subprocess.Popen, grace: float = 20) -> int:
    """SIGTERM the process group, wait ``grace`` seconds, then SIGKILL it; returns the leader's exit code."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return proc.wait()
    try:
        code = proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        code = None
    # The leader may be gone while children it forked are still in the group: those get SIGKILL.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=grace) if code is None else code
