"""Issue 20 item 12 (second half): every ``unknown`` goes to the channels in a weekly "cannot verify" digest, counts
by reason and province, and by name only what changed since that channel's last one; a real JSON webhook on
127.0.0.1 receives it. (The real-build version: tests/dbt/test_coverage_explained.py.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scrapers import cli
from scrapers.alerts.unknown import reason_group, send_unknown_digest

from .conftest import publish_warehouse
from .receiver import Receiver

AS_OF = dt.date(2027, 6, 1)
DUE, GRACE = dt.date(2027, 4, 1), dt.date(2027, 5, 31)
UNREACHED = "portal not read successfully in the 30 days before as-of"


def unknown(gid, name, province, reason, year=2026):
    return (gid, year, "unknown", name, province, "county", DUE, GRACE, 61, reason)


A = unknown("a", "甲县人民政府", "浙江省", "no URL known for this government")
B = unknown("b", "乙县人民政府", "浙江省", UNREACHED)
C = unknown("c", "丙县人民政府", "广东省", "report found but held back by the landing gate: body too short")
D = unknown("d", "丁县人民政府", "广东省", None)
E = unknown("e", "戊县人民政府", "广东省", UNREACHED)
EXPLAINED = [("d", 2026, "link found, blocked by robots.txt on 2 runs, retrying", "unknown", "link_error")]


@pytest.fixture
def data_dir(tmp_path, monkeypatch, receiver):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    monkeypatch.delenv("FZZF_UNKNOWN_DIGEST_DAYS", raising=False)
    return tmp_path / "data"


def test_every_unknown_goes_out_weekly_counted_by_reason_and_province_naming_only_changes(data_dir, receiver):
    publish_warehouse(data_dir, [], [A, B, C, D], EXPLAINED)

    first = send_unknown_digest(data_dir, AS_OF)

    assert first.delivered and len(receiver.posts) == 1
    post = receiver.posts[0]["json"]
    assert post["title"] == "法治政府建设年度报告: 4 cannot be verified (as of 2027-06-01)"
    body = post["message"]
    assert "not missing and never alerted as missing" in body
    for line in (
        "  no URL known: 1 (浙江省 1)",
        "  portal unreachable: 1 (浙江省 1)",
        "  report held back by the landing gate: 1 (广东省 1)",
        "  robots.txt forbids: 1 (广东省 1)",
    ):
        assert line in body.splitlines()
    assert "Changed (first digest: all are new): 4 newly unknown, 0 reason changed, 0 no longer unknown" in body
    assert "  + 丁县人民政府 [d] 2026年度: link found, blocked by robots.txt on 2 runs, retrying" in body
    assert "  + 甲县人民政府 [a] 2026年度: no URL known" in body

    # Weekly: the next days send nothing, even with a change.
    publish_warehouse(data_dir, [], [A, B, C, D, E], EXPLAINED)
    for days in range(1, 7):
        assert send_unknown_digest(data_dir, AS_OF + dt.timedelta(days=days)).delivery is None
    assert len(receiver.posts) == 1

    # A week later: 甲 resolved, 戊 new, 乙's reason changed; 丙 and 丁 unchanged are counted, not named.
    b_robots = (*B[:9], "portal not read: robots.txt forbids /")
    publish_warehouse(data_dir, [], [b_robots, C, D, E, ("a", 2026, "late")], EXPLAINED)
    week = send_unknown_digest(data_dir, AS_OF + dt.timedelta(days=7))
    assert week.delivered and len(receiver.posts) == 2
    body = receiver.posts[1]["json"]["message"]
    assert (
        "Changed since the last digest (as of 2027-06-01): 1 newly unknown, 1 reason changed, 1 no longer unknown"
        in body
    )
    assert "  + 戊县人民政府 [e] 2026年度: portal unreachable" in body
    assert "  ~ 乙县人民政府 [b] 2026年度: robots.txt forbids (was: portal unreachable)" in body
    assert "  - 甲县人民政府 [a] 2026年度: no longer unknown" in body
    assert "[c]" not in body and "[d]" not in body
    assert "  robots.txt forbids: 2 (广东省 1, 浙江省 1)" in body.splitlines()

    # Another week, nothing changed: the counts again (silence never means coverage), no names.
    send_unknown_digest(data_dir, AS_OF + dt.timedelta(days=14))
    body = receiver.posts[2]["json"]["message"]
    assert "4 cannot be verified" in receiver.posts[2]["json"]["title"]
    assert "0 newly unknown, 0 reason changed, 0 no longer unknown" in body and "年度" not in body


def test_a_channel_that_did_not_take_it_gets_it_on_the_next_run_and_the_other_keeps_its_week(
    data_dir, receiver, monkeypatch
):
    with Receiver() as down:
        monkeypatch.setenv("FZZF_ALERT_URLS", f"{receiver.url}, {down.url}")
        publish_warehouse(data_dir, [], [A, B], [])
        down.status = 500
        first = send_unknown_digest(data_dir, AS_OF)
        assert first.delivered and len(receiver.posts) == 1 and not down.posts
        down.status = 200
        send_unknown_digest(data_dir, AS_OF + dt.timedelta(days=1))
        assert len(receiver.posts) == 1 and len(down.posts) == 1
        assert "2 newly unknown" in down.posts[0]["json"]["message"]


def test_fzzf_alert_sends_it_and_fails_when_no_channel_took_it(data_dir, receiver, monkeypatch, capsys):
    monkeypatch.setenv("FZZF_TODAY", AS_OF.isoformat())
    publish_warehouse(data_dir, [], [A], [])
    receiver.status = 500
    assert cli.main(["alert", "--data-dir", str(data_dir)]) == 1
    assert "cannot-verify digest as of 2027-06-01: 1 unknown" in capsys.readouterr().out
    state = json.loads((data_dir / "alerts" / "state.json").read_text("utf-8")) if (
        data_dir / "alerts" / "state.json").exists() else {}  # fmt: skip
    assert not state.get("unknown")
    receiver.status = 200
    assert cli.main(["alert", "--data-dir", str(data_dir)]) == 0
    assert [p["json"]["title"] for p in receiver.posts] == [
        "法治政府建设年度报告: 1 cannot be verified (as of 2027-06-01)"
    ]


def test_the_warehouse_category_column_wins_over_the_reason_text():
    """Grouping lives in reason_group alone: report_coverage's category column, once a warehouse has it, decides."""
    row = {"status_reason": "report found, but its stated date 2027-07-01 is after the as-of day", "reason": None}
    assert reason_group({**row, "status_reason_kind": "odd_date"}) == "report held back: dated after the as-of day"
    assert reason_group({"status_reason": UNREACHED}) == "portal unreachable"
    assert reason_group({"status_reason": "something new", "reason_kind": None}) == "something new"
