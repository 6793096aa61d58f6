"""``fzzf serve``'s JSON endpoints and pages, over real HTTP on 127.0.0.1 against the demo's real published warehouse
(crawled from the demo portal, built by dbt, gated by GX, alerted to the outbox): each answer is compared with what
DuckDB reads from the same file."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from gates.test_marts_quarantine import BAD_SENTENCE

from scrapers.alerts.state import state_path
from scrapers.coverage_page.builds import group_builds
from scrapers.coverage_page.server import STATIC_DIR, CoveragePage
from scrapers.gate.runs import runs_path
from scrapers.warehouse.paths import published_path
from scrapers.warehouse.publish import publish

pytestmark = pytest.mark.integration


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def api(page: CoveragePage, path: str) -> tuple[int, dict]:
    status, _, body = get(page.url + "api/" + path)
    return status, json.loads(body)


def test_heatmap_counts_are_the_warehouses(demo_page, demo_facts):
    status, data = api(demo_page, "heatmap")
    assert status == 200
    missing = demo_facts["missing"]
    cell = next(
        c for c in data["cells"] if c["province"] == missing["province"] and c["year"] == missing["report_year"]
    )
    assert cell["counts"].get("missing") == 1
    assert sum(c["counts"].get("missing", 0) for c in data["cells"]) == data["status_counts"]["missing"] == 1
    assert data["provinces"] == sorted(data["provinces"]) and missing["report_year"] in data["years"]


def test_cell_and_government_carry_status_due_date_and_reason(demo_page, demo_facts):
    missing = demo_facts["missing"]
    province = urllib.request.quote(missing["province"])
    status, cell = api(demo_page, f"cell?province={province}&year={missing['report_year']}")
    assert status == 200
    first = cell["governments"][0]  # the gaps first
    assert (first["government_id"], first["status"]) == (missing["government_id"], "missing")

    status, gov = api(demo_page, f"government/{missing['government_id']}")
    assert status == 200 and gov["government"]["name"] == missing["name"]
    year = next(y for y in gov["years"] if y["report_year"] == missing["report_year"])
    assert year["status"] == "missing"
    assert year["due_date"] == str(missing["due_date"])
    assert year["reason"] == missing["reason"] and year["reason"]


def test_report_text_and_source_link(demo_page, demo_facts):
    report = demo_facts["report"]
    status, data = api(demo_page, f"report/{report['government_id']}/{report['report_year']}")
    assert status == 200
    assert data["report"]["body"] == report["body"]
    assert data["report"]["url"] == report["url"] and data["report"]["title"] == report["title"]
    assert data["coverage"]["status"] in ("on_time", "late")


def test_missing_list_says_what_the_alert_channel_was_told(demo_page, demo_data, demo_facts):
    status, data = api(demo_page, "missing")
    assert status == 200
    (row,) = data["missing"]
    assert (row["government_id"], row["report_year"]) == (
        demo_facts["missing"]["government_id"],
        demo_facts["missing"]["report_year"],
    )
    state = json.loads(state_path(demo_data).read_text(encoding="utf-8"))
    told = state["missing"][f"{row['government_id']}|{row['report_year']}"]
    assert row["alerted"] is True and row["channels"] == sorted(told["sent_to"]) == ["outbox"]
    assert row["alerted_at"] == told["sent_to"]["outbox"]
    assert row["reason"] == demo_facts["missing"]["reason"]


def test_an_unreadable_alert_state_is_shown_and_left_alone(demo_page, demo_data):
    path = state_path(demo_data)
    kept = path.read_bytes()
    try:
        path.write_bytes(b"{torn")
        status, data = api(demo_page, "missing")
        assert status == 200
        assert "unreadable" in data["alert_state_problem"]
        assert data["missing"] and not any(r["alerted"] for r in data["missing"])
        assert path.read_bytes() == b"{torn"  # not moved aside: only `fzzf alert` repairs the state
        assert not list(path.parent.glob("state.corrupt.*"))
    finally:
        path.write_bytes(kept)


def test_search_finds_a_sentence(demo_page, demo_facts):
    report = demo_facts["report"]
    sentence = next(s for s in re.split(r"[。\n]", report["body"]) if len(s) >= 15 and not re.search(r"\s", s))
    status, data = api(demo_page, "search?q=" + urllib.request.quote(sentence))
    assert status == 200 and data["total"] >= 1
    hit = next(r for r in data["results"] if r["government_id"] == report["government_id"])
    assert hit["report_year"] == report["report_year"] and sentence in hit["snippet"]
    status, none = api(demo_page, "search?q=" + urllib.request.quote("这句话不在任何报告里出现过"))
    assert (status, none["total"], none["results"]) == (200, 0, [])


def test_metrics_have_chinese_labels(demo_page, demo_facts):
    status, data = api(demo_page, "metrics")
    assert status == 200 and data["available"]
    assert data["figures"], "the demo reports state figures"
    assert demo_facts["metric_label"] in {f["label"] for f in data["figures"]}
    assert all(re.search(r"[\u4e00-\u9fff]", f["label"]) for f in data["figures"])
    metric = data["figures"][0]["metric"]
    status, one = api(demo_page, f"metrics?metric={metric}")
    assert status == 200 and {f["metric"] for f in one["figures"]} == {metric}


def test_builds_carry_the_gate_results(demo_page):
    status, data = api(demo_page, "builds")
    assert status == 200 and data["builds"]
    newest = data["builds"][0]
    assert newest["published"] and newest["success"] and newest["reached_marts"]
    status, build = api(demo_page, f"builds/{newest['build']}")
    assert status == 200
    suites = [r["suite"] for r in build["build"]["runs"]]
    assert any(s.startswith("landing_") for s in suites) and any(s.startswith("marts_") for s in suites)
    assert build["quarantine_known"] and build["quarantine"] is not None
    assert api(demo_page, "builds/999")[0] == 404


def _newest_build(page: CoveragePage) -> dict:
    status, listing = api(page, "builds")
    assert status == 200
    status, build = api(page, f"builds/{listing['builds'][0]['build']}")
    assert status == 200 and build["build"]["published"]
    return build


def test_the_build_page_names_the_marts_rows_held_back(quarantined_data, tmp_path):
    warehouse = published_path(quarantined_data)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        held = con.execute(
            "select government_id, report_year, value from marts.quarantined_rows "
            "where is_current and table_name = 'report_metrics'"
        ).fetchall()
    assert held == [("g2", 2022, "150.0")]
    with CoveragePage(quarantined_data, port=0) as page:
        # one build: its marts gate validated each quarantining suite again after the take-out, not a new build
        status, listing = api(page, "builds")
        assert [b["build"] for b in listing["builds"]] == [1] and listing["builds"][0]["quarantined"] >= 2
        build = _newest_build(page)
        suites = [r["suite"] for r in build["build"]["runs"]]
        assert suites[0].startswith("landing_") and suites.count("marts_report_metrics") == 2
        assert build["marts_quarantine_available"] and build["marts_released"] == []
        figure = next(r for r in build["marts_quarantined"] if r["table_name"] == "report_metrics")
        assert (figure["government_id"], figure["government_name"], figure["report_year"]) == ("g2", "测试g2", 2022)
        assert (figure["field"], figure["value"], figure["sentence"]) == (
            "负责人出庭应诉_出庭率",
            "150.0",
            BAD_SENTENCE,
        )
        assert figure["url"].startswith("http://g2.example.gov.cn/fzzf/004_")
        assert figure["expectation"] == "expect_column_values_to_be_between(rate_value)"
        assert figure["reason"] == "rate outside 0-100%"

        # the report's page says the figure is held back, and lists only the published ones
        status, report = api(page, "report/g2/2022")
        assert status == 200
        assert [r["quarantine_id"] for r in report["held_back"] if r["table_name"] == "report_metrics"] == [
            figure["quarantine_id"]
        ]
        assert report["metrics"] and 150.0 not in {m["value"] for m in report["metrics"]}
        assert api(page, "report/g1/2022")[1]["held_back"] == []

    # released by a later build: history, not held back; an older warehouse without the table: no panel, no error
    for change, expect in (
        ("update marts.quarantined_rows set is_current = false, released_at = last_quarantined_at", "released"),
        ("drop table marts.quarantined_rows", "absent"),
    ):
        data = tmp_path / expect
        runs_path(data).parent.mkdir(parents=True)
        shutil.copy(warehouse, published_path(data))
        shutil.copy(runs_path(quarantined_data), runs_path(data))
        with duckdb.connect(str(published_path(data))) as con:
            con.execute(change)
        with CoveragePage(data, port=0) as page:
            build = _newest_build(page)
            status, report = api(page, "report/g2/2022")
        assert status == 200 and report["held_back"] == [] and build["marts_quarantined"] == []
        if expect == "released":
            assert build["marts_quarantine_available"]
            assert figure["quarantine_id"] in {r["quarantine_id"] for r in build["marts_released"]}
        else:
            assert not build["marts_quarantine_available"] and build["marts_released"] == []


def test_bad_requests_name_the_problem(demo_page):
    status, data = api(demo_page, "cell?province=x&year=abc")
    assert status == 400 and "'year'" in data["error"]
    status, data = api(demo_page, "government/000000")
    assert status == 404 and "000000" in data["error"]
    status, data = api(demo_page, "nothing")
    assert status == 404 and "heatmap" in data["error"]


def test_concurrent_requests_each_read_the_file(demo_page):
    paths = ["heatmap", "missing", "search?q=%E8%A1%8C%E6%94%BF%E5%A4%8D%E8%AE%AE", "metrics", "builds"] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda p: api(demo_page, p)[0], paths))
    assert statuses == [200] * len(paths)


def test_a_new_publish_is_served_without_a_restart(demo_data, tmp_path):
    """A build publishes by atomic rename while the page runs: the next request reads the new file."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(published_path(demo_data), published_path(data))
    with CoveragePage(data, port=0) as page:
        assert len(api(page, "missing")[1]["missing"]) == 1
        staged = tmp_path / "staged.duckdb"
        shutil.copy(published_path(data), staged)
        con = duckdb.connect(str(staged))
        try:
            con.execute("delete from marts.missing_reports")  # as if the report had turned up
        finally:
            con.close()
        publish(staged, published_path(data))
        status, after = api(page, "missing")
        assert (status, after["missing"]) == (200, [])


