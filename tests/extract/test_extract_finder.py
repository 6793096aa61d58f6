"""The body finder on layouts no selector covers: structural fallback, duplicated articles, tables, captions, and the
CMS metadata seen on real sites (``publishdate``, ``firstpublishedtime``, ``og:release_date``, split label/value)."""

from __future__ import annotations

import json

from scrapers.extract import extract_page

ARTICLE = [
    "为深入贯彻落实党中央、国务院决策部署，进一步优化营商环境，现就有关事项通知如下。",
    "一、各地区要加快推进政务服务标准化、规范化、便利化，全面推行“一网通办”。",
    "二、各部门要依法依规公开政务信息，及时回应社会关切，接受群众监督。",
]
_P = "".join(f"<p>{p}</p>" for p in ARTICLE)
_JS = "<script>" + "var a=1;" * 3000 + "</script>"


def _ministry_page(body: str, head: str = "") -> bytes:
    # a central-ministry layout: metadata only in meta tags, heavy JS before the body, the article in a container of
    # its own, and a "#content" id that this CMS uses for a search widget
    return (
        "<html><head><title>关于优化政务服务的通知_某某部</title>"
        '<meta name="contentid" content="20230915001"><meta name="publishdate" content="2023-09-15">'
        f"{head}</head><body>{_JS}"
        '<div id="content"><form><input name="q"></form>热门搜索：政务服务 营商环境 一网通办 政策解读 办事指南 '
        "常见问题 互动交流 数据开放 网站地图 无障碍</div>"
        f'<div class="pages-title">关于优化政务服务的通知</div>{_JS}<div class="xl_zw">{body}</div>'
        "<div class='footer'>主办单位：某某部 版权所有 京ICP备0000号</div></body></html>"
    ).encode()


def test_nearly_empty_known_container_gives_way_to_the_structural_fallback():
    page = extract_page(_ministry_page(_P))
    assert page.body.splitlines() == ARTICLE
    assert page.body_method == "structural"
    assert page.publish_date.isoformat() == "2023-09-15"
    assert json.loads(json.dumps(page.as_dict()))["body_method"] == "structural"


def test_known_container_with_the_article_is_used():
    page = extract_page(_ministry_page(_P).replace(b'class="xl_zw"', b'class="TRS_Editor"'))
    assert page.body.splitlines() == ARTICLE and page.body_method == "selector"


def test_paragraphs_split_by_an_image_and_nested_div_stay_together():
    body = f"<p>{ARTICLE[0]}</p><p><img src='a.jpg'></p><p>图为政务服务中心办事大厅。</p><div><div><p>{ARTICLE[1]}</p></div></div><p>{ARTICLE[2]}</p>"
    page = extract_page(_ministry_page(body))
    assert page.body.splitlines() == [ARTICLE[0], "图为政务服务中心办事大厅。", ARTICLE[1], ARTICLE[2]]


def test_an_article_printed_twice_is_taken_once():
    html = (
        f"<html><body><div class='main'><h1>通知</h1><div class='a'>{_P}</div></div>"
        f"<div class='elder-mode' ><div class='b'>{_P}</div></div><div>手机版|电脑版</div></body></html>"
    )
    page = extract_page(html.encode())
    assert page.body.splitlines() == ARTICLE and page.body_method == "structural"


def _editor_page(body: str) -> bytes:
    return f"<html><body><h1>通知</h1><div class='TRS_Editor'>{body}</div></body></html>".encode()


def test_data_table_rows_are_one_line_and_layout_tables_are_not():
    table = (
        "<table><tr><td><p>产品名称</p></td><td>计量单位</td><td>产量</td></tr>"
        "<tr><td>饮料酒</td><td>千升</td><td>15767</td></tr></table>"
    )
    page = extract_page(_editor_page(f"<p>{ARTICLE[0]}</p>{table}<p>{ARTICLE[1]}</p>"))
    assert page.body.splitlines() == [ARTICLE[0], "产品名称 计量单位 产量", "饮料酒 千升 15767", ARTICLE[1]]
    layout = f"<table><tr><td>{_P}</td><td>友情链接</td></tr></table>"
    assert extract_page(_editor_page(layout)).body.splitlines() == [*ARTICLE, "友情链接"]
    menu = "<table><tr><td><a href='1'>首页</a></td><td><a href='2'>新闻中心</a></td><td><a href='3'>政务公开</a></td></tr></table>"
    assert extract_page(_editor_page(_P + menu)).body.splitlines() == ARTICLE  # a row of links is still a link list


def test_figcaption_inside_the_body_is_kept():
    body = f"<p>{ARTICLE[0]}</p><figure><img src='a.jpg'><figcaption>图为签约仪式现场。</figcaption></figure>"
    assert extract_page(_editor_page(body)).body.splitlines() == [ARTICLE[0], "图为签约仪式现场。"]


def test_meta_dates_seen_on_real_sites():
    for head, day in (
        ('<meta name="firstpublishedtime" content="2007-08-20-23:59:59">', "2007-08-20"),
        ('<meta property="og:release_date" content="2021-03-02T08:00:00+08:00">', "2021-03-02"),
        ('<meta name="PubDate" content="2022-02-11 08:52:25">', "2022-02-11"),
    ):
        html = f"<html><head>{head}</head><body><div class='TRS_Editor'>{_P}</div></body></html>"
        assert extract_page(html.encode()).publish_date.isoformat() == day, head


def test_metadata_line_wins_over_meta_and_split_label_value_blocks_are_read():
    html = (
        '<html><head><meta name="PubDate" content="2023-08-16 10:33:59"></head><body>'
        "<dd><label><font>发文日期：</font></label><div>\n 2023-04-18 \n</div></dd>"
        "<dd><label>发布机构：</label><div>宜春市统计局</div></dd>"
        f"<div class='TRS_Editor'>{_P}</div></body></html>"
    )
    page = extract_page(html.encode())
    assert page.publish_date.isoformat() == "2023-04-18" and page.source == "宜春市统计局"


def test_hanweb_wrapped_source_and_inline_widgets():
    html = (
        "<html><body><div>发布日期：2016-11-22 信息来源：<!--<$[信息来源]>begin-->省发改委<!--<$[信息来源]>end--></div>"
        f"<div class='TRS_Editor'><div>【字体：大 中 小】</div>{_P}<div><a href='1'>[1]</a> <a href='2'>[2]</a> "
        "<a href='3'>[3]</a></div></div></body></html>"
    )
    page = extract_page(html.encode())
    assert page.source == "省发改委" and page.body.splitlines() == ARTICLE
