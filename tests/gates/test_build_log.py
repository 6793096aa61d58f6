"""A real ``fzzf build`` log at INFO: one line per build step with its time and counts, no library chatter."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.landing import Landing, new_run_id

from .helpers import land, record, write_registry

pytestmark = pytest.mark.gates

FZZF = Path(sys.executable).with_name("fzzf")
STEPS = ("landing gate", "dbt build", "marts gate", "publish", "alerts")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FZZF_LOG_LEVEL"}
    return {**env, **extra}


def test_build_log_is_one_line_per_step_and_no_library_info(tmp_path):
    data_dir = tmp_path / "data"
    registry = write_registry(tmp_path / "registry.yaml", ["510001", "510002"])
    land(data_dir, [record("510001", "003"), record("510002", "004")])
    proc = subprocess.run(
        [str(FZZF), "build", "--data-dir", str(data_dir), "--registry", str(registry), "--as-of", "2025-06-01"],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(FZZF_TODAY="2025-06-01"),  # today's build (with its alerts step), not a what-if
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert not [ln for ln in lines if "great_expectations" in ln or " dbt" in ln.split(":")[0]], lines
    assert not [ln for ln in lines if " INFO " in ln and not re.search(r" INFO (scrapers|fzzf)\.", ln)], lines
    for step in STEPS:
        [line] = [ln for ln in lines if f"build step {step}:" in ln]
        assert re.search(rf"build step {step}: \d+\.\ds, \S", line), line
    landing = next(ln for ln in lines if "build step landing gate:" in ln)
    assert "4 rows, 0 quarantined" in landing and "files validated" in landing
    assert "passed, " in next(ln for ln in lines if "build step marts gate:" in ln)
    # One record per step and a few of the alerts': fits on a screen. With no channel configured, an alert's body is
    # written to the log under its record (the log is then its channel: the weekly "cannot verify" digest here).
    records = [ln for ln in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", ln)]
    assert len(records) <= 10, records
    assert not [ln for ln in lines if "Traceback" in ln or "resource_tracker" in ln], lines


@pytest.mark.parametrize("level, shown", [("", False), ("DEBUG", True)])
def test_fzzf_log_level_debug_lets_library_logs_through(level, shown):
    code = (
        "from scrapers import logs; logs.configure(); import great_expectations as gx; gx.get_context(mode='ephemeral')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=_env(FZZF_LOG_LEVEL=level)
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert ("great_expectations" in proc.stderr) is shown, proc.stderr[-2000:]


def test_a_bad_fzzf_log_level_is_a_usage_error():
    proc = subprocess.run(
        [str(FZZF), "registry"], capture_output=True, text=True, timeout=120, env=_env(FZZF_LOG_LEVEL="LOUD")
    )
    assert proc.returncode == 2
    assert "FZZF_LOG_LEVEL='LOUD'" in proc.stderr


def test_a_build_in_a_process_that_ends_like_an_airflow_task_leaks_no_semaphore(tmp_path):
    """Airflow's task process ends with ``os._exit`` (no exit handlers): whatever multiprocessing semaphores are still
    alive then, the resource tracker reports as leaked on the task's stderr, which Airflow logs as two ERROR lines.
    dbt's adapter holds two (issue 22, item 6): the build must have released them."""
    data_dir = tmp_path / "data"
    registry = write_registry(tmp_path / "registry.yaml", ["510001"])
    land(data_dir, [record("510001", "003")])
    code = (
        "import datetime as dt, os, sys\n"
        "from scrapers.orchestration.tasks import build_warehouse\n"
        "print(build_warehouse(dt.date(2025, 6, 1))['published'], flush=True)\n"
        "os._exit(0)  # as airflow.sdk.execution_time.supervisor's task process does\n"
    )
    env = _env(FZZF_TODAY="2025-06-01", FZZF_DATA_DIR=str(data_dir), FZZF_REGISTRY=str(registry))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stdout + proc.stderr[-3000:]
    assert "leaked semaphore" not in proc.stderr and "resource_tracker" not in proc.stderr, proc.stderr[-2000:]


def test_a_failed_gate_prints_its_summary_once_and_no_traceback(tmp_path):
    """``fzzf build`` on a build the marts gate stops: exit 1, the summary once (in the "not published" notice, on
    stderr, no channel being configured), then one line naming what stopped it; no traceback (issue 22, item 6)."""
    data_dir = tmp_path / "data"
    registry = write_registry(tmp_path / "registry.yaml", ["510001"])
    # One crawl that read nothing and a day before any report is due: coverage is empty, which the marts gate's
    # critical "coverage has rows" expectation refuses to publish.
    run_id = new_run_id()
    row = {"run_id": run_id, "government_id": "510001", "list_url": "http://510001.example.gov.cn/fzzf/",
           "status": "failed", "pages_fetched": 0, "requests": 1, "links_seen": 0, "reports_found": 0,
           "reports_new": 0, "links_skipped": 0, "errors": 1, "error": "HTTP 503",
           "started_at": "2015-05-31T00:00:00", "finished_at": "2015-05-31T00:00:01"}  # fmt: skip
    Landing(data_dir).ensure().write_rows("crawl_log", run_id, "510001", [row])
    proc = subprocess.run(
        [str(FZZF), "build", "--data-dir", str(data_dir), "--registry", str(registry), "--as-of", "2015-06-01"],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(FZZF_TODAY="2015-06-01"),
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-3000:]
    assert output.count("build as of 2015-06-01: NOT PUBLISHED (marts gate)") == 2, output  # summary + error line
    assert output.count("critical: marts_coverage_complete") == 1, output
    assert output.count("timings: ") == 1, output
    [error] = [ln for ln in proc.stderr.splitlines() if ln.startswith("fzzf build: ")]
    assert "NOT PUBLISHED (marts gate): marts_coverage_complete: expect_table_row_count_to_be_between" in error
    assert "Traceback" not in output and "leaked semaphore" not in output, output
