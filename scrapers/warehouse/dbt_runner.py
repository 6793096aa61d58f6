"""dbt invocation (in-process dbtRunner): the vars fzzf passes, the result node by node, the staging warehouse kept
between builds.

dbt builds ``DATA_DIR/build/warehouse.duckdb`` (``paths.staged_path``) from the landing files; its target and log
directories go under ``DATA_DIR/build/dbt`` so a build never writes into the source tree. Questions about the
published warehouse are ``scrapers.warehouse.published``'s.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapers.classify import INTERPRETATION_PATTERN
from scrapers.landing import STREAMS, Landing
from scrapers.settings import DBT_PROJECT_DIR, _env_int

__all__ = [
    "DbtFailure",
    "DbtResult",
    "run_dbt",
    "dbt_vars",
    "keep_staged",
    "mark_staged",
]

DEFAULT_UNKNOWN_AFTER_DAYS = 30
_DBT_LOCK = threading.Lock()  # dbtRunner keeps global state: one invocation per process at a time


@dataclass(frozen=True)
class DbtFailure:
    node: str  # e.g. model.fzzf.report_coverage, test.fzzf.unique_..., unit_test.fzzf....
    status: str  # error | fail | warn | skipped
    message: str

    def describe(self) -> str:
        return f"{self.status.upper()} {self.node}: {self.message}"


@dataclass
class DbtResult:
    success: bool
    command: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes
    failures: list[DbtFailure] = field(default_factory=list)
    warnings: list[DbtFailure] = field(default_factory=list)
    error: str | None = None  # an exception dbt raised before or outside the nodes (bad project, bad vars, ...)
    seconds: float = 0.0

    def counts_line(self) -> str:
        """Node counts by status, e.g. ``20 success, 93 pass`` (and ``FAILED`` first when it failed)."""
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.counts.items()))
        return ("FAILED, " if not self.success else "") + (counts or "no nodes")

    def describe(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.counts.items()))
        head = f"dbt {'succeeded' if self.success else 'FAILED'} in {self.seconds:.1f}s" + (
            f" ({counts})" if counts else ""
        )
        lines = [head]
        if self.error:
            lines.append(f"  error: {self.error}")
        lines += [f"  {f.describe()}" for f in self.failures]
        lines += [f"  {w.describe()}" for w in self.warnings]
        return "\n".join(lines)


def dbt_vars(
    data_dir: Path,
    registry_path: Path,
    as_of: dt.date,
    unknown_after_days: int = DEFAULT_UNKNOWN_AFTER_DAYS,
    *,
    landed_by_as_of: bool = False,
) -> dict[str, Any]:
    return {
        "data_dir": str(Path(data_dir).resolve()),
        "registry_path": str(Path(registry_path).resolve()),
        "as_of": as_of.isoformat(),
        # a what-if for a past day sees only the evidence landed by its end (macros/vars.sql landed_by_as_of)
        "as_of_is_past": bool(landed_by_as_of),
        "unknown_after_days": int(unknown_after_days),
        # a report link answering only 404/410 over this many days is gone (issue 20.12), not "retrying" for ever
        "gone_after_days": _env_int("FZZF_GONE_AFTER_DAYS", 14),
        # the classifier's 政策解读 look-alike, so the canonical-report rule and the crawler agree on one list
        "interpretation_pattern": INTERPRETATION_PATTERN,
    }


@contextmanager
def _env(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _close_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB instance in a class attribute; close it so the file is checkpointed and unlocked
    (the publish step renames it, and readers in this process may open it read-only)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            try:
                env.close()
            finally:
                DuckDBConnectionManager._ENV = None


def _release_adapter() -> None:
    """Drop the adapter dbt keeps registered after an invocation, and with it the two semaphores it holds (its
    connection manager's lock and the manifest's, both from dbt's ``spawn`` multiprocessing context, so known to the
    resource tracker). A process that exits normally releases them in its exit handlers; an Airflow task process
    ends with ``os._exit`` (no exit handlers), and the resource tracker then reports "2 leaked semaphore objects" on
    the task's stderr, which Airflow logs as two ERROR lines. dbt resets the adapters at the start of every
    invocation anyway (``adapter_management``), so nothing is lost; ``gc.collect`` because the adapter and the
    manifest reference each other."""
    import gc

    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    gc.collect()


def run_dbt(
    data_dir: Path,
    registry_path: Path,
    as_of: dt.date,
    warehouse_path: Path,
    select: list[str] | None = None,
    command: str = "build",  # or "source freshness", "docs generate", ...
    unknown_after_days: int = DEFAULT_UNKNOWN_AFTER_DAYS,
    project_dir: Path = DBT_PROJECT_DIR,
    threads: int = 2,
    landing_files: dict[str, list[Path]] | None = None,
    target: str = "build",
    work_dir: Path | None = None,
    landed_by_as_of: bool = False,
) -> DbtResult:
    """Run ``dbt build`` (or ``command``) of the project on the landing files of ``data_dir`` into ``warehouse_path``.

    ``landing_files`` ({stream: paths}): the files dbt reads, the landing gate's list in a build; None reads every
    landing file there is now (direct dbt runs without a gate). Never raises for a failed build: the result says
    what failed, node by node, in words a human can act on. ``target``: the profile's target (``docs`` opens
    ``warehouse_path`` read-only); ``work_dir``: where dbt's target and logs go (default ``DATA_DIR/build/dbt``).
    ``landed_by_as_of``: read only the rows landed by the end of ``as_of`` (a what-if for a past day,
    scrapers.warehouse.build); else every landed row.
    """
    import time

    from dbt.cli.main import dbtRunner

    data_dir = Path(data_dir).resolve()
    warehouse_path = Path(warehouse_path).resolve()
    if target == "build":
        warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        landing = Landing(data_dir).ensure()  # a stream with no file reads its _empty.jsonl marker
        if landing_files is None:
            landing_files = {stream: landing.files(stream) for stream in STREAMS}
        landing.write_files_list(landing_files)  # the only list of landing files the models read
    # else a reader (docs): it must not rewrite the list a build running now has just written
    work = Path(work_dir) if work_dir is not None else data_dir / "build" / "dbt"
    args = [
        *command.split(),
        "--target",
        target,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        _yaml_dict(dbt_vars(data_dir, registry_path, as_of, unknown_after_days, landed_by_as_of=landed_by_as_of)),
        "--no-use-colors",
        "--quiet",
    ]
    if select:
        # tests run only when all their parents are selected (a relationships test to an unbuilt mart would error)
        args += ["--select", *select, "--indirect-selection", "cautious"]
    if command.split()[0] in ("build", "run", "test") and not any(a.startswith("--threads") for a in args):
        args += ["--threads", str(threads)]
    result = DbtResult(success=False, command=["dbt", *args])
    start = time.monotonic()
    with (
        _DBT_LOCK,
        _env(
            FZZF_WAREHOUSE_PATH=str(warehouse_path),
            DBT_SEND_ANONYMOUS_USAGE_STATS="False",
            DBT_PARTIAL_PARSE="true",
        ),
    ):
        try:
            res = dbtRunner().invoke(args)
        finally:
            _close_duckdb()
            _release_adapter()
    result.seconds = time.monotonic() - start
    if res.exception is not None:
        result.error = f"{type(res.exception).__name__}: {res.exception}"
    for node_result in _node_results(res.result):
        status = str(getattr(node_result.status, "value", node_result.status)).lower()
        result.counts[status] = result.counts.get(status, 0) + 1
        if status in ("error", "fail", "warn", "runtime error"):
            node = node_result.node
            failure = DbtFailure(
                node=getattr(node, "unique_id", str(node)),
                status=status,
                message=_failure_message(node_result),
            )
            (result.warnings if status == "warn" else result.failures).append(failure)
    result.success = bool(res.success) and not result.failures and result.error is None
    return result


def _project_fingerprint(data_dir: Path, project_dir: Path = DBT_PROJECT_DIR) -> str:
    """Changes whenever the tables dbt keeps between builds could differ from a fresh build: any model, macro or
    project file, the dbt and DuckDB versions, the data directory (landing file paths are stored)."""
    import hashlib
    from importlib import metadata

    h = hashlib.sha256(str(Path(data_dir).resolve()).encode())
    for path in sorted(project_dir.rglob("*")):
        if path.is_file() and not {"target", "logs"} & set(path.relative_to(project_dir).parts):
            h.update(str(path.relative_to(project_dir)).encode())
            h.update(path.read_bytes())
    for package in ("dbt-core", "dbt-duckdb", "duckdb"):
        h.update(metadata.version(package).encode())
    return h.hexdigest()


def _fingerprint_path(warehouse_path: Path) -> Path:
    return Path(warehouse_path).with_name(Path(warehouse_path).name + ".fingerprint")


def keep_staged(warehouse_path: Path, data_dir: Path, full_refresh: bool = False) -> bool:
    """Keep the staging warehouse for an incremental dbt build (the landing streams are loaded once per file), or
    delete it so dbt builds from scratch: when asked to, or when it was built by another version of the project.
    Returns True when it was kept. The warehouse is derived data: deleting it never loses anything."""
    warehouse_path = Path(warehouse_path)
    marker = _fingerprint_path(warehouse_path)
    try:
        kept = not full_refresh and marker.read_text() == _project_fingerprint(data_dir) and warehouse_path.exists()
    except FileNotFoundError:
        kept = False
    if not kept:
        for stale in (warehouse_path, warehouse_path.with_name(warehouse_path.name + ".wal")):
            stale.unlink(missing_ok=True)
    # Until mark_staged() after a successful dbt build, the file is not trusted: a build that fails or dies half-way
    # (a full disk, a kill) leaves the next one to start from scratch rather than from a state nobody checked.
    marker.unlink(missing_ok=True)
    return kept


def mark_staged(warehouse_path: Path, data_dir: Path) -> None:
    """After a successful dbt build: the staging warehouse may be kept for the next, incremental, build."""
    from scrapers.landing import atomic_write_bytes

    atomic_write_bytes(_fingerprint_path(warehouse_path), _project_fingerprint(data_dir).encode())


def _node_results(run_result: Any) -> list[Any]:
    if run_result is None:
        return []
    return list(getattr(run_result, "results", None) or [])


def _failure_message(node_result: Any) -> str:
    message = (getattr(node_result, "message", None) or "").strip()
    age = getattr(node_result, "age", None)
    if age is not None and not message:  # source freshness
        message = f"newest row loaded {node_result.max_loaded_at}, {age / 86400:.1f} days before the check"
    failures = getattr(node_result, "failures", None)
    if failures and "row" not in message.lower():
        message = f"{message} ({failures} failing row(s))".strip()
    # Keep the first lines and, for a Python traceback, its last line (the exception); the rest is in the dbt log.
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if any(ln.startswith("Traceback") for ln in lines):
        lines = [*lines[:2], lines[-1]]
    return " | ".join(lines[:6]) or "no message"


def _yaml_dict(values: dict[str, Any]) -> str:
    import json

    return json.dumps(values)  # JSON is YAML; dbt parses --vars as YAML
