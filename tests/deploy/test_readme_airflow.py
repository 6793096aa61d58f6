"""README "The UI on your machine", followed step by step against the demo portal (issue 22, items 1, 2 and 10):
`make demo`, `make airflow`, the demo's runs in the UI's REST API, a crawl triggered as the UI triggers it, the
asset-triggered build that follows, the task log the UI shows, loopback only, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import Proc, descendants, free_port, get_json, listening, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
FZZF = str(Path(sys.executable).with_name("fzzf"))


def _section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(f"### {title}\n")
    return text[start : text.index("\n### ", start + 1)]


def _runs(base: str, dag_id: str) -> list[dict]:
    return get_json(f"{base}/api/v2/dags/{dag_id}/dagRuns?order_by=run_after")["dag_runs"]


def _trigger(base: str, dag_id: str) -> dict:
    # The body the UI's Trigger button posts for a run without a logical date.
    body = json.dumps({"logical_date": None, "conf": {}, "note": None}).encode()
    req = urllib.request.Request(
        f"{base}/api/v2/dags/{dag_id}/dagRuns", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read().decode("utf-8"))


def _finished(base: str, dag_id: str, run_type: str | None = None, after: int = 0) -> dict | None:
    runs = [r for r in _runs(base, dag_id)[after:] if run_type in (None, r["run_type"])]
    return runs[0] if runs and runs[0]["state"] in ("success", "failed") else None


def test_the_readme_airflow_walkthrough_on_the_demo(tmp_path):
    section = _section("The UI on your machine")
    for step in ("make demo", "make airflow", "trigger `fzzf_collect`", "FZZF_REGISTRY=", "Ctrl-C", "UTC", "08:00"):
        assert step in section, f"the README walkthrough no longer says {step!r}"

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no FZZF_REGISTRY: the demo, as a newcomer has it
    work = tmp_path / "checkout"  # `make` runs in the checkout: data/demo is relative to it
    work.mkdir()

    # 1. make demo
    started = time.monotonic()
    demo = subprocess.run([FZZF, "demo"], env=env, cwd=work, capture_output=True, text=True, timeout=400)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    demo_s = time.monotonic() - started

    # 2. make airflow
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = Proc("fzzf-airflow", [FZZF, "airflow", "--port", str(port)], env, tmp_path, cwd=work)
    try:
        started = time.monotonic()
        wait_for(lambda: "Airflow UI: " in proc.log.read_text(encoding="utf-8"), 300, "the UI", [proc], every=2)
        ready_s = time.monotonic() - started

        # 3. The UI shows the demo's runs: one collect, one warehouse, both successful; no second build of them.
        demo_runs = {dag_id: _runs(base, dag_id) for dag_id in ("fzzf_collect", "fzzf_warehouse")}
        assert {d: [r["state"] for r in runs] for d, runs in demo_runs.items()} == {
            "fzzf_collect": ["success"],
            "fzzf_warehouse": ["success"],
        }
        dags = {d["dag_id"]: d for d in get_json(f"{base}/api/v2/dags")["dags"]}
        assert not dags["fzzf_collect"]["is_paused"] and not dags["fzzf_warehouse"]["is_paused"]

        # 4. Trigger fzzf_collect as the UI does: one run, against the demo portal.
        run = _trigger(base, "fzzf_collect")
        started = time.monotonic()
        collect = wait_for(lambda: _finished(base, "fzzf_collect", after=1), 180, "the triggered crawl", [proc])
        assert collect["dag_run_id"] == run["dag_run_id"] and collect["state"] == "success"
        assert len(_runs(base, "fzzf_collect")) == 2  # the trigger made one run, not one plus a scheduled one
        tis = get_json(f"{base}/api/v2/dags/fzzf_collect/dagRuns/{quote(run['dag_run_id'], safe='')}/taskInstances")
        crawled = [t for t in tis["task_instances"] if t["task_id"] == "crawl"]
        assert len(crawled) == 5 and {t["state"] for t in crawled} == {"success"}  # the demo portal's five

        # 5. Its landing triggers fzzf_warehouse, which builds and publishes.
        build = wait_for(
            lambda: _finished(base, "fzzf_warehouse", "asset_triggered"), 300, "the asset-triggered build", [proc]
        )
        pipeline_s = time.monotonic() - started
        assert build["state"] == "success"
        assert [r["run_type"] for r in _runs(base, "fzzf_warehouse")] == ["manual", "asset_triggered"]

        # 6. The build task's log, as the UI's log view reads it (no log server: from the home's logs/).
        run_path = quote(build["dag_run_id"], safe="")
        logs = get_json(f"{base}/api/v2/dags/fzzf_warehouse/dagRuns/{run_path}/taskInstances/build/logs/1", 30)
        events = [line.get("event", "") for line in logs["content"]]
        assert any(": PUBLISHED" in e for e in events), events[-20:]
        assert not any("Could not read served logs" in e for e in events)

        # 7. 127.0.0.1 only: the api-server and the demo portal; no log server on every interface.
        sockets = listening(descendants(proc.popen.pid))
        assert {address for address, _ in sockets} == {"127.0.0.1"}, sockets
        assert ("127.0.0.1", port) in sockets and len(sockets) == 2, sockets

        _print_runs(base)

        # 8. Ctrl-C: the terminal's SIGINT reaches fzzf's process group; every component stops, exit 0, one line.
        components = descendants(proc.popen.pid) - {proc.popen.pid}
        os.killpg(proc.popen.pid, signal.SIGINT)
        code = proc.popen.wait(timeout=90)
    finally:
        proc.stop()
    output = proc.log.read_text(encoding="utf-8")
    assert code == 0, output[-3000:]
    assert output.strip().splitlines()[-1].startswith("fzzf airflow: stopped ("), output[-2000:]
    assert "Traceback" not in output
    assert not [pid for pid in components if Path(f"/proc/{pid}").exists()], "components left running"
    print(f"walkthrough: make demo {demo_s:.0f} s, UI ready {ready_s:.0f} s, crawl + build {pipeline_s:.0f} s")


def _print_runs(base: str) -> None:
    """The runs as the UI's DAG runs list shows them (pytest -s prints them)."""
    for dag_id in ("fzzf_collect", "fzzf_warehouse"):
        for r in _runs(base, dag_id):
            print(f"{dag_id:15} {r['run_type']:16} {r['state']:8} {r['run_after']}  {r['dag_run_id']}")
