"""The crawl-failure digest (``send_crawl_digest``) against real receivers on 127.0.0.1: an outage of many
governments is one message per channel with its cause counted once, split to a bot's byte limit; what a channel did
not take stays owed to the next run."""

from __future__ import annotations

import json

import pytest

from scrapers.alerts.crawl_digest import cause_kind, record_crawl_failure, record_crawl_recovered, send_crawl_digest

from .receiver import WECOM, Receiver

WECOM_URL = "wecombot://fzzf0test0key"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FZZF_TODAY", "2027-06-01")
    monkeypatch.delenv("FZZF_ALERT_URLS", raising=False)
    return tmp_path / "data"


def outage(data_dir, n: int) -> list[dict]:
    """``n`` governments whose portals all refuse connections, each on its own host: one cause."""
    failed = []
    for i in range(n):
        gid, label = f"g{i:04d}", f"第{i}区 (g{i:04d})"
        error = f"list page http://10.0.{i // 250}.{i % 250 + 1}/fzzf/: connection refused by 10.0.{i // 250}.{i % 250 + 1}:80"
        record_crawl_failure(data_dir, gid, label, error, province="四川" if i % 2 else "广东")
        failed.append({"government_id": gid, "government": label, "error": error})
    return failed


def told(data_dir) -> dict[str, dict]:
    state = json.loads((data_dir / "alerts" / "state.json").read_text(encoding="utf-8"))
    return {k: r.get("sent_to", {}) for k, r in state["failures"].items()}


def test_an_outage_is_one_cause_and_one_digest_split_to_the_wecom_limit(data_dir, monkeypatch):
    failed = outage(data_dir, 60)
    with Receiver(bot=WECOM) as wecom:
        monkeypatch.setenv("FZZF_WECOM_API", wecom.endpoint)
        monkeypatch.setenv("FZZF_ALERT_URLS", WECOM_URL)
        assert send_crawl_digest(data_dir, failed, 100).delivered
        assert wecom.refused == [] and len(wecom.posts) > 1  # one digest in parts, not 60 notices
        for post in wecom.posts:
            assert len(post["json"]["text"]["content"].encode("utf-8")) <= 2048
        text = "\n".join(wecom.messages())
        assert "60 of 100 governments failed: 60 list page <url>: connection refused by <host>" in text
        assert all(text.count(f"({g['government_id']}): ") == 1 for g in failed)
        assert all(told(data_dir).values())
        assert send_crawl_digest(data_dir, failed, 100) is None  # told: nothing more this week


def test_a_digest_no_channel_took_stays_owed_to_the_next_run(data_dir, monkeypatch):
    failed = outage(data_dir, 2)
    with Receiver() as hook:
        monkeypatch.setenv("FZZF_ALERT_URLS", hook.url)
        hook.status = 500
        assert not send_crawl_digest(data_dir, failed, 2).delivered
        assert told(data_dir) == {"crawl:g0000": {}, "crawl:g0001": {}}
        hook.status = 200
        assert send_crawl_digest(data_dir, failed, 2).delivered
        assert len(hook.posts) == 1 and hook.posts[0]["json"]["title"] == "fzzf crawl failures: 2 newly failing"
        # a recovery before anyone was told leaves nothing to resolve; one told gets its resolved line once
        record_crawl_recovered(data_dir, "g0000", "crawled in run r2")
        assert send_crawl_digest(data_dir, failed[1:], 2).delivered
        assert hook.posts[1]["json"]["title"] == "fzzf crawl failures: 1 resolved"
        assert list(told(data_dir)) == ["crawl:g0001"]


def test_a_failure_recovered_before_any_digest_is_never_sent(data_dir, monkeypatch):
    outage(data_dir, 1)
    record_crawl_recovered(data_dir, "g0000", "crawled on its retry")
    with Receiver() as hook:
        monkeypatch.setenv("FZZF_ALERT_URLS", hook.url)
        assert send_crawl_digest(data_dir, [], 1) is None and hook.posts == []


def test_causes_are_counted_without_their_hosts():
    assert cause_kind("connection refused by 10.0.0.5:80") == cause_kind("connection refused by 10.0.0.9:443")
    assert cause_kind("DNS lookup failed for a.gov.cn (Name or service not known)") == (
        "DNS lookup failed for <host> (Name or service not known)"
    )
    assert cause_kind("list page http://x.gov.cn/a/: HTTP 503") == "list page <url>: HTTP 503"
    assert cause_kind(None) == cause_kind("") != cause_kind("HTTP 503")


def test_the_report_may_run_before_the_crawl_tasks_callbacks(data_dir, monkeypatch):
    """Airflow 3 reports a task's state before its callbacks run: the report task can record a failure first (the
    late callback must not count it twice) and see a crawl succeed before its success callback (resolved anyway)."""
    failed = [{"government_id": "g0000", "government": "第0区 (g0000)", "error": "HTTP 503"}]
    with Receiver() as hook:
        monkeypatch.setenv("FZZF_ALERT_URLS", hook.url)
        assert send_crawl_digest(data_dir, failed, 1, run_id="run1").delivered  # before the callback
        record_crawl_failure(data_dir, "g0000", "第0区 (g0000)", "HTTP 503", run_id="run1")  # the late callback
        state = json.loads((data_dir / "alerts" / "state.json").read_text(encoding="utf-8"))
        assert state["failures"]["crawl:g0000"]["failures"] == 1
        assert send_crawl_digest(data_dir, [], 1, run_id="run2", crawled=["g0000"]).delivered  # before its callback
        assert hook.posts[-1]["json"]["title"] == "fzzf crawl failures: 1 resolved"
        assert "resolved: crawled in run run2" in hook.posts[-1]["json"]["message"]
        assert told(data_dir) == {}
