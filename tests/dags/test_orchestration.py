"""The task functions' own decisions: when a crawl run counts as landed, which day a build judges by."""

from __future__ import annotations

import datetime as dt

import pytest

from scrapers.landing import Landing, new_run_id
from scrapers.orchestration.tasks import (
    GovernmentsFailed,
    NothingLanded,
    report_crawl,
    resolve_as_of,
    summarise_crawl,
)


def test_summary_counts_crawled_and_failed_governments(tmp_path, monkeypatch):
    monkeypatch.setenv("FZZF_DATA_DIR", str(tmp_path))
    ok = {"government_id": "a", "run_id": "r1", "reports_new": 2}
    retried = {"government_id": "b", "run_id": "r2", "reports_new": 1}
    planned = [{"government_id": g, "run_id": "r1", "government": f"{g.upper()}市 ({g})"} for g in "abc"]
    summary = summarise_crawl([ok, None, retried], planned)
    assert summary == {
        "governments": 3,
        "crawled": 2,
        "failed": 1,
        "reports_new": 3,
        "run_ids": ["r1", "r2"],
        "failed_governments": [
            {"government_id": "c", "government": "C市 (c)", "error": None}
        ],  # no crawl log landed for it
    }
    # Airflow may hand the results of failed map indexes over as absent, not None: the plan still names them.
    assert summarise_crawl([ok, retried], planned)["failed"] == 1


def test_the_run_report_fails_naming_each_failed_government(tmp_path, monkeypatch):
    monkeypatch.setenv("FZZF_DATA_DIR", str(tmp_path))
    run_id = new_run_id()
    row = {"run_id": run_id, "government_id": "c", "list_url": "http://127.0.0.1:9/", "status": "failed",
           "error": "list page http://127.0.0.1:9/: connection refused by 127.0.0.1:9 (after 4 attempts)"}  # fmt: skip
    Landing(tmp_path).ensure().write_rows("crawl_log", run_id, "c", [row])
    ok = {"government_id": "a", "run_id": run_id, "reports_new": 0}
    planned = [{"government_id": g, "run_id": run_id, "government": f"{g.upper()}市 ({g})"} for g in "ac"]
    registry = tmp_path / "registry.yaml"
    registry.write_text("governments: []\n", encoding="utf-8")
    monkeypatch.setenv("FZZF_REGISTRY", str(registry))
    monkeypatch.delenv("FZZF_ALERT_URLS", raising=False)
    with pytest.raises(GovernmentsFailed) as failed:
        report_crawl(summarise_crawl([ok, None], planned))
    assert str(failed.value) == (
        "1 of 2 government(s) crawled; 1 failed (the warehouse builds from the 1 that landed):\n"
        "  C市 (c): list page http://127.0.0.1:9/: connection refused by 127.0.0.1:9 (after 4 attempts)\n"
        f"crawl digest: no alert channel configured; written to the log and {tmp_path / 'alerts' / 'outbox.jsonl'}"
    )
    assert failed.value.said_elsewhere  # its failure callback sends nothing more
    assert report_crawl(summarise_crawl([ok], planned[:1])).startswith("1 of 1 government(s) crawled, none failed")


@pytest.mark.parametrize("results", [[None, None], []])
def test_nothing_landed_fails_instead_of_marking_the_asset(results):
    with pytest.raises(NothingLanded):
        summarise_crawl(results)


def test_as_of_is_the_parameter_or_the_run_day_in_beijing():
    assert resolve_as_of("2027-06-01", None) == dt.date(2027, 6, 1)
    # 16:30 UTC on 3-31 is 00:30 on 4-1 in Beijing: the day reports become due there.
    assert resolve_as_of(None, dt.datetime(2027, 3, 31, 16, 30, tzinfo=dt.UTC)) == dt.date(2027, 4, 1)
    assert resolve_as_of(None, dt.datetime(2027, 3, 31, 15, 30, tzinfo=dt.UTC)) == dt.date(2027, 3, 31)
