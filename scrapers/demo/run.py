"""``fzzf demo``: the whole pipeline, offline, through real Airflow DAG runs against the bundled demo portal.

It starts the demo portal on 127.0.0.1, writes a registry for it, runs ``airflow dags test`` for the collect DAG and
then the warehouse DAG on a SQLite metadata DB inside the demo's data directory, and prints what an analyst and the
alert channel would see.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from scrapers import clock

MARKER = ".fzzf-demo"  # only a directory the demo created itself is ever wiped by the demo
REGISTRY_FILE = "demo-registry.yaml"
UI_LOCK = ".fzzf-airflow.lock"  # held by `fzzf airflow` on the demo: the demo must not wipe a running Airflow's home
COLLECT_DAG, WAREHOUSE_DAG = "fzzf_collect", "fzzf_warehouse"


def demo_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The demo's data directory (its Airflow home is ``airflow/`` inside): ``--data-dir``, else ``data/demo``."""
    return Path(explicit or "data/demo").resolve()


def demo_settings(data_dir: Path, registry: Path) -> dict[str, str]:
    """What the pipeline needs to crawl the demo portal, for ``fzzf demo`` and for ``fzzf airflow`` alike."""
    return {
        "FZZF_DATA_DIR": str(data_dir),
        "FZZF_REGISTRY": str(registry),
        "FZZF_ALLOW_PRIVATE_HOSTS": "1",  # the demo portal lives on 127.0.0.1
        "FZZF_DELAY": "0",
        # A demo that fails should say so at once, not after three retries five minutes apart.
        "FZZF_TASK_RETRIES": "0",
    }


def airflow_env(data_dir: Path, registry: Path, airflow_home: Path, as_of=None) -> dict[str, str]:
    """The local Airflow's environment (``airflow_local.local_env``) on the demo's data directory and portal.
    ``as_of``: the day the demo pretends it is (FZZF_TODAY), so its build is that day's build, not a what-if."""
    from scrapers.orchestration.airflow_local import local_env

    env = local_env(airflow_home) | demo_settings(data_dir, registry)
    if as_of is not None:
        env["FZZF_TODAY"] = as_of.isoformat()
    return env


@contextlib.contextmanager
def serve_demo(data_dir: str | os.PathLike | None = None):
    """The demo portal while ``fzzf airflow`` runs on the demo's data directory: yields (data_dir, registry, portal
    URL, environment). It listens on the port the demo's registry names, so a crawl from the UI reads the same
    addresses as the demo's; a directory without a registry (no ``fzzf demo`` yet) gets one on a free port."""
    from scrapers.demo.portal import DemoPortal
    from scrapers.orchestration.airflow_local import UsageError

    data_dir = demo_dir(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
        raise UsageError(f"{data_dir} was not made by fzzf demo; name the registry to crawl into it (FZZF_REGISTRY)")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by fzzf demo; wiped by the next demo run\n", encoding="utf-8")
    lock = (data_dir / UI_LOCK).open("a")  # not inherited: the components never hold it
    try:
        if not _try_lock(lock):
            raise UsageError(f"another fzzf airflow runs on {data_dir}")
        registry = data_dir / REGISTRY_FILE
        port = _registry_port(registry)
        try:
            portal = DemoPortal(port=port).start()
        except OSError as exc:
            raise UsageError(
                f"cannot serve the demo portal on 127.0.0.1:{port}, where {registry} has it ({exc.strerror}): free"
                " that port, or run `make demo` again for a new one"
            ) from None
        try:
            registry.write_text(portal.registry_yaml(), encoding="utf-8")
            yield data_dir, registry, portal.base_url, demo_settings(data_dir, registry)
        finally:
            portal.stop()
    finally:
        lock.close()


def _try_lock(handle) -> bool:
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _registry_port(registry: Path) -> int:
    """The port of the demo portal that wrote ``registry`` (0: none yet, any free port)."""
    if not registry.exists():
        return 0
    import yaml

    entries = (yaml.safe_load(registry.read_text(encoding="utf-8")) or {}).get("governments") or []
    urls = [url for entry in entries for url in entry.get("list_urls") or []]
    return urlsplit(urls[0]).port or 0 if urls else 0


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
        if (data_dir / UI_LOCK).exists():
            with (data_dir / UI_LOCK).open("a") as lock:
                if not _try_lock(lock):
                    raise SystemExit(f"fzzf demo: fzzf airflow (make airflow) runs on {data_dir}; stop it first")
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
        registry = data_dir / REGISTRY_FILE
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
