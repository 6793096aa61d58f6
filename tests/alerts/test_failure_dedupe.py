"""Pipeline-failure alerts are de-duplicated like the missing digest (issue 22, item 5): a build that fails the same
way twice is one alert, a published build after it is one resolved line (real ``fzzf build`` runs, real dbt and
gates); a channel that was down gets the alert on the next failure, and reminders follow FZZF_FAILURE_REMIND_DAYS."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.alerts.failures import notify_failure
from scrapers.demo.portal import DemoPortal
from scrapers.landing import Landing, new_run_id

from .receiver import Receiver

REPO = Path(__file__).resolve().parents[2]


def failures(data_dir: Path) -> dict:
    return json.loads((data_dir / "alerts" / "state.json").read_text(encoding="utf-8")).get("failures", {})


@pytest.mark.integration
def test_a_build_failing_twice_alerts_once_and_a_published_build_resolves_it(tmp_path, receiver):
    data_dir = tmp_path / "data"
    with DemoPortal() as portal:  # its registry only: nothing is crawled
        registry = tmp_path / "registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        gid = portal.governments[0].id
        list_url = portal.base_url + portal.governments[0].root
    # One crawl that read nothing: a data dir never crawled is refused before any gate.
    run_id = new_run_id()
    row = {"run_id": run_id, "government_id": gid, "list_url": list_url, "status": "failed",
           "pages_fetched": 0, "requests": 1, "links_seen": 0, "reports_found": 0, "reports_new": 0,
           "links_skipped": 0, "errors": 1, "error": "HTTP 503", "started_at": "2015-05-31T00:00:00",
           "finished_at": "2015-05-31T00:00:01"}  # fmt: skip
    Landing(data_dir).ensure().write_rows("crawl_log", run_id, gid, [row])
    env = {**os.environ, "FZZF_DATA_DIR": str(data_dir), "FZZF_REGISTRY": str(registry),
           "FZZF_ALERT_URLS": receiver.url}  # fmt: skip
    fzzf = Path(sys.executable).with_name("fzzf")

    def build(today: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(fzzf), "build"], env={**env, "FZZF_TODAY": today}, capture_output=True,
                              text=True, timeout=600, cwd=REPO)  # fmt: skip

    # As of 2015-06-01 no report year is due: coverage is empty and the marts gate refuses to publish.
    for _ in range(2):
        proc = build("2015-06-01")
        # the summary once, on stderr with the notice (sent the first time, logged as already alerted the second)
        assert proc.returncode == 1 and proc.stderr.count("NOT PUBLISHED (marts gate)") >= 1, proc.stdout + proc.stderr
    assert [p["json"]["title"] for p in receiver.titled("not published")] == [
        "fzzf build as of 2015-06-01 not published: marts gate failed"
    ]
    assert failures(data_dir)["build:marts gate"]["failures"] == 2

    # A day when reports are due: coverage has rows, the build is published, the failure is resolved once.
    today = dt.date(portal.latest + 1, 6, 1).isoformat()
    proc = build(today)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    resolved = receiver.titled("resolved")
    assert [p["json"]["title"] for p in resolved] == ["fzzf resolved: build (marts gate)"]
    assert f"build as of {today} published" in resolved[0]["json"]["message"]
    assert "failing since 2015-06-01 (2 failures" in resolved[0]["json"]["message"]
    assert failures(data_dir) == {}  # said once: the next published build has nothing to resolve


class Ti:
    """The task instance fields a failure context carries (as Airflow's RuntimeTaskInstance has them)."""

    dag_id, task_id, map_index, run_id, try_number, log_url = "fzzf_warehouse", "alerts", -1, "manual__1", 1, "?"


def test_a_channel_that_was_down_gets_the_alert_on_the_next_failure_the_other_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("FZZF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FZZF_TODAY", "2027-06-01")
    with Receiver() as up, Receiver() as down:
        monkeypatch.setenv("FZZF_ALERT_URLS", f"{up.url} {down.url}")
        down.status = 500
        notify_failure({"ti": Ti(), "exception": RuntimeError("no channel took the digest")})
        assert len(up.posts) == 1 and not down.posts
        down.status = 200
        notify_failure({"ti": Ti(), "exception": RuntimeError("no channel took the digest")})
        assert len(up.posts) == 1 and len(down.posts) == 1
        assert (
            down.posts[0]["json"]["title"] == up.posts[0]["json"]["title"] == "fzzf task failed: fzzf_warehouse.alerts"
        )
        notify_failure({"ti": Ti(), "exception": RuntimeError("no channel took the digest")})
        assert len(up.posts) == 1 and len(down.posts) == 1


def test_reminders_follow_the_configured_days_and_zero_turns_them_off(tmp_path, monkeypatch, receiver):
    monkeypatch.setenv("FZZF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    monkeypatch.setenv("FZZF_FAILURE_REMIND_DAYS", "2")
    context = {"ti": Ti(), "exception": RuntimeError("boom")}
    for day, posts in (("2027-06-01", 1), ("2027-06-02", 1), ("2027-06-03", 2), ("2027-06-04", 2), ("2027-06-05", 3)):
        monkeypatch.setenv("FZZF_TODAY", day)
        notify_failure(context)
        assert len(receiver.posts) == posts, day
    monkeypatch.setenv("FZZF_FAILURE_REMIND_DAYS", "0")
    monkeypatch.setenv("FZZF_TODAY", "2027-07-01")
    notify_failure(context)
    assert len(receiver.posts) == 3
