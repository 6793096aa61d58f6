"""A real ``fzzf build`` log at INFO: one line per build step with its time and counts, no library chatter."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
