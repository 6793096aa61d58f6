"""Issue 22 item 8: one bad figure must not stop every alert. Real landing files, real dbt builds, real GX, real
DuckDB files, alerts over real HTTP to a webhook receiver on 127.0.0.1.

One data directory, five builds as a deployment would run them:

1. g1 clean, g2 with a 出庭率 of 150 % and an empty section, g3 never reported -> the figure and the section are
   taken out, the rest is published, g3's missing report is alerted, one notice names government, URL, sentence;
F. a build whose coverage is untrustworthy (for a day before any registered year: empty) -> blocked, nothing
   published, and the quarantine history it saw is not what the next build compares with;
2. the same data again (incremental dbt)     -> still held back, no second notice, history kept;
3. the rule relaxed to 0-200 %               -> the figure comes back (an incremental mart does not lose it);
4. the rule back, g2's report re-crawled with 95 % -> the new figure published, the old row released.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil

import pytest
from alerts.receiver import Receiver

from scrapers import settings
from scrapers.gate.marts_quarantine import history_path
from scrapers.landing import Landing, new_run_id
from scrapers.warehouse.build import run_build
from scrapers.warehouse.paths import published_path

from .helpers import FETCHED, land, query, record, write_registry

pytestmark = pytest.mark.gates

AS_OF = dt.date(2024, 5, 1)
BAD_SENTENCE = "行政机关负责人出庭应诉率达150%"


def figure(value: float, sentence: str) -> dict:
    return {
        "metric": "leader_court_appearance_rate",
        "value": value,
        "unit": "%",
        "scope": "unknown",
        "sentence": sentence,
        "section": None,
    }


def g2_report(rate: float, sentence: str, extra: str = "", empty_section: bool = True) -> dict:
    r = record("g2", "004", body=record("g2", "004")["body"] + extra)
    r["metrics"] = [*r["metrics"], figure(rate, sentence)]
    r["sections"] = [{"level": 1, "ord": 1, "heading": "一、主要工作", "text": "全面推进依法行政。"}]
    if empty_section:
        r["sections"].append({"level": 1, "ord": 2, "heading": "", "text": "  "})  # a splitting bug: nothing in it
    return r


def crawled_without_reports(data, gid: str) -> None:
    """An ok crawl of ``gid``'s list page that found no report: its past-due years are missing, not unknown."""
    run_id = new_run_id()
    row = {"run_id": run_id, "government_id": gid, "list_url": f"http://{gid}.example.gov.cn/fzzf/", "status": "ok",
           "pages_fetched": 1, "requests": 1, "links_seen": 0, "reports_found": 0, "reports_new": 0,
           "links_skipped": 0, "errors": 0, "error": None, "started_at": FETCHED, "finished_at": FETCHED}  # fmt: skip
    Landing(data).ensure().write_rows("crawl_log", run_id, gid, [row])


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quarantine_notices(receiver: Receiver) -> list[str]:
    return receiver.messages(titled="quarantined by the marts gate")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    data = tmp_path_factory.mktemp("quarantine")
    registry = write_registry(data / "registry.yaml", ["g1", "g2", "g3"], reports_from=2022)
    relaxed = tmp_path_factory.mktemp("suites")
    out: dict = {"data": data, "registry": registry}
    with Receiver() as receiver, pytest.MonkeyPatch.context() as mp:
        mp.setenv("FZZF_ALERT_URLS", receiver.url)
        out["receiver"] = receiver
        bad = g2_report(150.0, BAD_SENTENCE)
        out["bad_record"] = bad["record_id"]
        land(data, [record("g1", "003"), bad])
        crawled_without_reports(data, "g3")
        out[1] = run_build(data, registry, AS_OF)
        out["notices_1"] = list(quarantine_notices(receiver))
        out["missing_1"] = receiver.messages(titled="newly missing")
        out["published_1"] = shutil.copy(published_path(data), data.parent / f"{data.name}_published_1.duckdb")
        out["metrics_1"] = query(published_path(data), "select report_id, metric, value from marts.report_metrics")
        out["q_1"] = query(
            published_path(data), "select quarantine_id, first_quarantined_at from marts.quarantined_rows"
        )
        out["sha_1"], out["history_1"] = sha(published_path(data)), history_path(data).read_bytes()

        # a coverage-critical failure: a build for a day before any registered year, so coverage is empty
        out["F"] = run_build(data, registry, dt.date(2021, 6, 1))
        out["sha_F"], out["history_F"] = sha(published_path(data)), history_path(data).read_bytes()
        out["failure_F"] = receiver.messages(titled="not published")

        out[2] = run_build(data, registry, AS_OF)
        out["notices_2"] = list(quarantine_notices(receiver))

        # the rule relaxed (a real large figure after all): the incremental mart must give the figure back
        shipped = settings.EXPECTATIONS_DIR
        shutil.copytree(shipped, relaxed, dirs_exist_ok=True)
        suite = json.loads((relaxed / "marts_report_metrics.json").read_text(encoding="utf-8"))
        suite["expectations"][0]["kwargs"]["max_value"] = 200
        (relaxed / "marts_report_metrics.json").write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
        mp.setattr(settings, "EXPECTATIONS_DIR", relaxed)
        out[3] = run_build(data, registry, AS_OF)
        out["metrics_3"] = query(published_path(data), "select value from marts.report_metrics where unit = '%'")
        mp.setattr(settings, "EXPECTATIONS_DIR", shipped)

        # the rule back; the page re-crawled and re-read correctly: a new version with 95 %
        fixed = g2_report(95.0, "行政机关负责人出庭应诉率达95%", extra="\n附：更正。", empty_section=False)
        land(data, [fixed])
        out[4] = run_build(data, registry, AS_OF)
        out["notices_4"] = list(quarantine_notices(receiver))
    return out


