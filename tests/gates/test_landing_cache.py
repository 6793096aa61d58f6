"""The incremental landing gate: cached results never let a new or changed file through unchecked, and a build
that reuses them writes exactly what a full run writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pytest

from scrapers import settings
from scrapers.demo.seeds import SEED_DIR
from scrapers.gate import check_landing, quarantine_path, read_validation_runs
from scrapers.gate.landing_cache import cache_dir
from scrapers.landing import Landing

from .helpers import land, record

pytestmark = pytest.mark.gates

AS_OF = dt.date(2024, 5, 1)
RAW001 = next(SEED_DIR.glob("001_*.txt")).read_text(encoding="utf-8")


def _runs(data_dir, last: int) -> list[dict]:
    """The last ``last`` validation rows, without what differs between any two runs (time taken, when)."""
    return [
        {k: v for k, v in row.items() if k not in ("seconds", "validated_at")}
        for row in read_validation_runs(data_dir)[-last:]
    ]


def _bad_crawl_log(data_dir, run_id: str, gid: str) -> None:
    Landing(data_dir).write_rows(
        "crawl_log",
        run_id,
        gid,
        [
            {
                "run_id": run_id,
                "government_id": gid,
                "list_url": f"http://{gid}.example.gov.cn/fzzf/",
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


def test_an_incremental_gate_writes_what_a_full_run_writes(tmp_path):
    twice = record("g2", "004")
    run1 = land(
        tmp_path, [record("g1", "003"), twice, record("b1", "001", body=RAW001), record("b2", "003", report_year=2031)]
    )
    _bad_crawl_log(tmp_path, run1, "b3")
    first = check_landing(tmp_path, AS_OF)
    assert first.files_cached == 0 and first.quarantined == 3

    # A second crawl: more bad rows, and a version landed again (a uniqueness warning that spans both crawls).
    run2 = land(tmp_path, [twice, record("g5", "000"), record("b4", "002", title="2023年政府信息公开工作年度报告")])
    _bad_crawl_log(tmp_path, run2, "b5")
    incremental = check_landing(tmp_path, AS_OF)
    assert incremental.files_cached == first.files > 0
    incremental_file = quarantine_path(tmp_path).read_bytes()
    incremental_runs = _runs(tmp_path, 3)
    assert incremental.quarantined == 5
    assert any("expect_column_values_to_be_unique(record_id)" in w for w in incremental.warnings)

    shutil.rmtree(cache_dir(tmp_path))
    full = check_landing(tmp_path, AS_OF)
    assert full.files_cached == 0
    assert quarantine_path(tmp_path).read_bytes() == incremental_file
    assert full.warnings == incremental.warnings
    assert (full.rows, full.quarantined) == (incremental.rows, incremental.quarantined)
    assert _runs(tmp_path, 3) == incremental_runs

    again = check_landing(tmp_path, AS_OF)  # nothing new: every file comes from the cache, same output
    assert again.files_cached == again.files
    assert quarantine_path(tmp_path).read_bytes() == incremental_file


def test_a_changed_file_is_checked_again_even_with_its_size_and_mtime_restored(tmp_path):
    clean = record("g1", "003")
    land(tmp_path, [clean])
    assert check_landing(tmp_path, AS_OF).quarantined == 0
    [path] = (Landing(tmp_path).landing_dir / "reports").glob("*/g1.jsonl")
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    # same length in characters and bytes: replace three CJK characters of the body with chrome (分享到)
    body = json.loads(text)["body"]
    tampered = text.replace(body[:3], "分享到", 1)
    assert len(tampered.encode()) == st.st_size
    path.write_text(tampered, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = check_landing(tmp_path, AS_OF)
    assert result.quarantined == 1, "a rewritten landing file must not skip the gate"
    assert "page chrome" in quarantine_path(tmp_path).read_text(encoding="utf-8")


def test_a_suite_change_checks_everything_again(tmp_path, monkeypatch):
    land(tmp_path, [record("g1", "003"), record("g2", "004")])
    check_landing(tmp_path, AS_OF)
    assert check_landing(tmp_path, AS_OF).files_cached > 0
    suites = tmp_path / "expectations"
    shutil.copytree(settings.EXPECTATIONS_DIR, suites)
    path = suites / "landing_reports.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    length = next(e for e in doc["expectations"] if e["type"] == "expect_column_value_lengths_to_be_between")
    length["kwargs"]["min_value"] = 100_000  # every real report is now "too short"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(settings, "EXPECTATIONS_DIR", suites)
    result = check_landing(tmp_path, AS_OF)
    by_stream = {run.suite.name: run for run in result.runs}
    assert result.quarantined == 2
    assert by_stream["landing_reports"].rows == 2
    # the reports suite changed, so its files were validated again; the other streams' suites did not change
    assert result.files_cached == result.files - len(
        list((Landing(tmp_path).landing_dir / "reports").glob("*/*.jsonl"))
    )


def test_a_new_as_of_year_checks_everything_again(tmp_path):
    land(tmp_path, [record("g1", "003")])
    check_landing(tmp_path, AS_OF)
    assert check_landing(tmp_path, AS_OF).files_cached > 0
    assert check_landing(tmp_path, dt.date(2021, 12, 31)).files_cached == 0
