"""Two crawls started at once on one data directory: each government is crawled by one of them while the other
waits for it (or says clearly that it could not); no report lands twice, no file is corrupt."""

from __future__ import annotations

import subprocess

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
    write_registry,
)
from .farm import page, slow

pytestmark = pytest.mark.reliability


def test_two_crawls_at_once_on_one_data_directory(farm, tmp_path):
    govs = []
    for i, name in enumerate(["安州区", "涪城区", "游仙区"]):
        gov = Gov(f"c{i}", name, farm.site(f"c{i}"))
        reports = [make_report(name, 2019 + y, y) for y in range(4)]
        publish(gov, reports)
        for r in reports:
            gov.site.set(r.path, slow(gov.site, 0.25, page(r.render())))
        govs.append(gov)
    registry = write_registry(tmp_path / "registry.yaml", govs)
    data = tmp_path / "data"
    env = base_env(tmp_path)
    args = [*FZZF, "crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts"]
    procs = [
        subprocess.Popen(
            args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            outputs.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            kill_group(proc)

    for code, out, err in outputs:
        if code != 0:  # refusing is allowed, with a message that says why
            assert code in (1, 2) and ("lock" in (out + err).lower() or "another crawl" in (out + err)), out + err
    assert any(code == 0 for code, _o, _e in outputs), outputs

    assert all_landing_files_parse(data) == []
    rows = landing_rows(data, "reports")
    keys = [(r["government_id"], r["url"]) for r in rows]
    assert len(keys) == len(set(keys)), "a report landed twice"
    assert set(keys) == {(g.id, g.report_url(r)) for g in govs for r in g.reports}
    # each report page was fetched once: the second crawl found them known instead of fetching them again
    for g in govs:
        for r in g.reports:
            assert len(g.site.hits(r.path)) == 1, (g.id, r.path, len(g.site.hits(r.path)))
    # one crawl-log row per government and crawl that actually crawled it; none of them failed
    logs = landing_rows(data, "crawl_log")
    assert {r["government_id"] for r in logs} == {g.id for g in govs}
    assert all(r["status"] == "ok" for r in logs), [(r["government_id"], r["status"], r["error"]) for r in logs]
