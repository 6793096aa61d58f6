"""Write-audit-publish end to end: real landing files, real dbt build, real GX gates, real DuckDB files.

One data directory goes through four builds, as a deployment would:

A. clean reports only                      -> published
B. plus a report whose body kept page chrome -> that record quarantined, the rest published
C. plus a report whose extracted metrics hold an impossible rate (1000 %) -> that figure quarantined by the marts
   gate, the rest published (tests/gates/test_marts_quarantine.py goes further)
D. a build for a day before any registered report year: coverage is empty -> the marts gate fails: nothing is
   published, the previous warehouse stays byte-identical, the failure names the expectation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from scrapers.demo.seeds import SEED_DIR
from scrapers.gate import check_marts, quarantine_path, read_validation_runs
from scrapers.registry.governments import load_registry
from scrapers.warehouse.build import run_build
from scrapers.warehouse.paths import published_path, staged_path

from .helpers import land, query, record, write_registry

pytestmark = pytest.mark.gates

AS_OF = dt.date(2024, 5, 1)
EARLY = dt.date(2021, 6, 1)  # before the registry's reports_from year: no government-year is expected
GOVS = ["g1", "g2", "g3"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(data: Path, build: str) -> Path:
    """A copy of the published warehouse as ``build`` left it (later builds replace it)."""
    return shutil.copy(published_path(data), data.parent / f"{data.name}_published_{build}.duckdb")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    data = tmp_path_factory.mktemp("wap")
    registry = write_registry(data / "registry.yaml", GOVS, reports_from=2022)
    out: dict = {"data": data, "registry": registry}

    clean = [record("g1", "003"), record("g2", "004")]
    land(data, clean)
    out["A"] = run_build(data, registry, AS_OF, send_alerts=False)
    out["A_sha"] = sha(published_path(data)) if published_path(data).exists() else None
    out["A_wh"] = snapshot(data, "A")

    raw001 = next(SEED_DIR.glob("001_*.txt")).read_text(encoding="utf-8")
    chrome = record("g3", "001", body=raw001)
    out["chrome_id"] = chrome["record_id"]
    land(data, [chrome])
    out["B"] = run_build(data, registry, AS_OF, send_alerts=False)
    out["B_sha"] = sha(published_path(data))
    out["B_wh"] = snapshot(data, "B")
    out["B_quarantine"] = quarantine_path(data).read_text(encoding="utf-8")  # build D's landing gate rewrites it

    bad_rate = record(
        "g1", "003", report_year=2023, publish_date=dt.date(2024, 3, 20), body=record("g1")["body"] + "\n附：统计表。"
    )
    bad_rate["metrics"] = [
        {
            "metric": "leader_court_appearance_rate",
            "value": 1000.0,
            "unit": "%",
            "scope": "unknown",
            "sentence": "行政机关负责人出庭应诉率达1000%",
            "section": None,
        }
    ]
    out["bad_id"] = bad_rate["record_id"]
    land(data, [bad_rate])
    out["C"] = run_build(data, registry, AS_OF, send_alerts=False)
    out["C_sha"] = sha(published_path(data))

    out["D"] = run_build(data, registry, EARLY, send_alerts=False)
    out["D_sha"] = sha(published_path(data))
    return out


def test_clean_build_publishes(builds):
    a = builds["A"]
    assert a.published, a.describe()
    assert a.quarantined == 0
    assert builds["A_sha"] is not None
    assert query(builds["A_wh"], "select government_id from marts.annual_reports order by 1") == [
        ("g1",),
        ("g2",),
    ]


def test_chrome_laden_body_is_quarantined_and_the_rest_published(builds):
    b = builds["B"]
    assert b.published, b.describe()
    assert b.quarantined == 1
    q = [json.loads(line) for line in builds["B_quarantine"].splitlines()]
    assert [x["record_id"] for x in q] == [builds["chrome_id"]]
    assert q[0]["reason"].startswith("page chrome left in the body")
    wh = builds["B_wh"]
    # analysts see the clean reports, and the held-back one only in marts.quarantine, with its reason
    assert query(wh, "select government_id from marts.annual_reports order by 1") == [("g1",), ("g2",)]
    assert query(wh, "select record_id, reason from marts.quarantine") == [(builds["chrome_id"], q[0]["reason"])]
    assert query(wh, f"select count(*) from marts.report_versions where record_id = '{builds['chrome_id']}'") == [(0,)]
    # g3's 2022 report is held back, so coverage does not count it as published
    [(status,)] = query(
        wh, "select status from marts.report_coverage where government_id = 'g3' and report_year = 2022"
    )
    assert status not in ("on_time", "late")
    assert builds["B_sha"] != builds["A_sha"]


def test_an_impossible_rate_is_quarantined_and_the_rest_published(builds):
    c, data = builds["C"], builds["data"]
    assert c.published, c.describe()
    assert (
        "expect_column_values_to_be_between(rate_value)" in c.gate_summary and "quarantined: 1 row(s)" in c.gate_summary
    )
    [row] = c.marts_quarantined
    assert row["value"] == "1000.0" and row["sentence"] == "行政机关负责人出庭应诉率达1000%"
    assert query(published_path(data), "select count(*) from marts.report_metrics where value = 1000") == [(0,)]
    assert query(published_path(data), "select count(*) from marts.quarantined_rows where is_current") == [(1,)]


def test_critical_failure_does_not_publish_and_keeps_the_previous_warehouse(builds):
    d = builds["D"]
    assert not d.published
    assert d.failed_step == "marts gate"
    assert builds["D_sha"] == builds["C_sha"]  # byte-identical
    assert "marts_coverage_complete: expect_table_row_count_to_be_between failed" in d.gate_summary
    # the staged warehouse that failed is still there for inspection
    assert query(staged_path(builds["data"]), "select count(*) from marts.report_coverage") == [(0,)]


def test_failed_gate_result_lists_expectations_and_rows(builds):
    data = builds["data"]
    result = check_marts(staged_path(data), load_registry(builds["registry"]), EARLY)
    assert not result.success
    [failure] = result.failures
    assert failure.suite == "marts_coverage_complete" and failure.severity == "critical"
    assert failure.expectation == "expect_table_row_count_to_be_between"
    assert "clear every dashboard" in result.describe()


def test_failed_gate_sends_an_alert(builds):
    texts = [
        p.read_text(encoding="utf-8", errors="replace") for p in (builds["data"] / "alerts").rglob("*") if p.is_file()
    ]
    assert any("marts gate" in t for t in texts), texts


def test_every_validation_is_recorded_and_published(builds):
    data = builds["data"]
    runs = read_validation_runs(data)
    suites = {r["suite"] for r in runs}
    assert {
        "landing_reports",
        "marts_report_coverage",
        "marts_coverage_complete",
        "marts_annual_reports",
        "marts_report_metrics",
        "marts_report_sections",
        "marts_crawl_health",
    } <= suites
    # builds A, B, C (twice: the run that quarantined, then the one on what remained), D
    metrics = [r for r in runs if r["suite"] == "marts_report_metrics"]
    assert [(r["success"], r["failed"], r["quarantined"]) for r in metrics][:5] == [
        (True, 0, None),
        (True, 0, None),
        (True, 1, 1),
        (True, 0, None),
        (True, 0, None),
    ]
    failed = next(r for r in runs if r["suite"] == "marts_coverage_complete" and not r["success"])
    assert failed["critical_failed"] == 1 and "expect_table_row_count_to_be_between" in failed["failures"][0]
    # the published warehouse (from build C) carries the runs up to and including C's
    published = query(published_path(data), "select suite, success from marts.validation_runs")
    # builds A and B: 3 landing + 6 marts suites; C: one more, the metrics suite run again after the quarantine
    assert len(published) == 2 * 9 + 10 and all(ok for _, ok in published)
    assert not (data / "gx" / "docs").exists()  # no GX Data Docs: the history is validation_runs (issue 23.3)


# --- the marts gate on a published warehouse broken by hand, one way at a time (no dbt run needed) ---------------


@pytest.fixture()
def broken(builds, tmp_path):
    """A copy of the last published warehouse (build C's) and a function that breaks it with one SQL statement."""
    copy = tmp_path / "build" / "warehouse.duckdb"
    copy.parent.mkdir()
    copy.write_bytes(published_path(builds["data"]).read_bytes())
    registry = load_registry(builds["registry"])

    def check(sql: str | None = None):
        if sql:
            con = duckdb.connect(str(copy))
            con.execute(sql)
            con.close()
        return check_marts(copy, registry, AS_OF)

    return check


def test_the_unbroken_copy_passes(broken):
    assert broken().success


def test_a_government_year_missing_from_coverage_blocks(broken):
    result = broken("delete from marts.report_coverage where government_id = 'g2' and report_year = 2023")
    assert not result.success
    [f] = result.failures
    assert f.suite == "marts_coverage_complete"
    assert f.rows == [{"government_id": "g2", "report_year": 2023, "in_coverage": False}]


def test_a_status_contradicting_its_dates_blocks(broken):
    result = broken(
        "update marts.report_coverage set status = 'missing' where government_id = 'g1' and report_year = 2022"
    )
    assert [f.expectation for f in result.failures] == ["expect_column_values_to_be_in_set(status_agrees_with_dates)"]
    assert result.failures[0].rows[0]["report_id"] == "g1:2022"


def test_marts_built_for_another_day_block(broken):
    result = broken("update marts.report_coverage set as_of = date '2024-04-30'")
    assert [f.expectation for f in result.failures] == ["expect_column_values_to_be_in_set(as_of_day)"]


def test_a_table_dbt_no_longer_builds_blocks_instead_of_crashing(broken):
    result = broken("drop table marts.report_metrics")
    [f] = result.failures
    assert f.suite == "marts_report_metrics" and f.error and "report_metrics" in f.error


def test_a_warning_reports_without_blocking(broken):
    result = broken("update marts.crawl_health set last_run_status = 'failed'")
    assert result.success
    assert [w.suite for w in result.warnings] == ["marts_crawl_health"]
    assert "warning: marts_crawl_health" in result.describe()


def test_a_bad_figure_is_taken_out_of_the_copy_and_the_gate_passes(broken):
    result = broken(
        "update marts.report_metrics set value = -3 where metric_id = "
        "(select min(metric_id) from marts.report_metrics where unit <> '%')"
    )
    assert result.success, result.describe()
    [row] = result.quarantined
    assert row["expectation"] == "expect_column_values_to_be_between(value)" and row["value"] == "-3.0"
    assert row["reason"] == "negative figure" and row["government_name"] and row["url"] and row["sentence"]
    [run] = [r for r in result.runs if r.suite.name == "marts_report_metrics"]
    assert not run.failed()  # the run that counts is the one on what remains
