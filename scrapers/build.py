"""One build: landing gate → dbt into a staging warehouse → marts gate → atomic publish → alerts.

Write-audit-publish: dbt never writes the file analysts read. A failure at any step leaves the published warehouse
exactly as it was, records why, and tells the people on the alert channel.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import Timeout

from .landing import Landing
from .registry import load_registry

log = logging.getLogger(__name__)

BUILD_LOCK_TIMEOUT = 600.0  # seconds a build waits for another build on the same data dir


def staged_path(data_dir: Path) -> Path:
    return Path(data_dir) / "build" / "warehouse.duckdb"


def published_path(data_dir: Path) -> Path:
    return Path(data_dir) / "warehouse.duckdb"


@dataclass
class BuildResult:
    as_of: dt.date
    published: bool = False
    failed_step: str | None = None
    message: str = ""
    quarantined: int = 0
    landing_warnings: list[str] = field(default_factory=list)
    landing_summary: str = ""
    gate_summary: str = ""
    alert_summary: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    warehouse: Path | None = None

    def describe(self) -> str:
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        lines = [
            f"build as of {self.as_of}: " + ("PUBLISHED" if self.published else f"NOT PUBLISHED ({self.failed_step})")
        ]
        if self.message:
            lines.append(self.message)
        if self.landing_summary:
            lines.append(self.landing_summary)
        if self.gate_summary:
            lines.append(self.gate_summary)
        if self.published and self.warehouse:
            lines.append(f"warehouse: {self.warehouse}")
        if self.alert_summary:
            lines.append(self.alert_summary)
        if timings:
            lines.append(f"timings: {timings}")
        return "\n".join(lines)


class _Timer:
    """Times one build step and logs one line for it when it ends: its name, seconds and ``counts``."""

    def __init__(self, result: BuildResult, step: str):
        self.result, self.step = result, step
        self.counts = ""  # set by the step: what it did, in a few words

    def __enter__(self):
        self.start = time.monotonic()
        return self

    def __exit__(self, exc_type, *exc):
        seconds = self.result.seconds[self.step] = time.monotonic() - self.start
        outcome = f"raised {exc_type.__name__}" if exc_type else self.counts
        log.info("build step %s: %.1fs%s", self.step, seconds, f", {outcome}" if outcome else "")
        return False


def run_build(
    data_dir: Path, registry_path: Path, as_of: dt.date, send_alerts: bool = True, full_refresh: bool = False
) -> BuildResult:
    """Build, audit and publish the warehouse of ``data_dir`` as of ``as_of`` (``full_refresh``: dbt from scratch)."""
    from . import alerts, gate, publish, warehouse

    data_dir = Path(data_dir)
    registry = load_registry(registry_path)  # a bad registry fails before anything is touched
    Landing(data_dir).ensure()
    result = BuildResult(as_of=as_of)
    lock = publish.build_lock(data_dir, timeout=BUILD_LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        result.failed_step, result.message = "lock", f"another build holds {lock.lock_file}; try again when it ends"
        return result
    try:
        _build_locked(data_dir, registry_path, registry, as_of, result, gate, warehouse, publish, full_refresh)
    finally:
        lock.release()
    if not result.published:
        alerts.notify_build_failure(data_dir, result)
    elif send_alerts:
        with _Timer(result, "alerts") as step:
            result.alert_summary = alerts.send_missing_alerts(data_dir, as_of).describe()
            step.counts = result.alert_summary.partition(": ")[2]
    return result


def _build_locked(data_dir, registry_path, registry, as_of, result, gate, warehouse, publish, full_refresh) -> None:
    staged = staged_path(data_dir)
    with _Timer(result, "landing gate") as step:
        landing_gate = gate.check_landing(data_dir, as_of)
        step.counts = landing_gate.counts()
    result.quarantined = landing_gate.quarantined
    result.landing_warnings = list(landing_gate.warnings)
    result.landing_summary = landing_gate.describe()
    if not landing_gate.success:
        # A row dbt cannot even read would fail dbt later with a far less helpful message: stop here.
        result.failed_step, result.message = "landing gate", "landing files failed critical expectations"
        return

    # The staging warehouse is derived, never precious: kept between builds so that dbt parses only new landing
    # files, and built from scratch when the dbt project changed or a full refresh is asked for.
    incremental = warehouse.keep_staged(staged, data_dir, full_refresh=full_refresh)
    with _Timer(result, "dbt build") as step:
        dbt = warehouse.run_dbt(data_dir, registry_path, as_of, staged)
        step.counts = ("incremental, " if incremental else "from scratch, ") + dbt.counts_line()
    if dbt.success:
        warehouse.mark_staged(staged, data_dir)
    else:
        result.failed_step, result.message = "dbt build", dbt.describe()
        gate.record_validation(data_dir, suite="dbt_build", success=False, evaluated=0, failed=1, as_of=as_of)
        return

    with _Timer(result, "marts gate") as step:
        marts_gate = gate.check_marts(staged, registry, as_of)
        step.counts = marts_gate.counts()
    result.gate_summary = marts_gate.describe()
    gate.load_validation_runs(data_dir, staged)
    if not marts_gate.success:
        result.failed_step, result.message = "marts gate", "the staged warehouse failed critical expectations"
        return

    with _Timer(result, "publish") as step:
        publish.publish(staged, published_path(data_dir))
        step.counts = f"{published_path(data_dir)} ({published_path(data_dir).stat().st_size / 1e6:.1f} MB)"
    result.published = True
    result.warehouse = published_path(data_dir)
