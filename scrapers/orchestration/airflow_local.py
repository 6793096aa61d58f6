"""Airflow on this machine: `make airflow` runs Airflow's components on 127.0.0.1 with the project's DAGs.

Everything Airflow writes goes under its home (the demo's ``data/demo/airflow/``, or ``.airflow/`` with a real
registry; both gitignored), never ``~/airflow``. The same environment
and setup (pools) serve the tests that start Airflow processes, so the local UI, the tests and the compose
deployment agree on names.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from scrapers import settings
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
    # Airflow's components and Celery workers start `airflow ...` by name: the venv's bin must come first on PATH.
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


def local_env(home: Path, port: int = 8080, base: dict[str, str] | None = None) -> dict[str, str]:
    """``airflow_env`` for one machine: SQLite metadata in ``home``, LocalExecutor, every loopback visitor admin."""
    env = airflow_env(home, port, base)
    # A local instance keeps its own SQLite metadata in its home, not whatever database the shell points at.
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    env.setdefault("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    # One local user, on loopback only: every visitor is admin, so the UI opens without a password to copy.
    env.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    return env


# What `airflow standalone` runs, minus its log servers: Airflow 3.3 binds them to every interface (serve_logs
# passes host="" and has no setting), and on one machine the api-server reads task logs from the files anyway.
COMPONENTS = (
    ("api-server", ["api-server"]),
    ("scheduler", ["scheduler", "--skip-serve-logs"]),
    ("dag-processor", ["dag-processor"]),
    ("triggerer", ["triggerer", "--skip-serve-logs"]),
)


class Stop(Exception):
    """Ctrl-C, SIGTERM or SIGHUP: stop every component and exit 0."""


def run_local(port: int = 8080, data_dir: str | None = None, registry: str | None = None) -> int:
    """``fzzf airflow``: the Airflow components on 127.0.0.1 in the foreground until Ctrl-C or SIGTERM.

    Without a registry (``--registry`` or ``FZZF_REGISTRY``) it runs on the demo's data directory and Airflow home
    (``fzzf demo``'s, default ``data/demo``) and serves the demo portal meanwhile, so the UI shows the demo's runs and
    a triggered crawl reads the demo portal. With one, it crawls that registry into ``--data-dir`` (``FZZF_DATA_DIR``,
    ``./data``) with its Airflow home in ``.airflow/`` (``FZZF_AIRFLOW_HOME``).
    """
    from scrapers.demo.run import serve_demo

    registry_path = settings.explicit_registry_path(registry)
    started: list[tuple[str, subprocess.Popen]] = []
    stopped = False
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with contextlib.ExitStack() as stack:
            if registry_path is None:
                if os.environ.get("FZZF_DATA_DIR") and not data_dir:
                    raise UsageError(
                        "FZZF_DATA_DIR is set but no registry is: fzzf airflow crawls the demo portal into the demo's "
                        "data directory until FZZF_REGISTRY names a registry (FZZF_REGISTRY=scrapers/data/"
                        "registry.yaml for the shipped one); set it, or unset FZZF_DATA_DIR"
                    )
                data, registry_path, portal_url, extra = stack.enter_context(serve_demo(data_dir))
                home = data / "airflow"
                mode = f"demo mode, crawls the demo portal {portal_url} (FZZF_REGISTRY names a real registry)"
            else:
                data = settings.data_dir(data_dir)
                home = Path(os.environ.get("FZZF_AIRFLOW_HOME") or LOCAL_HOME).resolve()
                extra = {"FZZF_DATA_DIR": str(data), "FZZF_REGISTRY": str(registry_path)}
                mode = f"registry {registry_path}"
            _check_port_free(port)
            home.mkdir(parents=True, exist_ok=True)
            data.mkdir(parents=True, exist_ok=True)
            env = local_env(home, port) | extra
            print(f"fzzf airflow: {mode}; data in {data}; AIRFLOW_HOME={home}", flush=True)
            ensure_setup(env)
            pair_up(env)
            logs = home / "logs" / "components"
            logs.mkdir(parents=True, exist_ok=True)
            for name, args in COMPONENTS:
                with (logs / f"{name}.log").open("wb") as out:
                    # Own session: a Ctrl-C in the terminal reaches fzzf alone, which then stops each component.
                    proc = subprocess.Popen(
                        [airflow_bin(), *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                    )
                started.append((name, proc))
            _wait_ready(port, started, logs)
            print(f"Airflow UI: http://127.0.0.1:{port}  (component logs: {logs}; Ctrl-C stops)", flush=True)
            while True:
                for name, proc in started:
                    if proc.poll() is not None:
                        print(f"fzzf airflow: the {name} exited with {proc.returncode}; its log ends:", flush=True)
                        print(_tail(logs / f"{name}.log"), flush=True)
                        return 1
                time.sleep(1)
    except Stop:
        stopped = True
        return 0
    except UsageError as exc:
        print(f"fzzf airflow: {exc}", file=sys.stderr, flush=True)
        return 2
    except RuntimeError as exc:
        print(f"fzzf airflow: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # Signals that come while the components stop must not interrupt stopping them.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        stop_all([proc for _name, proc in started])
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if started or stopped:
            print(
                f"fzzf airflow: stopped ({', '.join(name for name, _ in started) or 'before any component'})",
                flush=True,
            )


class UsageError(Exception):
    """A setting fzzf airflow cannot start with (exit 2)."""


def _raise_stop(signum, _frame):
    raise Stop(signum)


def pair_up(env: dict[str, str]) -> None:
    """Parse the DAGs into the metadata DB, then unpause collect and warehouse together and queue a lost landing."""
    run = dict(env=env, capture_output=True, text=True, timeout=300)
    proc = subprocess.run([airflow_bin(), "dags", "reserialize"], **run)
    if proc.returncode != 0:
        raise RuntimeError(f"airflow dags reserialize failed:\n{proc.stderr[-3000:]}")
    proc = subprocess.run([sys.executable, "-m", "scrapers.orchestration.landing_queue"], **run)
    if proc.returncode != 0:
        raise RuntimeError(f"pairing fzzf_collect and fzzf_warehouse failed:\n{proc.stderr[-3000:]}")
    if proc.stdout.strip():
        print(proc.stdout.strip(), flush=True)


def _check_port_free(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise UsageError(f"127.0.0.1:{port} is in use (another Airflow?): stop it or pass --port N") from None


def _wait_ready(port: int, started: list, logs: Path, timeout: float = 300) -> None:
    """Until the api-server answers its health check; a component that dies meanwhile fails the start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in started:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the {name} exited with {proc.returncode} while starting:\n{_tail(logs / f'{name}.log')}"
                )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the api-server did not answer on 127.0.0.1:{port} in {timeout:.0f} s")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_all(procs: list[subprocess.Popen], grace: float = 20) -> None:
    """SIGTERM every process group at once, give them ``grace`` seconds together, then SIGKILL what is left."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in procs:
        # The leader may be gone while children it forked are still in the group: those get SIGKILL.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)


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