def test_a_bad_figure_is_quarantined_and_the_rest_published(builds):
    first, wh = builds[1], builds["published_1"]
    assert first.published, first.describe()
    assert first.failed_step is None
    # the figure is in no published table, its report and the report's coverage are
    assert not any(value == 150.0 for _, _, value in builds["metrics_1"])
    assert ("g2:2022", "leader_court_appearance_rate", 150.0) not in builds["metrics_1"]
    assert any(report_id == "g2:2022" for report_id, _, _ in builds["metrics_1"])  # g2's other figures stay
    assert query(wh, "select report_id from marts.annual_reports order by 1") == [("g1:2022",), ("g2:2022",)]
    [(status,)] = query(wh, "select status from marts.report_coverage where report_id = 'g2:2022'")
    assert status in ("on_time", "late")
    # annual_reports counts what it publishes
    assert query(
        wh,
        "select a.metric_count = (select count(*) from marts.report_metrics m where m.report_id = a.report_id), "
        "a.section_count from marts.annual_reports a where a.report_id = 'g2:2022'",
    ) == [(True, 1)]
    assert query(wh, "select heading from marts.report_sections where report_id = 'g2:2022'") == [("一、主要工作",)]


def test_missing_report_alerts_still_go_out(builds):
    [digest] = builds["missing_1"]
    assert "g3" in digest and "测试g3" in digest  # g3 never reported: its gap is sent, the bad figure notwithstanding
    assert "测试g2" not in digest


def test_the_quarantine_table_names_government_url_sentence_and_expectation(builds):
    wh = builds["published_1"]
    rows = query(
        wh,
        "select table_name, government_id, government_name, report_year, url, field, sentence, value, "
        "expectation, reason, record_id, is_current from marts.quarantined_rows order by table_name",
    )
    [metric, section] = rows
    assert metric[:4] == ("report_metrics", "g2", "测试g2", 2022)
    assert metric[4].startswith("http://g2.example.gov.cn/fzzf/004_")
    assert metric[5:10] == (
        "负责人出庭应诉_出庭率",
        BAD_SENTENCE,
        "150.0",
        "expect_column_values_to_be_between(rate_value)",
        "rate outside 0-100%",
    )
    assert metric[10] == builds["bad_record"] and metric[11] is True
    assert section[0] == "report_sections" and section[9] == "section with neither heading nor text"
    # the staged warehouse published lost nothing else: the gate passed on what remained
    assert "quarantined: 2 row(s)" in builds[1].gate_summary and "FAILED" not in builds[1].gate_summary


