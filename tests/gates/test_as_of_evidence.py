"""A build for a past day sees only what had landed by the end of that day (Beijing); a build for the pinned day
sees every landed row, and report_coverage and coverage_explained read the same runs (issue 20 follow-up).

"Today" is pinned to 2024-06-30; the 2023 reports were due 2024-04-01, grace ended 2024-05-01. Each government's
list page (the registry's, read as is: a confirmed column) was read on 2024-05-10 and 2024-06-20, and:
  - lt: its 2023 report (stated 2024-03-20) was first listed and landed on 2024-06-20;
  - lf: a link titled as its 2023 report failed (HTTP 500) from 2024-06-01 on;
  - rn: nothing else: a plain gap;
  - la: read on 2024-06-20 only (none by 2024-05-15);
  - pn: its only crawl landed on 2024-07-05, after the pinned day, as a demo's crawl does (`fzzf demo --as-of` a
    day before the crawl): the pinned day's build counts it, in report_coverage and in coverage_explained alike.
A what-if build as of 2024-05-15 answers what a build on that day would have: lt and lf `missing` (nothing seen by
then), la `unknown` (no read by then). The build for 2024-06-30 sees everything.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from scrapers import cli
from scrapers.landing import Landing, new_run_id

from .helpers import record, write_registry

pytestmark = [pytest.mark.gates, pytest.mark.integration]

TODAY = dt.date(2024, 6, 30)
PAST = dt.date(2024, 5, 15)
READ = dt.datetime(2024, 5, 10, 2)
LATER = dt.datetime(2024, 6, 20, 2)
GOVERNMENTS = ["lt", "lf", "rn", "la", "pn"]


def _crawl_log(data, gid: str, when: dt.datetime, reports: int = 0) -> str:
    run_id = new_run_id(when)
    Landing(data).write_rows("crawl_log", run_id, gid, [{
        "run_id": run_id, "government_id": gid, "list_url": f"http://{gid}.example.gov.cn/fzzf/", "status": "ok",
        "pages_fetched": 1, "requests": 1 + reports, "links_seen": reports, "reports_found": reports,
        "reports_new": reports, "links_skipped": 0, "errors": 0, "error": None, "discovery": None,
        "started_at": when, "finished_at": when,
    }])  # fmt: skip
    return run_id


def _coverage(warehouse) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        coverage = dict(
            ((g, y), (status, kind))
            for g, y, status, kind in con.execute(
                "select government_id, report_year, status, status_reason_kind from marts.report_coverage"
            ).fetchall()
        )
        explained = dict(
            ((g, y), (kind, reason))
            for g, y, kind, reason in con.execute(
                "select government_id, report_year, reason_kind, reason from marts.coverage_explained"
            ).fetchall()
        )
    finally:
        con.close()
    return {key: (*value, *explained.get(key, (None, None))) for key, value in coverage.items()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("asof")
    data = tmp / "data"
    registry = write_registry(tmp / "registry.yaml", GOVERNMENTS, reports_from=2023)
    Landing(data).ensure()
    for gid in ("lt", "lf", "rn"):
        _crawl_log(data, gid, READ)
    # lt: the 2023 report, listed and landed on 2024-06-20 (stated 2024-03-20)
    report = {**record("lt", report_year=2023, publish_date=dt.date(2024, 3, 20)), "fetched_at": LATER}
    run_id = _crawl_log(data, "lt", LATER, reports=1)
    Landing(data).write_rows("reports", run_id, "lt", [{**report, "run_id": run_id}])
    Landing(data).write_rows("links", run_id, "lt", [{
        "run_id": run_id, "government_id": "lt", "list_url": report["list_url"], "url": report["url"],
        "title": report["title"], "decision": "report", "reason": "report", "report_year": 2023,
        "http_status": 200, "seen_at": LATER,
    }])  # fmt: skip
    # lf: a link titled as the 2023 report, failing from 2024-06-01 on
    for when in (dt.datetime(2024, 6, 1, 2), LATER):
        run_id = _crawl_log(data, "lf", when)
        Landing(data).write_rows("links", run_id, "lf", [{
            "run_id": run_id, "government_id": "lf", "list_url": "http://lf.example.gov.cn/fzzf/",
            "url": "http://lf.example.gov.cn/fzzf/2023.html", "title": "测试lf2023年法治政府建设年度报告",
            "decision": "error", "reason": "HTTP 500", "report_year": 2023, "http_status": 500, "seen_at": when,
        }])  # fmt: skip
    _crawl_log(data, "rn", LATER)
    _crawl_log(data, "la", LATER)
    _crawl_log(data, "pn", dt.datetime(2024, 7, 5, 2))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FZZF_TODAY", TODAY.isoformat())
        base = ["build", "--data-dir", str(data), "--registry", str(registry), "--no-alerts"]
        assert cli.main(base) == 0
        assert cli.main([*base, "--as-of", PAST.isoformat()]) == 0
    return {
        "today": _coverage(data / "warehouse.duckdb"),
        "past": _coverage(data / "whatif" / PAST.isoformat() / "warehouse.duckdb"),
    }


def test_the_build_for_today_sees_every_landed_row(built):
    today = built["today"]
    assert today[("lt", 2023)][0] == "on_time"
    assert today[("lf", 2023)][:2] == ("unknown", "link_failed")
    assert today[("rn", 2023)][:3] == ("missing", None, "no_link")
    assert today[("la", 2023)][:3] == ("missing", None, "no_link")


def test_coverage_and_its_explanation_read_the_same_runs(built):
    # a crawl landed after the pinned day: never "portal never crawled" beside a `missing`
    status, kind, reason_kind, reason = built["today"][("pn", 2023)]
    assert (status, kind, reason_kind) == ("missing", None, "no_link"), reason
    assert reason == "no link for this year on 1 list page"


def test_a_what_if_for_a_past_day_does_not_see_later_evidence(built):
    past = built["past"]
    # what the build of 2024-05-15 would have said: no report, no failing link seen by then
    assert past[("lt", 2023)][:3] == ("missing", None, "no_link"), past[("lt", 2023)]
    assert past[("lf", 2023)][:3] == ("missing", None, "no_link"), past[("lf", 2023)]
    assert past[("rn", 2023)][:3] == ("missing", None, "no_link")
    # la's only crawl came after that day: nobody could tell then
    for gid in ("la", "pn"):
        assert past[(gid, 2023)][:3] == ("unknown", "portal_unreachable", "never_crawled"), past[(gid, 2023)]
