"""Titles as a reader sees them (plain text, the article's own, never only the site's name) and the page's own
labelled date before the PubDate meta tag and the URL."""

from __future__ import annotations

import datetime as dt

import pytest

from scrapers.extract import extract_page
from scrapers.extract.title import is_site_name, plain

BODY = "<p>2023年，县政府坚持以习近平法治思想为指导，全面推进法治政府建设，各项工作取得新进展，现报告如下。</p>" * 3
TITLE = "青溪县2023年法治政府建设情况报告"


def _page(head: str, before_body: str, after_body: str = "") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'>{head}</head><body>{before_body}"
        f"<div class='TRS_Editor'>{BODY}</div>{after_body}</body></html>"
    ).encode()


@pytest.mark.parametrize(
    "field, text",
    [
        ('<font color="#FF0000">青溪县</font>2023年法治政府建设情况报告', TITLE),
        ("<div>青溪县2023年<br>法治政府建设情况报告</div>", TITLE),
        ("&lt;div&gt;青溪县2023年法治政府建设情况报告&lt;/div&gt;", TITLE),  # escaped twice
        ("Annual<br/>Report 2023", "Annual Report 2023"),
        (TITLE, TITLE),
    ],
)
def test_a_title_field_is_plain_text(field, text):
    assert plain(field) == text


def test_escaped_markup_in_article_title_meta_and_title_element_is_removed():
    meta = "<meta name='ArticleTitle' content='&lt;font color=red&gt;青溪县&lt;/font&gt;&lt;br&gt;2023年法治政府建设情况报告'>"
    assert extract_page(_page(meta, "")).title == TITLE
    head = "<title>&lt;div&gt;青溪县2023年法治政府建设情况报告&lt;/div&gt;_青溪县人民政府</title>"
    assert extract_page(_page(head, "")).title == TITLE


@pytest.mark.parametrize(
    "name, site",
    [
        ("某某镇人民政府", True),
        ("青溪县司法局", True),
        ("青溪县人民政府门户网站", True),
        ("中国河北政府采购网", True),
        ("法治政府", False),
        ("建设人民满意的法治政府", False),
        (TITLE, False),
        ("青溪县人民政府关于2023年度法治政府建设情况的报告", False),
    ],
)
def test_site_names(name, site):
    assert is_site_name(name, {}) is site


def test_site_name_meta_is_a_site_name():
    assert is_site_name("中国宜春", {"sitename": "中国宜春"})


SITE_ONLY = "<title>某某镇人民政府</title>"


def test_a_bold_centred_cell_above_the_body_beats_a_title_that_is_only_the_site_name():
    before = (
        "<table align='center'><tr><td><h1>某某镇人民政府</h1></td></tr>"
        "<tr><td align='center'><a href='/'>首页</a> | <a href='/zwgk/'>政务公开</a></td></tr>"
        f"<tr><td align='center'><b>{TITLE}</b></td></tr>"
        "<tr><td align='center'>发布时间：2024-03-22</td></tr></table>"
    )
    assert extract_page(_page(SITE_ONLY, before)).title == TITLE


def test_an_h1_above_the_body_beats_a_title_that_is_only_the_site_name():
    before = f"<div class='logo'><h1>某某镇人民政府</h1></div><h1>{TITLE}</h1><div>【大 中 小】</div>"
    assert extract_page(_page(SITE_ONLY, before)).title == TITLE


def test_the_breadcrumbs_last_item_when_nothing_else_names_the_article():
    before = f"<div class='crumb'>您当前位置：<a href='/'>首页</a> &gt; <a href='/fz/'>法治建设</a> &gt; {TITLE}</div>"
    assert extract_page(_page(SITE_ONLY, before)).title == TITLE


def test_a_title_part_the_page_shows_beats_an_unrelated_title_class():
    # <h3><p>…</p></h3>: lxml closes the h3 before the p, so the heading is empty and the p holds the title
    head = f"<title>凯里市人民政府- {TITLE}</title>"
    before = f"<div class='cont'><h3><p>{TITLE}</p></h3></div>"
    after = "<div class='alert'><div class='alert_title'><p>温馨提示</p></div></div>"
    assert extract_page(_page(head, before, after)).title == TITLE


URL = "http://www.qingxi.gov.cn/fzjs/202403/t20240325_5521.html"  # its date is not the publication's
REGENERATED = "<meta name='PubDate' content='2025-01-10 08:00:00'>"


@pytest.mark.parametrize(
    "line",
    [
        "发布时间：2024-03-22",
        "<span>发 布 日 期：</span><span>2024年03月22日</span>",
        "<table><tr><th>发布日期</th><td>2024-03-22</td></tr></table>",
        "【发布时间】2024-03-22",
        "<div>发布日期</div><div>2024-03-22</div>",
        "<table><tr><th>成文日期</th><td>2024-03-18</td><th>发布日期</th><td>2024-03-22</td></tr></table>",
        "<p>日期：2024-03-22</p>",
    ],
)
def test_the_pages_labelled_date_beats_the_meta_tag_and_the_url(line):
    page = extract_page(_page(f"<title>{TITLE}</title>{REGENERATED}", line), url=URL)
    assert page.publish_date == dt.date(2024, 3, 22)


def test_a_bare_time_word_in_prose_is_no_date_label():
    before = "<p>活动时间 2023年5月1日至5月3日。</p>"
    page = extract_page(_page(f"<title>{TITLE}</title>", before), url=URL)
    assert page.publish_date == dt.date(2024, 3, 25)  # the URL's: prose gave no labelled date


def test_with_a_site_name_title_a_dialog_heading_below_the_body_is_not_the_title():
    before = f"<table><tr><td style='text-align:center'><strong>{TITLE}</strong></td></tr></table>"
    after = "<div class='alert_title'>温馨提示：您即将离开本站</div><h2>政务公开</h2>"
    assert extract_page(_page(SITE_ONLY, before, after)).title == TITLE