def test_the_server_never_writes_the_warehouse(demo_page, demo_data):
    warehouse = published_path(demo_data)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    for path in ("heatmap", "missing", "search?q=%E6%B3%95%E6%B2%BB", "metrics", "builds", "builds/1"):
        assert api(demo_page, path)[0] == 200
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert not warehouse.with_name(warehouse.name + ".wal").exists()


def test_static_files_only_and_no_outside_source(demo_page):
    status, headers, body = get(demo_page.url)
    assert status == 200 and "default-src 'self'" in headers["Content-Security-Policy"]
    html = body.decode("utf-8")
    assert "覆盖情况" in html
    # every asset the page names is its own: no CDN, no font service
    for name in ("index.html", "app.js", "style.css"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text), name
        assert "@import" not in text and "url(http" not in text, name
    assert get(demo_page.url + "static/../server.py")[0] == 404
    assert get(demo_page.url + "static/vendor/README.md")[0] == 404


def test_vendored_echarts_is_the_one_the_readme_names(demo_page):
    readme = (STATIC_DIR / "vendor" / "README.md").read_text(encoding="utf-8")
    (version, digest) = re.search(r"\| (\d+\.\d+\.\d+) \| `([0-9a-f]{64})`", readme).groups()
    status, _, body = get(demo_page.url + "static/vendor/echarts.min.js")
    assert status == 200 and hashlib.sha256(body).hexdigest() == digest
    assert f't.version="{version}"' in body.decode("utf-8")  # echarts.version


