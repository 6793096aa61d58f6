"""List-page parsing: links, and every pagination family the domain notes list."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from farm.server import Farm
from farm.sites import PAGINATION, build_site

from scrapers.collect.discover import PageRequest, normalise_url, parse_list_page
from scrapers.collect.fetch import Fetcher
from scrapers.settings import Politeness

BASE = "http://www.example.gov.cn/zwgk/fzzfjsndbg/"


def page(items: str, extra: str = "", head: str = "") -> str:
    return (
        f"<html><head>{head}</head><body><div class='header'><a href='/'>首页</a>"
        "<a href='/zwgk/xxgknb/'>政府信息公开工作年度报告专栏</a></div>"
        f"<ul class='list'>{items}</ul>{extra}<div class='footer'><a href='http://www.gov.cn/'>中国政府网站导航</a></div>"
        "</body></html>"
    )


ITEM = "<li><a href='./202403/t20240328_1.html' title='北京市2023年法治政府建设年度情况报告'>北京市2023年法治政府建设…</a><span>2024-03-28</span></li>"


def test_links_full_titles_dates_and_no_chrome():
    p = parse_list_page(page(ITEM + "<li><a href='javascript:void(0)'>法治政府建设年度报告专栏</a></li>"), BASE)
    assert [(link.url, link.title, link.date) for link in p.links] == [
        (BASE + "202403/t20240328_1.html", "北京市2023年法治政府建设年度情况报告", dt.date(2024, 3, 28))
    ]
    assert p.family == "none" and p.next_pages == []


def test_base_href_dotdot_and_stray_html_end_tag():
    html = (
        "<html><head><base href='http://www.example.gov.cn/a/b/'></head><body><div>头部</div></html>"
        "<ul><li><a href='../../zwgk/202403/t1.html'>某区2023年法治政府建设情况报告</a> 2024-03-01</li></ul></body></html>"
    )
    p = parse_list_page(html.encode("utf-8"), BASE)
    assert [link.url for link in p.links] == ["http://www.example.gov.cn/zwgk/202403/t1.html"]


@pytest.mark.parametrize(
    ("script", "family", "expected"),
    [
        (
            'createPageHTML(4, 0, "index", "html");',
            "createPageHTML-4",
            ["index_1.html", "index_2.html", "index_3.html"],
        ),
        ("createPageHTML('page_div',3,1,'index','shtml',40);", "createPageHTML-6", ["index_2.shtml"]),
        (
            'var countPage = 3//共多少页\nvar currentPage = 0;\ndocument.write("")',
            "countPage",
            ["index_1.html", "index_2.html"],
        ),
    ],
)
def test_trs_page_counts_only_in_javascript(script, family, expected):
    p = parse_list_page(page(ITEM, f"<script>{script}</script>"), BASE)
    assert p.family == family
    assert [r.url for r in p.next_pages] == [BASE + e for e in expected]


def test_query_pages_from_last_page_link_and_total_text():
    pager = "<div class='pages'><a href='list.html?page=2'>下一页</a><a href='list.html?page=4'>尾页</a></div>"
    p = parse_list_page(page(ITEM, pager), BASE)
    assert p.family == "query" and p.page_count == 4
    assert [r.url for r in p.next_pages] == [BASE + f"list.html?page={n}" for n in (2, 3, 4)]
    pager = "<div>共3页 <a href='index.html?uid=7&pageNum=2'>下一页</a></div>"
    p = parse_list_page(page(ITEM, pager), BASE + "index.html?uid=7&pageNum=2")
    assert [r.url for r in p.next_pages] == [BASE + "index.html?uid=7&pageNum=3"]


def test_next_and_numbered_links():
    pager = "<div><span class='current'>2</span><a href='list_1.shtml'>1</a><a href='list_3.shtml'>3</a><a href='list_3.shtml'>下一页</a></div>"
    p = parse_list_page(page(ITEM, pager), BASE + "list_2.shtml")
    assert p.family == "numbered"
    assert [r.url for r in p.next_pages] == [BASE + "list_3.shtml"]
    p = parse_list_page(page(ITEM, "<a href='list_9.shtml'>下一页</a>"), BASE)
    assert p.family == "next-link" and [r.url for r in p.next_pages] == [BASE + "list_9.shtml"]


def test_hanweb_dataproxy_embedded_records_and_xml_answer():
    records = "".join(
        f"<record><![CDATA[<li><a href='/art/2024/3/{d}/art_1229_{d}.html' title='某县{2000 + d}年法治政府建设年度报告'>"
        f"某县{2000 + d}年法治政府建设年度报告</a><span>2024-03-{d:02d}</span></li>]]></record>"
        for d in range(1, 7)
    )
    html = (
        "<div id='5'><script type='text/xml'><datastore><nextgroup><![CDATA[<a href=\"/module/web/jpage/dataproxy.jsp?"
        'page=1&amp;webid=1&amp;columnid=1229&amp;unitid=5"></a>]]></nextgroup>'
        f"<recordset>{records}</recordset></datastore></script>"
        "<script>$.fn.pagination('5',{totalRecord:20, perPage:2});</script></div>"
    )
    p = parse_list_page(html, "http://www.example.gov.cn/col/col1229/index.html")
    assert p.family == "hanweb-dataproxy" and len(p.links) == 6 and p.page_count == 10
    assert [urlsplit(r.url).query for r in p.next_pages] == [
        "startrecord=7&endrecord=12&perpage=2",
        "startrecord=13&endrecord=18&perpage=2",
        "startrecord=19&endrecord=20&perpage=2",
    ]
    assert all(r.method == "POST" and dict(r.data)["columnid"] == "1229" for r in p.next_pages)
    answer = (
        f"<?xml version='1.0'?><datastore><totalrecord>20</totalrecord><recordset>{records}</recordset></datastore>"
    )
    p = parse_list_page(answer.encode(), p.next_pages[0].url)
    assert len(p.links) == 6 and p.next_pages == []


def test_normalise_url_treats_index_html_as_its_directory():
    assert normalise_url("HTTP://Ex.gov.cn/a/index.html#x") == normalise_url("http://ex.gov.cn/a/")
    assert PageRequest(BASE + "index.html").key == PageRequest(BASE).key


@pytest.mark.parametrize("family", PAGINATION)
def test_every_farm_family_yields_every_listed_link(family):
    farm = Farm()
    gov = build_site(farm, "g1", "测试县", "127.0.0.1", family, k=PAGINATION.index(family), per_page=3)
    fetcher = Fetcher(Politeness(delay=0, allow_private_hosts=True, obey_robots=False, retries=0))
    with farm:
        queue = [PageRequest(farm.url(gov.host, gov.list_path))]
        seen, found, families = {queue[0].key}, set(), set()
        while queue and len(seen) < 50:
            req = queue.pop(0)
            resp = fetcher.fetch(req.url, method=req.method, data=dict(req.data) or None)
            assert resp.status == 200, req
            parsed = parse_list_page(resp.content, resp.url, resp.content_type, base=req.base)
            families.add(parsed.family)
            found |= {urlsplit(link.url).path for link in parsed.links}
            for nxt in parsed.next_pages:
                if nxt.key not in seen:
                    seen.add(nxt.key)
                    queue.append(nxt)
    listed = {p.removesuffix(".new") for p in [*gov.expected, *gov.look_alikes, *gov.unreachable]}
    assert found == listed
    assert len(seen) >= 2  # it really paged
    assert families - {"none"}


def test_gkmlpt_config_page_and_json_answers():
    index = "<html><head><script>window._CONFIG = {SID: '200001', TITLE: '政府信息公开'};</script></head></html>"
    p = parse_list_page(index, "https://www.gz.gov.cn/bm/gkmlpt/index#10094")
    assert p.family == "gkmlpt"
    assert [r.url for r in p.next_pages] == ["https://www.gz.gov.cn/bm/gkmlpt/api/all/10094?page=1&sid=200001"]
    answer = (
        '{"total": 45, "articles": [{"id": 1, "title": "广州市人民政府关于2023年度法治政府建设情况的报告", '
        '"url": "https://www.gz.gov.cn/gkmlpt/content/9/9457/post_9457180.html", "first_publish_time": 1705975200},'
        '{"id": 2, "title": " 某局2023年工作要点 ", "post_url": "/gkmlpt/content/9/9400/post_9400001.html",'
        ' "create_time": 1705975200000}]}'
    )
    p = parse_list_page(answer.encode(), p.next_pages[0].url, "application/json")
    assert [(link.title, link.date) for link in p.links] == [
        ("广州市人民政府关于2023年度法治政府建设情况的报告", dt.date(2024, 1, 23)),
        ("某局2023年工作要点", dt.date(2024, 1, 23)),
    ]
    assert p.links[1].url == "https://www.gz.gov.cn/gkmlpt/content/9/9400/post_9400001.html"
    assert p.page_count == 23 and len(p.next_pages) == 22
    assert p.next_pages[0].url == "https://www.gz.gov.cn/bm/gkmlpt/api/all/10094?sid=200001&page=2"
    assert parse_list_page(answer, p.next_pages[0].url).next_pages == []  # only the first answer plans pages


# --- misses found on real list pages (issue 12, section 3) -----------------------------------------------------------
HANWEB_COLUMN = "http://www.example.gov.cn/col/col1229/index.html"


def _hanweb_records(days) -> str:
    return "".join(
        f"<record><![CDATA[<li><a href='../../art/2024/3/{d}/art_1229_{d}.html' target='_blank'>"
        f"某县{2000 + d}年法治政府建设年度报告</a><span>2024-03-{d:02d}</span></li>]]></record>"
        for d in days
    )


def test_hanweb_relative_records_resolve_against_the_column_page_not_dataproxy():
    column = (
        "<html><body><div id='5'><script type='text/xml'><datastore><nextgroup><![CDATA[<a href=\"/module/web/jpage/"
        'dataproxy.jsp?page=1&amp;webid=1&amp;path=/&amp;columnid=1229&amp;unitid=5"></a>]]></nextgroup>'
        f"<recordset>{_hanweb_records(range(1, 4))}</recordset></datastore></script>"
        "<script>$.fn.pagination('5',{totalRecord:6, perPage:1});</script></div></body></html>"
    )
    p = parse_list_page(column, HANWEB_COLUMN)
    assert [urlsplit(link.url).path for link in p.links] == [f"/art/2024/3/{d}/art_1229_{d}.html" for d in (1, 2, 3)]
    [nxt] = p.next_pages
    assert nxt.base == HANWEB_COLUMN  # the request remembers the page whose script made it
    answer = f"<?xml version='1.0'?><datastore><totalrecord>6</totalrecord><recordset>{_hanweb_records(range(4, 7))}"
    answer += "</recordset></datastore>"
    got = parse_list_page(answer.encode(), nxt.url, "text/xml", base=nxt.base)
    assert [urlsplit(link.url).path for link in got.links] == [f"/art/2024/3/{d}/art_1229_{d}.html" for d in (4, 5, 6)]
    # what the crawler did before: resolved against dataproxy.jsp, every link 404s
    wrong = parse_list_page(answer.encode(), nxt.url, "text/xml")
    assert all(urlsplit(link.url).path.startswith("/module/") for link in wrong.links)


TRS_WRITTEN_PAGER = """
var currentPage = {cur};//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = 4//共多少页
document.write("共"+countPage+"页&nbsp;&nbsp;");
if(currentPage==0) document.write("首页&nbsp;上一页&nbsp;");
else document.write("<a href=\\"list.shtml\\" >首页</a>&nbsp;<a href=\\"list_" + prevPage + ".shtml\\">上一页</a>");
if(nextPage<countPage) document.write("<a href=\\"list_" + nextPage + ".shtml\\">下一页</a>&nbsp;");
"""


def test_countpage_pager_takes_prefix_and_extension_from_its_document_write():
    p = parse_list_page(page(ITEM, f"<script>{TRS_WRITTEN_PAGER.format(cur=0)}</script>"), BASE + "list.shtml")
    assert p.family == "countPage"
    assert [r.url for r in p.next_pages] == [BASE + f"list_{i}.shtml" for i in (1, 2, 3)]
    p = parse_list_page(page(ITEM, f"<script>{TRS_WRITTEN_PAGER.format(cur=2)}</script>"), BASE + "list_2.shtml")
    assert [r.url for r in p.next_pages] == [BASE + "list_3.shtml"]
    # no names in the script: the list page's own extension, not a guessed .html
    p = parse_list_page(page(ITEM, "<script>var countPage = 2;</script>"), BASE + "index.shtml")
    assert [r.url for r in p.next_pages] == [BASE + "index_1.shtml"]


def test_a_date_inside_the_anchor_text_is_the_items_date_not_a_range():
    from scrapers.classify import classify, title_verdict

    item = "<li><a href='./t1.html'>某区2023年法治政府建设年度报告2024-03-01</a></li>"
    [link] = parse_list_page(page(item), BASE).links
    assert link.title == "某区2023年法治政府建设年度报告" and link.date == dt.date(2024, 3, 1)
    # and the classifier, given the raw anchor text, does not call it a five-year summary either
    for title in ("某区2023年法治政府建设年度报告2024-03-01", "[2024.03.01]某区2023年法治政府建设年度报告"):
        assert title_verdict(title) is True
        decision = classify(title)
        assert decision.is_annual_report and decision.report_year == 2023, decision


def test_hostile_list_pages_do_not_raise():
    hostile = [
        page(ITEM, "<div><span class='current'>²</span><a href='?page=²'>²</a><a href='?page=③'>下一页</a></div>"),
        page(ITEM, "<div class='pages'><a href='list.html?page=2'>下一页</a></div>共99999999999999999999页"),
        page(ITEM, "<script>var countPage = 999999999;</script>"),
        page(ITEM, "<script>var countPage = " + "9" * 5000 + ";</script>"),  # int() refuses > 4300 digits
        "<datastore><record><![CDATA[]]></record><record><![CDATA[<a href='http://[::1'>某县2023年法治政府建设年度报告</a>]]>"
        "</record><nextgroup><![CDATA[<a href='/module/web/jpage/dataproxy.jsp?page=1'>]]></nextgroup></datastore>"
        "totalRecord: 999999999999, perPage: 0",
    ]
    for text in hostile:
        p = parse_list_page(text, BASE + "?page=²")
        assert len(p.next_pages) <= 2000, text[:80]
    for stamp in (10**20, 2**63, float("inf"), 1e300, -5, True):
        answer = json.dumps({"total": 10**30, "articles": [{"title": "某县2023年法治政府建设年度报告", "url": "/a.html",
                                                            "first_publish_time": stamp}]})  # fmt: skip
        p = parse_list_page(answer.encode(), "https://www.gz.gov.cn/gkmlpt/api/all/1?page=1&sid=2")
        assert len(p.links) == 1 and len(p.next_pages) <= 2000


def test_a_list_nested_deeply_is_read_whole_and_one_too_deep_is_not_a_list():
    from scrapers.collect.judge import list_refusal

    item = '<ul><li><a href="/a.html">某某县2023年法治政府建设年度报告</a> 2024-03-01</li></ul>'
    page = parse_list_page(f"<html><body>{'<div>' * 260}{item}</body></html>".encode(), "http://x.gov.cn/l/")
    assert [link.url for link in page.links] == ["http://x.gov.cn/a.html"] and list_refusal(page) is None
    cut = parse_list_page(f"<html><body>{'<div>' * 2100}{item}</body></html>".encode(), "http://x.gov.cn/l/")
    assert "the parser cut the page" in list_refusal(cut)


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ("<title>访问过于频繁</title><h1>访问过于频繁，请稍后再试</h1><a href='/'>返回首页</a>", "访问过于频繁"),
        ("<h1>404 Not Found</h1>", "Not Found"),
        ("<script>var $_ts={};$_ts.cd='qEtr';</script>", "no list on the page"),
        (
            "<h2>法治政府建设年度报告</h2><ul class='list'></ul>"
            + "<p>本栏目暂无信息，主办单位：测试县人民政府办公室。</p>" * 3,
            None,
        ),
        (
            "<ul>"
            + "".join(
                f"<li><a href='/{i}.html'>测试县{y}年法治政府建设年度报告</a> {y + 1}-03-01</li>"
                for i, y in enumerate(range(2019, 2024))
            )
            + "</ul><p>页面不存在</p>",
            None,
        ),
    ],
)
def test_a_page_that_is_not_a_list_is_named(body, refused):
    from scrapers.collect.judge import list_refusal

    why = list_refusal(parse_list_page(f"<html><body>{body}</body></html>".encode(), "http://x.gov.cn/l/"))
    assert (why is None) if refused is None else (refused in why)
