"""SIGKILL mid-run: the crawler loses nothing it landed and duplicates nothing; a build killed while publishing
leaves a published warehouse that opens and answers, and the next build succeeds (pipeline.py, run 4)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import (
    FZZF,
    REPO,
    Gov,
    all_landing_files_parse,
    base_env,
    kill_group,
    landing_rows,
    make_report,
    publish,
    query,
    run_fzzf,
    write_registry,
)
from .farm import page, slow

pytestmark = pytest.mark.reliability

DELAYS = (0.0, 0.15, 0.4, 0.8)  # seconds per report page, one per government: they finish one after another
REPORTS_EACH = 5


def _slow_farm(farm) -> list[Gov]:
    govs = []
    for i, delay in enumerate(DELAYS):
        gov = Gov(f"k{i}", ["安州区", "涪城区", "游仙区", "三台县"][i], farm.site(f"k{i}"))
        reports = [make_report(gov.name, 2016 + y, y) for y in range(REPORTS_EACH)]
        publish(gov, reports)
        for r in reports:
            gov.site.set(r.path, slow(gov.site, delay, page(r.render())))
        govs.append(gov)
    return govs


def _landed_files(data):
    return {p: p.read_bytes() for p in (data / "landing").rglob("*.jsonl") if p.name != "_empty.jsonl"}


# Kill points, each an exact moment in the crawl of k0 (the fastest government) while the others are mid-fetch:
# the process freezes itself when it opens the named temp file (netguard/sitecustomize.py), then gets SIGKILL.
KILL_POINTS = {
    "before_reports_land": "/landing/reports/|/.k0.jsonl.",
    "between_reports_and_links": "/landing/links/|/.k0.jsonl.",
    "before_state_is_saved": "/state/|/.k0.json.",
}


def _frozen(proc, timeout=60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            state = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return False
        if state == "T":
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_sigkill_mid_crawl_then_restart_loses_and_duplicates_nothing(farm, tmp_path, point):
    govs = _slow_farm(farm)
    registry = write_registry(tmp_path / "registry.yaml", govs)
    data = tmp_path / "data"
    env = base_env(tmp_path)
    args = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts"]
    proc = subprocess.Popen([*FZZF, *args], cwd=REPO, env=dict(env, FZZF_TEST_STOP_AT_OPEN=KILL_POINTS[point]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        assert _frozen(proc), f"the crawl never reached the kill point {point} (exit code {proc.poll()})"
    finally:
        kill_group(proc, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL

    before = _landed_files(data)
    done_before = {p.stem for p in (data / "landing" / "crawl_log").glob("*/*.jsonl") if p.name != "_empty.jsonl"}
    assert "k3" not in done_before, "killed too late to prove anything"
    problems = [x for x in all_landing_files_parse(data) if not x.startswith("leftover temp file")]
    assert problems == [], "a killed crawl left partial files"

    again = run_fzzf(args, env)
    assert again.returncode == 0, again.output[-3000:]

    # Everything landed before the kill is still there, byte for byte.
    after = _landed_files(data)
    for path, content in before.items():
        assert after.get(path) == content, path
    # Every report landed exactly once over both runs.
    rows = landing_rows(data, "reports")
    keys = [(r["government_id"], r["url"], r["content_hash"]) for r in rows]
    twice = sorted({k[:2] for k in keys if keys.count(k) > 1})
    assert not twice, f"landed twice after a kill at {point}: {twice}"
    expected = {(g.id, g.report_url(r)) for g in govs for r in g.reports}
    assert {(g, u) for g, u, _h in keys} == expected


def test_sigkill_while_publishing_leaves_a_usable_warehouse(pipeline):
    """Run 4's build is killed with half the new warehouse copied: the published file still opens, holds the
    whole previous build, and the next build (run 5) publishes the new report and clears the temp file."""
    k = pipeline.after_kill
    assert "kill build" not in pipeline.errors, pipeline.errors.get("kill build")
    assert k.get("killed"), k.get("output")
    assert k.get("temps_at_kill"), "no temp file existed at the kill: the kill was not mid-copy"
    assert "error" not in k, k.get("error")
    assert k["after"] == k["before"], "the published warehouse changed under a killed build"
    assert all(n >= 0 for n in k["tables"].values())
    assert pipeline.notes["new_report_url"] not in {r[2] for r in k["after"]}

    rebuilt = pipeline.steps["build5"]
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    urls = {r[0] for r in query(pipeline.data / "warehouse.duckdb", "select url from marts.annual_reports")}
    assert pipeline.notes["new_report_url"] in urls
    assert k["temps_after_rebuild"] == [], k["temps_after_rebuild"]
