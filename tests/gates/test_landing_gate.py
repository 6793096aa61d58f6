"""The landing gate on real landing files with real GX validations: what is quarantined, why, and what is not."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest

from scrapers import settings
from scrapers.demo.seeds import SEED_DIR
from scrapers.gate import check_landing, load_suite, load_suites, quarantine_path, read_validation_runs
from scrapers.landing import Landing

from .helpers import SEEDS, land, record

pytestmark = pytest.mark.gates

AS_OF = dt.date(2024, 5, 1)


def quarantined(data_dir) -> dict[str, list[dict]]:
    rows = [json.loads(line) for line in quarantine_path(data_dir).read_text(encoding="utf-8").splitlines()]
    out: dict[str, list[dict]] = {}
    for q in rows:
        out.setdefault(q["record_id"], []).append(q)
    return out


def test_every_suite_file_is_readable_and_explains_itself():
    for suite in load_suites("landing_") + load_suites("marts_"):
        assert suite.key and suite.query
        for exp in suite.expectations():
            assert exp["meta"]["severity"] in ("critical", "row", "warning")
            assert len(exp["meta"]["why"]) > 40, exp
            for rx in exp["kwargs"].get("regex_list", []) + [exp["kwargs"].get("regex") or ""]:
                re.compile(rx)
        text = suite.path.read_text(encoding="utf-8")
        assert "\\u" not in text, f"{suite.path.name}: keep Chinese readable in git"


def test_chrome_patterns_catch_the_raw_seeds_and_spare_the_clean_ones():
    suite = load_suite(settings.EXPECTATIONS_DIR / "landing_reports.json")
    chrome = next(
        e for e in suite.expectations() if e["kwargs"].get("column") == "body" and "regex_list" in e["kwargs"]
    )
    patterns = [re.compile(rx) for rx in chrome["kwargs"]["regex_list"]]
    for name in ("001", "002"):  # copied off portals with page chrome
        raw = next(SEED_DIR.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
        assert any(p.search(raw) for p in patterns), name
    for seed in SEEDS.values():
        assert not [p.pattern for p in patterns if p.search(seed.body)], seed.seed_id


def test_clean_records_pass_and_bad_ones_are_quarantined_with_a_reason(tmp_path):
    good = [record("g1", "003"), record("g2", "004"), record("g3", "000"), record("g4", "002")]
    raw001 = next(SEED_DIR.glob("001_*.txt")).read_text(encoding="utf-8")
    body = SEEDS["003"].body
    bad = {
        "chrome": record("b1", "001", body=raw001),
        "short": record("b2", body="详见附件。" * 10),
        "mojibake": record("b3", body=body.encode("utf-8").decode("latin-1")),
        "lookalike": record("b4", title="某区2022年政府信息公开工作年度报告", body=body + "。"),
        "early": record("b5", publish_date=dt.date(2022, 6, 1), body=body + "。。"),
        "old_year": record("b6", report_year=2003, publish_date=dt.date(2004, 3, 1), body=body + "。。。"),
        "future_year": record("b7", report_year=2025, publish_date=dt.date(2026, 3, 1), body=body + "…"),
        "no_title": record("b8", title="", body=body + "……"),
    }
    bad["no_title"]["title"] = None
    land(tmp_path, good + list(bad.values()))

    result = check_landing(tmp_path, AS_OF)

    q = quarantined(tmp_path)
    assert [(r.suite.name, r.rows) for r in result.runs] == [
        ("landing_crawl_log", len(good) + len(bad)),
        ("landing_links", 0),
        ("landing_reports", len(good) + len(bad)),
    ]
    assert result.success
    assert set(q) == {r["record_id"] for r in bad.values()}
    assert result.quarantined == len(bad)
    reasons = {name: " | ".join(x["reason"] for x in q[r["record_id"]]) for name, r in bad.items()}
    assert "page chrome left in the body" in reasons["chrome"]
    assert "too short or too long" in reasons["short"]
    assert "too little Chinese text" in reasons["mojibake"]
    assert "look-alike" in reasons["lookalike"]
    assert "before the report year ended" in reasons["early"]
    assert "before 2004 or after the as-of year" in reasons["old_year"]
    assert "before 2004 or after the as-of year" in reasons["future_year"]
    assert "no title" in reasons["no_title"]
    for rows in q.values():
        for row in rows:
            assert set(row) == {"record_id", "stream", "reason", "expectation", "quarantined_at"}
            assert row["stream"] == "reports" and row["expectation"].startswith("landing_reports.expect_")

    # The landing files are untouched: quarantine holds records back, it never deletes them.
    assert len(Landing(tmp_path).read_rows("reports")) == len(good) + len(bad)
    # Every validation is recorded.
    runs = read_validation_runs(tmp_path)
    assert runs[-1]["suite"] == "landing_reports" and runs[-1]["quarantined"] == len(bad)
    assert not (tmp_path / "gx" / "docs").exists()  # no GX Data Docs: the history is validation_runs


def test_warnings_report_without_quarantining(tmp_path):
    r = record("g1", "003", title="关于2022年工作情况的报告")  # a real report whose title names no 法治建设
    land(tmp_path, [r])
    land(tmp_path, [r])  # the same version landed twice by a crawler that lost its state
    result = check_landing(tmp_path, AS_OF)
    assert result.quarantined == 0
    assert quarantine_path(tmp_path).read_text(encoding="utf-8") == ""
    joined = "\n".join(result.warnings)
    assert "expect_column_values_to_match_regex(title)" in joined
    assert "expect_column_values_to_be_unique(record_id)" in joined


def test_quarantine_is_rewritten_each_build_and_keeps_first_dates(tmp_path):
    raw001 = next(SEED_DIR.glob("001_*.txt")).read_text(encoding="utf-8")
    land(tmp_path, [record("g1", "001", body=raw001), record("g2", "003")])
    check_landing(tmp_path, AS_OF)
    first = quarantined(tmp_path)
    assert len(first) == 1
    check_landing(tmp_path, AS_OF)
    assert quarantined(tmp_path) == first  # same record, same first quarantine time
    # A build as of 2022 sees the 2022 reports as from the future: the file reflects that build only.
    check_landing(tmp_path, dt.date(2021, 12, 31))
    assert len(quarantined(tmp_path)) == 2


def test_bad_crawl_log_rows_are_quarantined_under_dbts_id(tmp_path):
    run_id = land(tmp_path, [record("g1", "003")])
    Landing(tmp_path).write_rows(
        "crawl_log",
        run_id,
        "g2",
        [
            {
                "run_id": run_id,
                "government_id": "g2",
                "list_url": "http://g2.example.gov.cn/fzzf/",
                "status": "timeout",
                "pages_fetched": 0,
                "requests": 3,
                "links_seen": 0,
                "reports_found": 0,
                "reports_new": 0,
                "links_skipped": 0,
                "errors": 3,
                "error": "read timeout",
                "started_at": "2024-04-20T08:00:00",
                "finished_at": "2024-04-20T08:01:00",
            }
        ],
    )
    result = check_landing(tmp_path, AS_OF)
    expected_id = hashlib.sha256(f"{run_id}|g2|http://g2.example.gov.cn/fzzf/".encode()).hexdigest()
    q = quarantined(tmp_path)
    assert list(q) == [expected_id]  # the id stg_landing__crawl_log computes, so dbt skips exactly this row
    assert q[expected_id][0]["stream"] == "crawl_log"
    assert q[expected_id][0]["reason"] == "crawl status not ok/partial/failed"
    assert result.quarantined == 1 and result.success


def test_a_record_without_id_fails_the_gate(tmp_path):
    r = record("g1", "003")
    r["record_id"] = None
    land(tmp_path, [r, record("g2", "004")])
    result = check_landing(tmp_path, AS_OF)
    assert not result.success
    assert "expect_column_values_to_not_be_null(record_id)" in result.describe()
    assert read_validation_runs(tmp_path)[-1]["success"] is False


def test_a_value_dbt_cannot_read_fails_the_gate_and_names_it(tmp_path):
    r = record("g1", "003")
    r["publish_date"] = "2023-02-30"
    land(tmp_path, [r, record("g2", "004")])
    result = check_landing(tmp_path, AS_OF)
    assert not result.success
    [failure] = result.failures
    assert failure.label == "expect_column_values_to_be_null(_unreadable)"
    assert failure.rows == [{"record_id": r["record_id"], "_unreadable": "publish_date"}]


def test_empty_landing_passes(tmp_path):
    result = check_landing(tmp_path, AS_OF)
    assert result.success and result.rows == 0 and result.quarantined == 0
    assert quarantine_path(tmp_path).exists()
