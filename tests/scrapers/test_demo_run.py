"""The demo's data directory shared with `fzzf airflow` (issue 22, item 1): the portal comes back on the port the
demo's registry names, and `fzzf demo` does not wipe a directory a running `fzzf airflow` uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.demo.run import MARKER, REGISTRY_FILE, serve_demo
from scrapers.orchestration.airflow_local import UsageError


def test_the_portal_comes_back_where_the_registry_has_it(tmp_path):
    demo = tmp_path / "demo"
    with serve_demo(demo) as (data_dir, registry, url, env):
        assert data_dir == demo and registry == demo / REGISTRY_FILE and (demo / MARKER).exists()
        assert url in registry.read_text(encoding="utf-8")
        assert env["FZZF_DATA_DIR"] == str(demo) and env["FZZF_REGISTRY"] == str(registry)
    with serve_demo(demo) as (_data_dir, _registry, again, _env):
        assert again == url  # the crawl state and landed URLs of earlier runs stay valid


def test_a_running_ui_keeps_its_demo_directory(tmp_path):
    demo = tmp_path / "demo"
    with serve_demo(demo) as (_data_dir, registry, _url, _env):
        with pytest.raises(UsageError, match="another fzzf airflow runs on"), serve_demo(demo):
            pass
        fzzf = str(Path(sys.executable).with_name("fzzf"))
        proc = subprocess.run([fzzf, "demo", "--data-dir", str(demo)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1 and "fzzf airflow (make airflow) runs on" in proc.stderr, proc.stderr
        assert registry.exists()  # nothing wiped


def test_a_directory_the_demo_did_not_make_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "warehouse.duckdb").write_bytes(b"")
    with pytest.raises(UsageError, match="was not made by fzzf demo"), serve_demo(tmp_path / "real"):
        pass
