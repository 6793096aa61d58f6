"""The labelled set: every page perfect (body and metadata), and the set itself as realistic as the issue asks."""

from __future__ import annotations

import re

import pytest

from scrapers.demo.pages import FAMILIES, FAMILIES_DATA
from scrapers.extract.chrome import CHROME_MARKERS

from .labelled import all_cases, file_cases, generated_cases, run_project
from .scoring import chrome_left, score_page, score_set

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_page_is_perfect(case):
    row = run_project(case)
    score = score_page(case.paragraphs, row["text"])
    assert score.chrome == ()
    assert score.recall >= 0.99, f"missing: {[p for p in case.paragraphs if p not in row['text'].splitlines()][:3]}"
    assert score.precision >= 0.99, f"extra: {[x for x in row['text'].splitlines() if x not in case.paragraphs][:3]}"
    page = row["page"]
    assert page.title == case.title
    assert page.publish_date == case.publish_date
    assert page.source == case.source
    assert page.report_year == case.report_year
    assert page.is_annual_report is case.is_annual_report, page.decision_reason


def test_whole_set_scores_perfect():
    result = score_set([run_project(c) for c in CASES])
    assert (result.perfect, result.pages) == (len(CASES), len(CASES))
    assert result.recall == pytest.approx(1.0) and result.precision == pytest.approx(1.0)
    assert result.title_rate == result.date_rate == result.year_rate == 1.0


def test_gold_bodies_hold_no_chrome_marker():
    for case in CASES:
        assert chrome_left("\n".join(case.paragraphs)) == [], case.name


def test_set_covers_the_families_and_attachment_kinds():
    cases = generated_cases()
    assert {c.family for c in cases} == set(FAMILIES) and len(FAMILIES) >= 6
    kinds = {c.attachment[0].rsplit(".", 1)[-1] for c in cases if c.attachment}
    assert kinds == {"pdf", "docx"}
    assert len(file_cases()) >= 4
    assert any(not c.is_annual_report for c in file_cases())


def _case(name):
    return next(c for c in generated_cases() if c.name == name)


def _text(case) -> str:
    return case.content.decode(FAMILIES_DATA[case.family].encoding)


def test_pages_carry_the_real_chrome():
    with_related = 0
    for case in generated_cases():
        text = _text(case)
        present = {m for m in CHROME_MARKERS if m in text}
        assert len(present) >= 10, (case.name, sorted(present))
        related = re.search(r"<h3>相关文章</h3><ul>(.*?)</ul>", text)
        titles = re.findall(r">([^<]+)</a>", related.group(1)) if related else []
        assert all("法治" in t and "报告" in t for t in titles), case.name  # related articles look like reports
        with_related += bool(titles)
    assert with_related >= len(generated_cases()) * 5 // len(FAMILIES)


def test_family_specifics():
    gbk = _case("004-table_gbk").content
    assert b"charset=gb2312" in gbk
    # 12·4: GBK's middle dot is not GB2312's (which decodes the same bytes as U+30FB): decode as GB18030
    assert "12·4" not in gbk.decode("gb2312", "replace") and "12·4" in gbk.decode("gb18030")
    hanweb = _case("001-hanweb").content.decode("utf-8")
    assert hanweb.index("</html>") < hanweb.index("ZJEG_RSS.content.begin")
    assert "</span>\n<span" in hanweb  # Word-pasted runs broken across source lines
    inbody = _case("001-inbody_chrome").content.decode("gb18030")
    container = inbody[inbody.index('class="article-content"') :]
    assert (
        "扫一扫在手机打开当前页" in container
        and "分享到" in container
        and b"charset" not in _case("001-inbody_chrome").content
    )
    xxgk = _case("001-xxgk").content.decode("utf-8")
    assert '<meta name="PubDate" content="2024-06-18 03:12:45">' in xxgk and "索引号" in xxgk


def test_chrome_markers_are_found_in_raw_pages():
    # the markers are meaningful only if unfiltered page text does contain them
    found = set()
    for case in generated_cases():
        visible = re.sub(r"<[^>]+>", "", _text(case))  # 【大 中 小】 is split by links in the markup
        found |= {m for m in CHROME_MARKERS if m in _text(case) or m in visible}
    assert sorted(CHROME_MARKERS - found) == []