def test_no_published_warehouse_says_what_to_run(tmp_path):
    with CoveragePage(tmp_path, port=0) as page:
        status, headers, body = get(page.url)
        html = body.decode("utf-8")
        assert status == 503 and headers["Content-Type"].startswith("text/html")
        assert "尚无已发布的数据仓库" in html and "make demo" in html and "fzzf build" in html
        assert "No published warehouse" in html and "Traceback" not in html
        status, data = api(page, "heatmap")
        assert status == 503 and data["no_warehouse"] and "make demo" in data["error"]


def test_a_damaged_warehouse_is_named_not_a_traceback(tmp_path):
    published_path(tmp_path).write_bytes(b"not a duckdb file" * 100)
    with CoveragePage(tmp_path, port=0) as page:
        status, data = api(page, "heatmap")
    assert status == 503
    assert str(published_path(tmp_path)) in data["error"] and "fzzf build" in data["error"]
    assert data["error"].startswith("数据仓库无法读取")


def test_fzzf_serve_command(demo_data):
    fzzf = Path(sys.executable).with_name("fzzf")
    proc = subprocess.Popen(
        [str(fzzf), "serve", "--data-dir", str(demo_data), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        assert get(url + "api/summary")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _run(suite: str, at: str, as_of: str = "2026-12-01", success: bool = True) -> dict:
    return {"suite": suite, "validated_at": at, "as_of": as_of, "success": success, "failed": 0 if success else 1,
            "critical_failed": 0 if success else 1, "warnings": 0, "quarantined": 0}  # fmt: skip


def test_group_builds_by_the_order_builds_run_their_gates():
    landing = ("landing_reports", "landing_crawl_log", "landing_links")
    runs = [
        *(_run(s, f"2026-12-01T01:00:0{i}") for i, s in enumerate(landing)),
        _run("marts_report_coverage", "2026-12-01T01:01:00"),
        # the marts gate took rows out and validated the same suite again on what remains: the same build
        {**_run("marts_report_metrics", "2026-12-01T01:01:01"), "quarantined": 1},
        _run("marts_report_metrics", "2026-12-01T01:01:02"),
        # a build stopped at the landing gate: the next build's landing suites start a new one
        _run("landing_reports", "2026-12-02T01:00:00", "2026-12-02", success=False),
        *(_run(s, f"2026-12-03T01:00:0{i}", "2026-12-03") for i, s in enumerate(landing)),
        _run("dbt_build", "2026-12-03T01:01:00", "2026-12-03", success=False),
        # a what-if build for another day between two daily ones
        _run("landing_reports", "2026-12-03T02:00:00", "2025-06-01"),
    ]
    builds = group_builds(runs)
    assert [b["build"] for b in builds] == [4, 3, 2, 1]
    assert [b["suites"] for b in builds] == [1, 4, 1, 5]  # suites run, a re-validation not counted twice
    assert [b["success"] for b in builds] == [True, False, False, True]
    assert [b["reached_marts"] for b in builds] == [False, False, False, True]
