"""Missing-report alerts against a real JSON webhook on 127.0.0.1: content, once-only, resolved lines, failures."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scrapers.alerts.channels import channel_urls, deliver
from scrapers.alerts.missing import digest, send_missing_alerts, send_overdue_reminder

from .conftest import publish_warehouse

AS_OF = dt.date(2027, 6, 1)
ZJ = ("zj", "浙江省人民政府", "浙江省", "province", 2026, dt.date(2027, 4, 1), 61)
HZ = ("zj-hz", "杭州市人民政府", "浙江省", "city", 2026, dt.date(2027, 4, 1), 61)
NB = ("zj-nb", "宁波市人民政府", "浙江省", "city", 2025, dt.date(2026, 4, 1), 426)
GD = ("gd", "广东省人民政府", "广东省", "province", 2026, dt.date(2027, 4, 1), 61)
SZ = ("gd-sz", "深圳市人民政府", "广东省", "city", 2026, dt.date(2027, 4, 1), 61)


def cov(rows, status="missing"):
    return [(r[0], r[4], status) for r in rows]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("FZZF_ALERT_URLS", raising=False)
    return tmp_path / "data"


def state(data_dir):
    return json.loads((data_dir / "alerts" / "state.json").read_text(encoding="utf-8"))


def test_digest_is_sent_once_grouped_by_province_and_level(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, [ZJ, HZ, NB, GD], cov([ZJ, HZ, NB, GD]))

    first = send_missing_alerts(data_dir, AS_OF)

    assert first.delivered and len(first.newly_missing) == 4 and first.resolved == []
    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert post["path"] == "/hook"
    message, title = post["json"]["message"], post["json"]["title"]
    assert "4 newly missing" in title and "2027-06-01" in title
    assert post["json"]["type"] == "warning"
    # Grouped: provinces in order, and within 浙江省 the province level before its cities.
    order = [message.index(s) for s in ("广东省 / province (1)", "浙江省 / province (1)", "浙江省 / city (2)")]
    assert order == sorted(order)
    assert "宁波市人民政府 [zj-nb] 2025年度: due 2026-04-01, 426 days overdue" in message
    assert set(state(data_dir)["missing"]) == {"zj|2026", "zj-hz|2026", "zj-nb|2025", "gd|2026"}

    # Tomorrow's run over the same warehouse repeats nothing.
    second = send_missing_alerts(data_dir, AS_OF + dt.timedelta(days=1))
    assert second.newly_missing == [] and second.still_missing == 4 and second.delivery is None
    assert len(receiver.posts) == 1


def test_only_new_rows_are_sent_and_a_report_that_turns_up_sends_a_resolved_line(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, [ZJ, HZ], cov([ZJ, HZ]))
    send_missing_alerts(data_dir, AS_OF)
    assert len(receiver.posts) == 1

    # Next build: 杭州 published its report, 深圳 became missing.
    publish_warehouse(data_dir, [ZJ, SZ], cov([ZJ, SZ]) + [("zj-hz", 2026, "late")])
    outcome = send_missing_alerts(data_dir, AS_OF + dt.timedelta(days=1))

    assert [r["government_id"] for r in outcome.newly_missing] == ["gd-sz"]
    assert [r["government_id"] for r in outcome.resolved] == ["zj-hz"]
    assert len(receiver.posts) == 2
    message = receiver.posts[1]["json"]["message"]
    assert "深圳市人民政府 [gd-sz]" in message
    assert "resolved: 杭州市人民政府 [zj-hz] 2026年度 report found (status late)" in message
    assert "浙江省人民政府" not in message  # already alerted yesterday
    assert set(state(data_dir)["missing"]) == {"zj|2026", "gd-sz|2026"}

    # The resolution is reported once, too.
    send_missing_alerts(data_dir, AS_OF + dt.timedelta(days=2))
    assert len(receiver.posts) == 2


def test_a_channel_that_is_down_keeps_the_digest_for_the_next_run(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    receiver.status = 500

    failed = send_missing_alerts(data_dir, AS_OF)
    assert not failed.delivered
    assert "NOT delivered" in failed.describe()
    assert not (data_dir / "alerts" / "state.json").exists()

    receiver.status = 200
    retried = send_missing_alerts(data_dir, AS_OF)
    assert retried.delivered and len(retried.newly_missing) == 1
    assert len(receiver.posts) == 1
    send_missing_alerts(data_dir, AS_OF)
    assert len(receiver.posts) == 1


def test_one_failing_channel_does_not_hide_a_working_one(data_dir, receiver, monkeypatch):
    # Port 9 on loopback has no listener: a real connection refusal next to the working receiver.
    monkeypatch.setenv("FZZF_ALERT_URLS", f"json://127.0.0.1:9/down, {receiver.url}")
    publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    outcome = send_missing_alerts(data_dir, AS_OF)
    assert outcome.delivered
    assert len(outcome.delivery.sent) == 1 and len(outcome.delivery.failed) == 1
    assert len(receiver.posts) == 1
    assert "zj|2026" in state(data_dir)["missing"]


def test_without_a_channel_alerts_go_to_the_alerts_file(data_dir):
    assert channel_urls() == []
    publish_warehouse(data_dir, [GD], cov([GD]))
    outcome = send_missing_alerts(data_dir, AS_OF)
    assert outcome.delivered and "no alert channel configured" in outcome.describe()
    records = [json.loads(line) for line in (data_dir / "alerts" / "outbox.jsonl").read_text("utf-8").splitlines()]
    assert len(records) == 1 and records[0]["kind"] == "missing_reports"
    assert "广东省人民政府 [gd] 2026年度" in records[0]["body"]
    assert send_missing_alerts(data_dir, AS_OF).delivery is None


def test_an_earlier_as_of_neither_resolves_nor_realerts(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, [ZJ, NB], cov([ZJ, NB]))
    send_missing_alerts(data_dir, AS_OF)
    # A hand-run build for an earlier day: 2026 reports are only overdue then, not missing, and nothing was found.
    publish_warehouse(data_dir, [NB], cov([NB]) + [("zj", 2026, "overdue")])
    outcome = send_missing_alerts(data_dir, dt.date(2027, 4, 15))
    assert outcome.resolved == [] and outcome.newly_missing == []
    # Back to the normal day: still nothing to send, because 浙江省 2026 stayed in the state.
    publish_warehouse(data_dir, [ZJ, NB], cov([ZJ, NB]))
    assert send_missing_alerts(data_dir, AS_OF).delivery is None
    assert len(receiver.posts) == 1


def test_a_government_removed_from_the_registry_is_dropped_silently(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, [ZJ, HZ], cov([ZJ, HZ]))
    send_missing_alerts(data_dir, AS_OF)
    publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    outcome = send_missing_alerts(data_dir, AS_OF)
    assert outcome.withdrawn == 1 and outcome.resolved == [] and outcome.delivery is None
    assert set(state(data_dir)["missing"]) == {"zj|2026"}
    assert len(receiver.posts) == 1


def test_no_published_warehouse_yet_is_not_an_error(data_dir):
    outcome = send_missing_alerts(data_dir, AS_OF)
    assert outcome.delivered and "no published warehouse" in outcome.describe()


def test_a_large_backlog_is_capped_in_the_message(data_dir):
    rows = [(f"g{i:04d}", f"政府{i}", "某省", "county", 2020, dt.date(2021, 4, 1), 1000) for i in range(450)]
    _, lines, keys = digest(
        [
            dict(
                zip(
                    ("government_id", "name", "province", "level", "report_year", "due_date", "days_overdue"),
                    r,
                    strict=True,
                )
            )
            for r in rows
        ],
        [],
        AS_OF,
    )
    body = "\n".join(lines)
    assert "... and 150 more" in body
    assert body.count("\n  - ") == 300
    assert len([k for k in keys if k]) == 300 and len(keys) == len(lines)


def test_an_invalid_url_is_reported_not_raised(data_dir):
    outcome = deliver(data_dir, "test", "t", "b", urls=["not a url"])
    assert not outcome.delivered and outcome.failed and outcome.filed is not None


def test_overdue_reminder_is_separate_and_once_per_report(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    due, grace_end = dt.date(2027, 4, 1), dt.date(2027, 5, 1)
    overdue = [
        ("zj-hz", 2026, "overdue", "杭州市人民政府", "浙江省", "city", due, grace_end, 14),
        ("gd", 2026, "overdue", "广东省人民政府", "广东省", "province", due, grace_end, 14),
    ]
    publish_warehouse(data_dir, [NB], cov([NB]) + overdue)
    as_of = dt.date(2027, 4, 15)

    outcome = send_overdue_reminder(data_dir, as_of)
    assert outcome.delivered and len(outcome.newly_missing) == 2
    assert len(receiver.posts) == 1
    post = receiver.posts[0]["json"]
    assert "2 overdue" in post["title"] and post["type"] == "info"
    assert "杭州市人民政府 [zj-hz] 2026年度: due 2027-04-01, grace ends 2027-05-01" in post["message"]
    assert "宁波" not in post["message"]  # missing rows belong to the digest, not the reminder

    assert send_overdue_reminder(data_dir, as_of).delivery is None  # once
    # The missing digest is independent: 宁波 is still new to it.
    digest_outcome = send_missing_alerts(data_dir, as_of)
    assert [r["government_id"] for r in digest_outcome.newly_missing] == ["zj-nb"]
    assert len(receiver.posts) == 2
    state = json.loads((data_dir / "alerts" / "state.json").read_text(encoding="utf-8"))
    assert set(state["overdue"]) == {"zj-hz|2026", "gd|2026"} and set(state["missing"]) == {"zj-nb|2025"}


def test_delivery_is_kept_per_channel(data_dir, receiver, monkeypatch):
    """Issue 11, item 4: with two channels and one down, the one that was down gets the digest on the next run,
    the one that took it does not get it twice, and resolved lines go to both."""
    from .receiver import Receiver

    with Receiver() as second:
        monkeypatch.setenv("FZZF_ALERT_URLS", f"{receiver.url}, {second.url}")
        publish_warehouse(data_dir, [ZJ], cov([ZJ]))
        second.status = 500
        first = send_missing_alerts(data_dir, AS_OF)
        assert first.delivered and first.undelivered == 1
        assert len(receiver.posts) == 1 and not second.posts
        second.status = 200
        again = send_missing_alerts(data_dir, AS_OF)
        assert len(receiver.posts) == 1 and len(second.posts) == 1  # only the channel that was down
        assert "1 newly missing" in second.messages()[0] and again.undelivered == 0
        send_missing_alerts(data_dir, AS_OF)
        assert len(receiver.posts) == 1 and len(second.posts) == 1
        publish_warehouse(data_dir, [], [(ZJ[0], ZJ[4], "late")])
        send_missing_alerts(data_dir, AS_OF)
        assert "resolved" in receiver.messages()[-1] and "resolved" in second.messages()[-1]
        assert state(data_dir)["missing"] == {}


def test_fzzf_alert_exits_non_zero_when_nothing_could_be_delivered(data_dir, receiver, monkeypatch, capsys):
    from scrapers import cli

    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    monkeypatch.setenv("FZZF_TODAY", AS_OF.isoformat())
    publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    receiver.status = 500
    assert cli.main(["alert", "--data-dir", str(data_dir)]) == 1
    assert "NOT delivered" in capsys.readouterr().out
    receiver.status = 200
    assert cli.main(["alert", "--data-dir", str(data_dir)]) == 0
    # An alert run for another day is refused: it would record that day's gaps as sent.
    assert cli.main(["alert", "--data-dir", str(data_dir), "--as-of", "2027-07-01"]) == 2


def test_an_unreadable_alert_state_is_kept_and_the_gaps_sent_again(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    send_missing_alerts(data_dir, AS_OF)
    path = data_dir / "alerts" / "state.json"
    path.write_text('{"version": 2, "missing": {"zj|2026": ', encoding="utf-8")
    outcome = send_missing_alerts(data_dir, AS_OF)
    assert len(receiver.posts) == 2 and len(outcome.newly_missing) == 1
    assert "unreadable" in outcome.describe()
    (kept,) = path.parent.glob("state.corrupt.*.json")
    assert kept.read_text(encoding="utf-8").startswith('{"version": 2')
    assert "zj|2026" in state(data_dir)["missing"]


def test_each_digest_line_carries_the_reason_from_coverage_explained(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    reasons = [
        ("zj", 2026, "no link for this year on 3 list pages"),
        ("zj-hz", 2026, "link found, HTTP 500 on 2 runs, retrying"),
        ("zj-nb", 2025, "only a look-alike: 政府信息公开工作年度报告"),
    ]
    publish_warehouse(data_dir, [ZJ, HZ, NB, GD], cov([ZJ, HZ, NB, GD]), reasons)

    outcome = send_missing_alerts(data_dir, AS_OF)

    assert outcome.delivered and len(receiver.posts) == 1
    lines = receiver.posts[0]["json"]["message"].splitlines()
    assert (
        "  - 浙江省人民政府 [zj] 2026年度: due 2027-04-01, 61 days overdue; no link for this year on 3 list pages"
        in lines
    )
    assert (
        "  - 杭州市人民政府 [zj-hz] 2026年度: due 2027-04-01, 61 days overdue; link found, HTTP 500 on 2 runs, retrying"
        in lines
    )
    assert (
        "  - 宁波市人民政府 [zj-nb] 2025年度: due 2026-04-01, 426 days overdue; only a look-alike: 政府信息公开工作年度报告"
        in lines
    )
    # A row the mart has no reason for still goes out, as before.
    assert "  - 广东省人民政府 [gd] 2026年度: due 2027-04-01, 61 days overdue" in lines


def test_a_warehouse_without_coverage_explained_still_sends_the_digest(data_dir, receiver, monkeypatch):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, [ZJ], cov([ZJ]), reasons=None)

    outcome = send_missing_alerts(data_dir, AS_OF)

    assert outcome.delivered and len(receiver.posts) == 1
    assert receiver.posts[0]["json"]["message"].splitlines()[-1] == (
        "  - 浙江省人民政府 [zj] 2026年度: due 2027-04-01, 61 days overdue"
    )
