"""Crawl failures are one digest per collect run, not one notice per failed government (issue 22, item 5, and the
"one alert per problem" issue): real ``dag.test()`` runs of fzzf_collect against the demo portal with governments'
portals answering 503, a real webhook receiver on 127.0.0.1, the day moved with ``FZZF_TODAY`` (scrapers.clock) for
the weekly reminder."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scrapers import clock

from .conftest import load_dag

pytestmark = pytest.mark.integration

# three demo governments: two whose portals die (in two provinces), one that keeps answering
DEAD, DEAD2, LIVE = "510705", "231282", "500109-lyz"


def kill(portal, gov_id: str) -> dict:
    """Every page of ``gov_id``'s column answers 503 (the portal is down); returns the pages to restore."""
    saved = {path: page for path, page in portal.pages.items() if path.startswith(f"/{gov_id}/")}
    for path in saved:
        portal.pages[path] = (503, b"<html><body>503 Service Unavailable</body></html>", "text/html")
    return saved


def failures(data_dir) -> dict:
    path = data_dir / "alerts" / "state.json"
    return json.loads(path.read_text(encoding="utf-8")).get("failures", {}) if path.exists() else {}


def crawl_states(result) -> dict[str, str]:
    # crawl tasks are labelled "name (id)"
    return {
        ti.rendered_map_index.rpartition(" (")[2].rstrip(")"): ti.state
        for ti in result.get_task_instances()
        if ti.task_id == "crawl"
    }


def test_two_dead_portals_are_one_digest_reminded_weekly_and_resolved_in_the_next_digest(pipeline_env, monkeypatch):
    data_dir, portal, receiver = pipeline_env
    monkeypatch.setenv("FZZF_RETRIES", "0")  # the 503 fails the crawl at once, not after the backoff series
    day = clock.today()
    monkeypatch.setenv("FZZF_TODAY", day.isoformat())
    saved = {gid: kill(portal, gid) for gid in (DEAD, DEAD2)}
    names = {g.id: g.name for g in portal.governments}
    provinces = {g.id: g.province for g in portal.governments}
    collect = load_dag("fzzf_collect")

    def run() -> dict[str, str]:
        result = collect.test(run_conf={"only": [DEAD, DEAD2, LIVE]})
        assert result.state == ("failed" if failures_open() else "success")
        return crawl_states(result)

    def failures_open() -> bool:
        return any(not r.get("recovered_at") for r in failures(data_dir).values())

    # Two portals down: one notice, naming both (by province, with the root cause), the summary line first.
    assert run() == {DEAD: "failed", DEAD2: "failed", LIVE: "success"}
    assert len(receiver.posts) == 1
    first = receiver.posts[0]["json"]
    assert first["type"] == "failure" and first["title"] == "fzzf crawl failures: 2 newly failing"
    lines = first["message"].split("\n")
    assert lines[0].startswith("2 of 3 governments failed: 2 ")  # one root cause, counted once for both
    for gid in (DEAD, DEAD2):
        assert f"{provinces[gid]} (1)" in lines and any(f"  - {names[gid]} ({gid}): " in x for x in lines)
    assert "fzzf task failed" not in json.dumps([p["json"] for p in receiver.posts], ensure_ascii=False)

    # The next run finds the same portals dead: nothing is sent again, the failures are counted.
    assert run() == {DEAD: "failed", DEAD2: "failed", LIVE: "success"}
    assert len(receiver.posts) == 1
    assert sorted(failures(data_dir)) == sorted([f"crawl:{DEAD}", f"crawl:{DEAD2}"])
    assert all(r["failures"] == 2 for r in failures(data_dir).values())

    # Six days later still within the week: nothing; seven days later: one reminder digest naming both.
    monkeypatch.setenv("FZZF_TODAY", (day + dt.timedelta(days=6)).isoformat())
    run()
    assert len(receiver.posts) == 1
    monkeypatch.setenv("FZZF_TODAY", (day + dt.timedelta(days=7)).isoformat())
    run()
    assert len(receiver.posts) == 2
    reminder = receiver.posts[1]["json"]
    assert reminder["type"] == "failure" and reminder["title"] == "fzzf crawl failures: 2 still failing"
    for gid in (DEAD, DEAD2):
        assert f"  - {names[gid]} ({gid}): failing since {day} (4 failures; last told {day})" in reminder["message"]

    # One portal answers again: one digest with its resolved line; the other is not reminded again this week.
    portal.pages.update(saved[DEAD])
    assert run() == {DEAD: "success", DEAD2: "failed", LIVE: "success"}
    assert len(receiver.posts) == 3
    resolved = receiver.posts[2]["json"]
    assert resolved["type"] == "success" and resolved["title"] == "fzzf crawl failures: 1 resolved"
    assert f"  - {names[DEAD]} ({DEAD}): resolved: crawled in run " in resolved["message"]
    assert f"failing since {day} (4 failures)" in resolved["message"] and names[DEAD2] not in resolved["message"]
    assert sorted(failures(data_dir)) == [f"crawl:{DEAD2}"]

    # The other recovers: its resolved line; then every run is clean and silent.
    portal.pages.update(saved[DEAD2])
    assert run() == {DEAD: "success", DEAD2: "success", LIVE: "success"}
    assert len(receiver.posts) == 4 and receiver.posts[3]["json"]["title"] == "fzzf crawl failures: 1 resolved"
    assert failures(data_dir) == {}
    run()
    assert len(receiver.posts) == 4


def test_every_portal_down_is_one_digest_and_a_failed_run(pipeline_env, monkeypatch):
    """Nothing lands (``landed`` fails with NothingLanded): the report task still runs, sends one digest naming every
    government, and the run stays failed; neither landed's nor report's failure sends a notice of its own."""
    data_dir, portal, receiver = pipeline_env
    monkeypatch.setenv("FZZF_RETRIES", "0")
    every = [g.id for g in portal.governments]
    for gid in every:
        kill(portal, gid)

    result = load_dag("fzzf_collect").test()

    assert result.state == "failed"
    assert set(crawl_states(result).values()) == {"failed"}
    states = {ti.task_id: ti.state for ti in result.get_task_instances() if ti.task_id != "crawl"}
    assert states == {"plan": "success", "landed": "failed", "report": "failed"}
    assert len(receiver.posts) == 1
    digest = receiver.posts[0]["json"]
    assert digest["title"] == f"fzzf crawl failures: {len(every)} newly failing"
    assert digest["message"].startswith(f"{len(every)} of {len(every)} governments failed: ")
    assert all(f"({gid}): " in digest["message"] for gid in every)
    assert sorted(failures(data_dir)) == sorted(f"crawl:{gid}" for gid in every)


def test_a_failed_plan_is_its_own_notice_and_the_report_adds_none(pipeline_env):
    """The report task runs all_done, so it runs after a failed plan too: it must not add a notice of its own."""
    data_dir, portal, receiver = pipeline_env

    result = load_dag("fzzf_collect").test(run_conf={"only": ["no-such-government"]})

    assert result.state == "failed"
    states = {ti.task_id: ti.state for ti in result.get_task_instances()}
    assert states["plan"] == "failed" and states["report"] == "failed"  # the run stays failed
    titles = [p["json"]["title"] for p in receiver.posts]
    # one alert for one problem: the plan's; neither landed (nothing to land) nor the report adds one
    assert titles == ["fzzf task failed: fzzf_collect.plan"], titles
