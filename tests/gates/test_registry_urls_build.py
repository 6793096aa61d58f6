"""Governments the registry knows no list page for: a real build (landing gate, dbt, marts gate, publish, alerts)
says `unknown` for their years, never `missing`, and the alert channel hears nothing of them.

Four governments, each read successfully on 2024-04-20 as far as the crawl log goes, none with a 2022 report:

- ``g_list``: a list page. Its 2022 report is missing: the one real gap, alerted.
- ``g_none``: ``no_url: true`` (it once had a URL, so the crawl log has a success): unknown, "no URL known".
- ``g_report``: only report URLs. Its 2023 report was fetched (on time); 2022 is unknown: no list page shows it absent.
- ``g_home``: only a home page, and no column found from it confirmed yet: unknown (issue 21 §2: a home page is
  read for its report column, and only a confirmed column can show a year missing).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest
import yaml

from scrapers.landing import Landing, new_run_id
from scrapers.warehouse.build import run_build
from scrapers.warehouse.paths import published_path
from scrapers.warehouse.published import missing_reports

from .helpers import FETCHED, land, record

pytestmark = pytest.mark.gates

AS_OF = dt.date(2024, 5, 1)
REGISTRY = {
    "defaults": {"reports_from": 2022},
    "governments": [
        {"id": "g_list", "name": "甲县人民政府", "level": "county", "province": "四川省",
         "list_urls": ["http://g_list.example.gov.cn/fzzf/"]},
        {"id": "g_none", "name": "乙县人民政府", "level": "county", "province": "四川省", "no_url": True},
        {"id": "g_report", "name": "丙县人民政府", "level": "county", "province": "四川省", "list_urls": [],
         "report_urls": ["http://g_report.example.gov.cn/fzzf/2024/t20240320_1.html"],
         "sources": [{"url": "http://g_report.example.gov.cn/fzzf/2024/t20240320_1.html", "evidence": "seen"}]},
        {"id": "g_home", "name": "丁县人民政府", "level": "county", "province": "四川省", "list_urls": [],
         "home_url": "http://g_home.example.gov.cn/"},
    ],
}  # fmt: skip


def crawl_row(run_id: str, gid: str) -> dict:
    return {
        "run_id": run_id, "government_id": gid, "list_url": f"http://{gid}.example.gov.cn/fzzf/", "status": "ok",
        "pages_fetched": 1, "requests": 1, "links_seen": 0, "reports_found": 0, "reports_new": 0,
        "links_skipped": 0, "errors": 0, "error": None, "started_at": FETCHED, "finished_at": FETCHED,
    }  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = tmp_path_factory.mktemp("urls")
    registry = data / "registry.yaml"
    registry.write_text(yaml.safe_dump(REGISTRY, allow_unicode=True), encoding="utf-8")
    land(data, [record("g_report", "003", report_year=2023, publish_date=dt.date(2024, 3, 20),
                       url=REGISTRY["governments"][2]["report_urls"][0])])  # fmt: skip
    run = new_run_id()
    landing = Landing(data)
    for gid in ("g_list", "g_none", "g_home"):
        landing.write_rows("crawl_log", run, gid, [crawl_row(run, gid)])
    result = run_build(data, registry, AS_OF, send_alerts=True)
    assert result.published, result.describe()
    con = duckdb.connect(str(published_path(data)), read_only=True)
    try:
        rows = con.execute(
            "select government_id, report_year, status, status_reason, url_status from marts.report_coverage"
        ).fetchall()
        statuses = {(g, y): (s, r, u) for g, y, s, r, u in rows}
        missing = con.execute("select government_id, report_year from marts.missing_reports").fetchall()
        governments = dict(con.execute("select government_id, url_status from marts.governments").fetchall())
        explained = {
            (g, y): (k, r)
            for g, y, k, r in con.execute(
                "select government_id, report_year, reason_kind, reason from marts.coverage_explained"
            ).fetchall()
        }
    finally:
        con.close()
    return {
        "data": data,
        "registry": registry,
        "statuses": statuses,
        "missing": missing,
        "governments": governments,
        "explained": explained,
    }


def test_only_a_government_with_a_list_page_can_be_missing(built):
    s = built["statuses"]
    assert s[("g_list", 2022)][0] == "missing"
    assert s[("g_none", 2022)] == ("unknown", "no URL known for this government", "none")
    assert s[("g_report", 2023)][0] == "on_time"
    assert s[("g_report", 2022)][0] == "unknown"
    assert "only report URLs" in s[("g_report", 2022)][1]
    assert s[("g_home", 2022)][0] == "unknown" and "report column not confirmed" in s[("g_home", 2022)][1]
    # Not yet due: the same for every government (nothing is owed yet).
    assert {s[(g, 2024)][0] for g in ("g_list", "g_none", "g_report", "g_home")} == {"not_due"}
    # 2023 is within grace on 2024-05-01: overdue (the reminder path) for g_list only, unknown for the others.
    assert s[("g_list", 2023)][0] == "overdue"
    assert {s[(g, 2023)][0] for g in ("g_none", "g_home")} == {"unknown"}
    assert sorted(built["missing"]) == [("g_list", 2022)]
    assert built["governments"] == {"g_list": "list", "g_none": "none", "g_report": "report", "g_home": "home"}


def test_missing_on_a_later_day_leaves_them_out_too(built, tmp_path):
    # As of 2025-06-01 the 2024 reports (not_due in the build) are past grace: only g_list's can be missing. The
    # what-if build applies that day's rules, so every portal must have been read recently by then (else unknown):
    # a copy of the data directory gets one more crawl, three weeks before.
    data = tmp_path / "data"
    shutil.copytree(built["data"], data)
    run, finished = new_run_id(), dt.datetime(2025, 5, 10, 8, 0, 0)
    for gid in ("g_list", "g_none", "g_report", "g_home"):
        row = {**crawl_row(run, gid), "started_at": finished, "finished_at": finished}
        Landing(data).write_rows("crawl_log", run, gid, [row])
    result = run_build(data, built["registry"], dt.date(2025, 6, 1), send_alerts=False, what_if=True)
    assert result.published, result.describe()
    later = missing_reports(result.warehouse)
    assert {r["government_id"] for r in later} == {"g_list"}


def test_the_alert_digest_names_only_the_real_gap(built):
    outbox = built["data"] / "alerts" / "outbox.jsonl"
    messages = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = json.dumps([m for m in messages if m["kind"] == "missing_reports"], ensure_ascii=False)
    assert "甲县人民政府" in text
    for name in ("乙县", "丙县", "丁县"):
        assert name not in text
    # They are `unknown`: told in the weekly "cannot verify" digest instead (issue 20, item 12), never as missing.
    (unknown,) = [m for m in messages if m["kind"] == "cannot_verify"]
    for name in ("乙县", "丙县", "丁县"):
        assert name in unknown["body"]
    assert "no URL known" in unknown["body"] and "missing" not in unknown["title"]


def test_coverage_explained_gives_the_registry_reason(built):
    e = built["explained"]
    assert e[("g_none", 2022)] == ("no_list_url", "no URL known for this government")
    assert e[("g_report", 2022)][0] == "no_list_url"
    assert e[("g_home", 2022)][0] == "column_not_confirmed"  # its home page is read; no column confirmed there yet
    assert e[("g_list", 2022)][0] == "no_link"  # a government with a list page keeps the crawler's evidence
