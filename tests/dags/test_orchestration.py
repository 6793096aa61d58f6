"""The task functions' own decisions: when a crawl run counts as landed, which day a build judges by."""

from __future__ import annotations

import datetime as dt

import pytest

from scrapers.orchestration.tasks import NothingLanded, resolve_as_of, summarise_crawl


def test_summary_counts_crawled_and_failed_governments():
    ok = {"government_id": "a", "run_id": "r1", "reports_new": 2}
    retried = {"government_id": "b", "run_id": "r2", "reports_new": 1}
    summary = summarise_crawl([ok, None, retried])
    assert summary == {"governments": 3, "crawled": 2, "failed": 1, "reports_new": 3, "run_ids": ["r1", "r2"]}


@pytest.mark.parametrize("results", [[None, None], []])
def test_nothing_landed_fails_instead_of_marking_the_asset(results):
    with pytest.raises(NothingLanded):
        summarise_crawl(results)


def test_as_of_is_the_parameter_or_the_run_day_in_beijing():
    assert resolve_as_of("2027-06-01", None) == dt.date(2027, 6, 1)
    # 16:30 UTC on 3-31 is 00:30 on 4-1 in Beijing: the day reports become due there.
    assert resolve_as_of(None, dt.datetime(2027, 3, 31, 16, 30, tzinfo=dt.UTC)) == dt.date(2027, 4, 1)
    assert resolve_as_of(None, dt.datetime(2027, 3, 31, 15, 30, tzinfo=dt.UTC)) == dt.date(2027, 3, 31)
