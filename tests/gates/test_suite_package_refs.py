"""Rules the code applies and the landing suite checks have one home: the suite takes them from the package."""

from __future__ import annotations

import json

import pytest

from scrapers import classify
from scrapers.extract import chrome
from scrapers.gate import SuiteError, load_suite
from scrapers.settings import EXPECTATIONS_DIR


def _regex_lists(suite) -> dict[str, list[str]]:
    return {
        e["kwargs"]["column"]: e["kwargs"]["regex_list"]
        for e in suite.expectations()
        if e["type"] == "expect_column_values_to_not_match_regex_list"
    }


def test_the_landing_suite_reads_chrome_markers_and_look_alikes_from_the_package():
    raw = json.loads((EXPECTATIONS_DIR / "landing_reports.json").read_text(encoding="utf-8"))
    refs = {
        e["kwargs"]["column"]: e["kwargs"]["regex_list"]
        for e in raw["expectations"]
        if e["type"] == "expect_column_values_to_not_match_regex_list"
    }
    # no copy in the file: a reference
    assert refs == {
        "body": {"$package": "scrapers.extract.chrome:LEFTOVER_PATTERNS"},
        "title": {"$package": "scrapers.classify:LOOK_ALIKE_PATTERNS"},
    }
    lists = _regex_lists(load_suite(EXPECTATIONS_DIR / "landing_reports.json"))
    assert lists["body"] == list(chrome.LEFTOVER_PATTERNS)
    assert lists["title"] == [p.pattern for _, p in classify.LOOK_ALIKES]


def test_a_reference_that_does_not_resolve_names_file_expectation_and_reference(tmp_path):
    suite = json.loads((EXPECTATIONS_DIR / "landing_reports.json").read_text(encoding="utf-8"))
    for e in suite["expectations"]:
        if e["type"] == "expect_column_values_to_not_match_regex_list":
            e["kwargs"]["regex_list"] = {"$package": "scrapers.extract.chrome:NO_SUCH_LIST"}
    path = tmp_path / "landing_reports.json"
    path.write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SuiteError) as err:
        load_suite(path)
    message = str(err.value)
    assert str(path) in message and "expect_column_values_to_not_match_regex_list" in message
    assert "scrapers.extract.chrome:NO_SUCH_LIST" in message and "kwargs.regex_list" in message


def test_discovery_drops_chrome_link_texts_and_keeps_a_report_title():
    from scrapers.collect.discover import CHROME_TITLE

    # link texts broken markup puts in anchors on real portals (footer, breadcrumb, counters, script text)
    for text in ("京ICP备05070602号", "网站标识码：1100000088", "版权所有：某某市人民政府", "您现在的位置：首页 > 政务公开",
                 "浏览次数：", "var hits = 0;", "扫一扫在手机打开当前页"):  # fmt: skip
        assert CHROME_TITLE.search(text), text
    assert not CHROME_TITLE.search("某某市人民政府关于2023年度法治政府建设情况的报告")


def test_a_change_to_a_package_list_changes_the_landing_cache_fingerprint(monkeypatch):
    from scrapers.gate.landing_cache import fingerprint

    before = fingerprint(load_suite(EXPECTATIONS_DIR / "landing_reports.json"), {}, {})
    monkeypatch.setattr(chrome, "LEFTOVER_PATTERNS", (*chrome.LEFTOVER_PATTERNS, "新增的页面元素"))
    after = fingerprint(load_suite(EXPECTATIONS_DIR / "landing_reports.json"), {}, {})
    assert before != after


def test_patterns_the_suite_runs_in_pandas_have_no_capture_groups():
    import re

    # pandas' str.contains warns on every capture group, which would put library noise into the build log
    for pattern in (*classify.LOOK_ALIKE_PATTERNS, *chrome.LEFTOVER_PATTERNS):
        assert re.compile(pattern).groups == 0, pattern