def test_one_notice_names_government_url_sentence_and_expectation(builds):
    [notice] = builds["notices_1"]
    assert "测试g2 (g2) 2022 http://g2.example.gov.cn/fzzf/004_" in notice
    assert f"sentence: {BAD_SENTENCE}" in notice
    assert "expect_column_values_to_be_between(rate_value)" in notice
    assert "负责人出庭应诉_出庭率" in notice and "section with neither heading nor text" in notice


def test_a_second_build_keeps_it_out_without_a_second_notice(builds):
    second, data = builds[2], builds["data"]
    assert second.published, second.describe()
    assert builds["notices_2"] == builds["notices_1"]  # no new notice, a failed build in between notwithstanding
    assert len(second.marts_quarantined) == 2 and second.marts_newly_quarantined == []
    assert query(published_path(data), "select count(*) from marts.report_metrics where value = 150") == [(0,)]


def test_a_relaxed_rule_gives_the_figure_back(builds):
    # report_metrics is incremental: without the gate making dbt forget g2's report, the row taken out in build 1
    # would never be derived again
    assert builds[3].published, builds[3].describe()
    assert (150.0,) in builds["metrics_3"]


def test_a_fixed_figure_is_published_and_the_old_row_released(builds):
    fourth, data = builds[4], builds["data"]
    assert fourth.published, fourth.describe()
    wh = published_path(data)
    rates = {v for (v,) in query(wh, "select value from marts.report_metrics where report_id = 'g2:2022'")}
    assert 95.0 in rates and 150.0 not in rates
    # history: the 150 % row first taken out by build 1, released since; analysts see both
    rows = query(
        wh,
        "select quarantine_id, is_current, released_at is not null, first_quarantined_at from marts.quarantined_rows "
        "where table_name = 'report_metrics' order by first_quarantined_at",
    )
    [(qid, current, released, first)] = rows
    assert (qid, first) in builds["q_1"] and not current and released
    assert query(wh, "select count(*) from marts.quarantined_rows where is_current") == [(0,)]
    assert builds["notices_4"] == builds["notices_1"]  # nothing newly taken out, nothing said
    history = [json.loads(line) for line in history_path(data).read_text(encoding="utf-8").splitlines()]
    assert {h["quarantine_id"] for h in history} >= {qid}


def test_a_coverage_critical_failure_still_blocks(builds):
    failed = builds["F"]
    assert not failed.published and failed.failed_step == "marts gate"
    assert "marts_coverage_complete" in failed.gate_summary
    assert builds["sha_F"] == builds["sha_1"]  # the published warehouse is byte-identical
    [notice] = builds["failure_F"]
    assert "marts gate failed" in notice and "marts_coverage_complete" in notice
    # its gate saw none of g2's rows (nothing landed is due that day) and would have called them released: a build
    # that is not published leaves the history alone, so build 2 does not announce them again
    assert builds["history_F"] == builds["history_1"]


def test_a_quarantine_spec_without_its_context_is_refused_naming_the_file(tmp_path):
    from scrapers.gate.marts_quarantine import spec_of
    from scrapers.gate.suites import SuiteError, load_suite

    suite = json.loads((settings.EXPECTATIONS_DIR / "marts_report_metrics.json").read_text(encoding="utf-8"))
    del suite["meta"]["quarantine"]["context"]
    path = tmp_path / "marts_report_metrics.json"
    path.write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"marts_report_metrics\.json: meta\.quarantine needs 'table'"):
        spec_of(load_suite(path))
