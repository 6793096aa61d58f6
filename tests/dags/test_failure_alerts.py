"""A portal that stays dead is one alert, not one per run (issue 22, item 5): real ``dag.test()`` runs of fzzf_collect
against the demo portal with one government's portal answering 503, a real webhook receiver on 127.0.0.1, the day
moved with ``FZZF_TODAY`` (scrapers.clock) for the weekly reminder."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scrapers import clock

from .conftest import load_dag

pytestmark = pytest.mark.integration

DEAD, LIVE = "510705", "500109-lyz"  # two demo governments: the one whose portal dies, one that keeps answering


def kill(portal, gov_id: str) -> dict:
    """Every page of ``gov_id``'s column answers 503 (the portal is down); returns the pages to restore."""
    saved = {path: page for path, page in portal.pages.items() if path.startswith(f"/{gov_id}/")}
    for path in saved:
        portal.pages[path] = (503, b"<html><body>503 Service Unavailable</body></html>", "text/html")
    return saved


def failures(data_dir) -> dict:
    path = data_dir / "alerts" / "state.json"
    return json.loads(path.read_text(encoding="utf-8")).get("failures", {}) if path.exists() else {}


def test_a_dead_portal_is_alerted_once_reminded_weekly_and_resolved_when_it_recovers(pipeline_env, monkeypatch):
    data_dir, portal, receiver = pipeline_env
    monkeypatch.setenv("FZZF_RETRIES", "0")  # the 503 fails the crawl at once, not after the backoff series
    day = clock.today()
    monkeypatch.setenv("FZZF_TODAY", day.isoformat())
    saved = kill(portal, DEAD)
    collect = load_dag("fzzf_collect")

    def run() -> dict[str, str]:
        result = collect.test(run_conf={"only": [DEAD, LIVE]})
        # crawl tasks are labelled "name (id)"
        return {
            ti.rendered_map_index.rpartition(" (")[2].rstrip(")"): ti.state
            for ti in result.get_task_instances()
            if ti.task_id == "crawl"
        }

    assert run() == {DEAD: "failed", LIVE: "success"}
    assert len(receiver.posts) == 1
    first = receiver.posts[0]["json"]
    assert first["type"] == "failure" and "fzzf_collect.crawl" in first["title"]

    # The next run finds the same portal dead: nothing is sent again, the failure is counted.
    assert run() == {DEAD: "failed", LIVE: "success"}
    assert len(receiver.posts) == 1
    assert list(failures(data_dir)) == [f"crawl:{DEAD}"] and failures(data_dir)[f"crawl:{DEAD}"]["failures"] == 2

    # Six days later still within the week: nothing; seven days later: one reminder.
    monkeypatch.setenv("FZZF_TODAY", (day + dt.timedelta(days=6)).isoformat())
    run()
    assert len(receiver.posts) == 1
    monkeypatch.setenv("FZZF_TODAY", (day + dt.timedelta(days=7)).isoformat())
    run()
    assert len(receiver.posts) == 2
    reminder = receiver.posts[1]["json"]
    assert reminder["type"] == "failure" and f"still failing since {day}" in reminder["title"]
    assert "4 failures so far" in reminder["message"]

    # The portal answers again: one resolved line naming the government, and the failure leaves the state.
    portal.pages.update(saved)
    assert run() == {DEAD: "success", LIVE: "success"}
    assert len(receiver.posts) == 3
    resolved = receiver.posts[2]["json"]
    assert resolved["type"] == "success" and resolved["title"] == f"fzzf resolved: crawl of {DEAD}"
    assert f"failing since {day} (4 failures" in resolved["message"]
    assert failures(data_dir) == {}

    # And it is said once: the next good run sends nothing.
    run()
    assert len(receiver.posts) == 3
