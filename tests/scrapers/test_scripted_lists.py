"""Lists only scripts show, read without a browser (issue 26): each family on saved-page-shaped pages, then a farm
of such portals crawled and built for real, where a list only a browser could read is ``unknown``, never
``missing``."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from farm.scripted import (
    BROWSER_ONLY,
    COMPONENT,
    api_answer,
    build_scripted_site,
    column_page,
    crawl_and_build,
    recall,
    scripted_farm,
)
from farm.server import Farm, Resource

from scrapers import cli
from scrapers.collect.crawl import crawl_government
from scrapers.collect.discover import parse_list_page
from scrapers.landing import Landing
from scrapers.registry.governments import parse_registry
from scrapers.settings import Politeness

POLITE = Politeness(delay=0, retries=0, backoff=0, timeout=2, allow_private_hosts=True)

URL = "http://www.csx.gov.cn/zwgk/fzzfjsndbg/"
ITEMS = [
    ("./202503/t20250320_124.html", "测试县2024年法治政府建设年度报告", dt.date(2025, 3, 20)),
    ("./202502/t20250210_91.html", "测试县2024年政府信息公开工作年度报告", dt.date(2025, 2, 10)),
]
TITLES = [t for _, t, _ in ITEMS]


def read(family: str, url: str = URL, **kw):
    return parse_list_page(column_page(family, ITEMS, count=5, total=10, per_page=2, **kw).encode(), url)


# --- the families, page by page ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("family", "read_as", "page2"),
    [
        ("inline-json", "inline-json", URL + "list_2.html"),
        ("inline-vue", "inline-json", URL + "index_1.html"),
        ("commented", "commented/createPageHTML-4", URL + "index_1.html"),
        ("fragments", "reverse-fragments", URL + f"index_{COMPONENT}_4.html"),
    ],
)
def test_a_list_held_in_the_page_gives_its_links_page_2_and_the_page_count(family, read_as, page2):
    page = read(family)
    assert page.family == read_as and page.unread is None
    assert [link.title for link in page.links] == TITLES
    assert page.links[0].url == URL + "202503/t20250320_124.html" and page.links[0].date == dt.date(2025, 3, 20)
    assert page.page_count == 5 and page.next_pages[0].url == page2 and len(page.next_pages) == 4


def test_template_placeholders_are_never_links():
    page = read("inline-vue")  # its markup holds <a href="{{item.linkUrl}}">{{item.docTitle}}</a>
    assert not [link for link in page.links if "{" in link.url or "{" in link.title]
    bare = "<html><body><ul class='list'><li><a href='{{url}}'>{{title}} 法治政府建设</a></li></ul></body></html>"
    assert parse_list_page(bare, URL).links == []


@pytest.mark.parametrize(("k", "page_no", "left"), [(2, 14, [1]), (1, 15, [])])
def test_fragments_of_the_last_pages_report_the_pager_too(k, page_no, left):
    page = parse_list_page(column_page("fragments", ITEMS, page=15 - k, count=15), URL + f"index_{COMPONENT}_{k}.html")
    assert page.family == "reverse-fragments" and page.page_count == 15
    assert f"this is page {page_no} (K={k}), page 2 is K=14" in page.pager
    assert [p.url for p in page.next_pages] == [URL + f"index_{COMPONENT}_{n}.html" for n in left]


@pytest.mark.parametrize(
    ("family", "method", "stated"),
    [
        ("api-hycloud", "POST", {"channelId": "10477", "pageNo": 1, "pageSize": 2, "tenantId": "19"}),
        ("api-json", "POST", {"channelId": "fzzfjsbg", "pageNum": 1, "pageSize": 2}),
        ("api-get", "GET", {"catalogId": "215", "page": "1", "rows": "2"}),
    ],
)
def test_an_api_list_is_asked_as_the_page_states_and_its_answers_page_on(family, method, stated):
    page = read(family)
    assert page.family.startswith("api-") and page.links == [] and page.unread is None
    (first,) = page.next_pages
    assert first.method == method and urlsplit(first.url).netloc == "www.csx.gov.cn"
    sent = (
        json.loads(first.json_body)
        if first.json_body
        else dict(p.split("=") for p in urlsplit(first.url).query.split("&"))
    )
    assert stated.items() <= sent.items()
    answer = parse_list_page(api_answer(family, ITEMS, 10, 1, 2, "/zwgk/fzzfjsndbg/"), first.url, request=first)
    assert [link.title for link in answer.links] == TITLES  # <em> highlighting stripped
    assert answer.links[0].url == URL + "202503/t20250320_124.html" and answer.links[0].date == dt.date(2025, 3, 20)
    assert answer.page_count == 5 and len(answer.next_pages) == 4
    page2 = answer.next_pages[0]
    moved = (
        json.loads(page2.json_body)
        if page2.json_body
        else dict(p.split("=") for p in urlsplit(page2.url).query.split("&"))
    )
    assert str(moved.get("pageNo") or moved.get("pageNum") or moved.get("page")) == "2"
    # page 2's answer is not a first page: it plans nothing more
    again = parse_list_page(api_answer(family, ITEMS, 10, 2, 2, "/zwgk/fzzfjsndbg/"), page2.url, request=page2)
    assert again.links and again.next_pages == []


def test_hanweb_jpage_without_embedded_records_posts_the_pages_column_parameters():
    page = read("api-hanweb")
    (first,) = page.next_pages
    assert first.method == "POST" and first.url.endswith(
        "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=6&perpage=2"
    )
    assert {"columnid": COMPONENT, "unitid": "48811", "webid": "3"}.items() <= dict(first.data).items()
    recs = "".join(f'<record><![CDATA[<li><a href="{h}">{t}</a><span>{d}</span></li>]]></record>' for h, t, d in ITEMS)
    xml = f"<?xml version='1.0'?><datastore><totalrecord>10</totalrecord>{recs}</datastore>"
    answer = parse_list_page(xml, first.url, "text/xml", base=first.base, request=first)
    assert answer.links[0].url == URL + "202503/t20250320_124.html"  # relative to the column page, not dataproxy
    assert answer.page_count == 5 and [p.url.split("?")[1] for p in answer.next_pages] == [
        "startrecord=7&endrecord=12&perpage=2"
    ]


def test_a_request_the_page_does_not_state_in_full_is_never_guessed():
    page = read(BROWSER_ONLY)
    assert page.next_pages == [] and page.links == []
    assert "needs a browser" in page.unread and "run time" in page.unread
    no_size = column_page("api-json", ITEMS, per_page=2).replace(", pageSize: pageSize", "")
    page = parse_list_page(no_size, URL)
    assert page.next_pages == [] and "page size not stated" in page.pager and page.unread


@pytest.mark.parametrize(
    ("markup", "why"),
    [
        ("<script>var $_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=123;</script>", "JS challenge"),
        (
            "<script>document.cookie='__jsl_clearance=1;max-age=3600';location.href=location.pathname</script>",
            "challenge",
        ),
        ("<ul class='list' id='news'></ul><script>render('#news')</script>", "empty list container"),
        ("<script type='text/x-handlebars-template'>{{#each list}}<li>{{title}}</li>{{/each}}</script>", "template"),
        ("<div id='x'></div><script>createPageHTML(1, 0, 'index', 'html')</script>", "pager script"),
    ],
)
def test_a_page_that_clearly_holds_a_list_but_gave_none_is_an_unread_list(markup, why):
    page = parse_list_page(f"<html><body><h2>法治政府建设</h2>{markup}</body></html>", URL)
    assert page.links == [] and why in page.unread


def test_a_list_that_says_it_is_empty_is_read_not_failed():
    empty = "<html><body><ul class='list'></ul><p>暂无信息</p><script>createPageHTML(1, 0, 'index', 'html')</script>"
    page = parse_list_page(empty, URL)
    assert page.links == [] and page.unread is None


# --- end to end: a farm of such portals, crawled and built ----------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    farm = Farm()
    govs = scripted_farm(farm)
    tmp = tmp_path_factory.mktemp("scripted")
    with farm:
        result = crawl_and_build(farm, govs, tmp, today="2025-06-30")
        result["log"] = list(farm.log)
        result["links"] = {g.id: _links_json(farm.url(g.host, g.list_path)) for g in govs}
        farm.reset_log()
        again = ["crawl", "--registry", str(tmp / "registry.yaml"), "--data-dir", str(result["data"]),
                 "--allow-private-hosts", "--delay", "0", "--no-progress"]  # fmt: skip
        assert cli.main(again) == 0
        result["rerun_log"] = list(farm.log)
    return {"farm": farm, "govs": govs, **result}


def _links_json(url: str) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["links", url, "--allow-private-hosts", "--json"])
    assert code == 0
    return json.loads(out.getvalue())


@pytest.mark.integration
def test_every_scripted_family_is_crawled_to_full_recall(world):
    assert world["crawl_code"] == 0 and world["build_code"] == 0
    readable = [g for g in world["govs"] if g.family != BROWSER_ONLY]
    precision, got, landed, expected = recall(world, readable)
    assert (precision, got) == (1.0, 1.0), (landed, expected)
    look_alikes = {(g.id, p) for g in world["govs"] for p in g.look_alikes}
    assert not {(r["government_id"], urlsplit(r["url"]).path) for r in world["reports"]} & look_alikes
    asked = {(r.host, r.path.split("?")[0], r.method, f"{r.path} {r.body}") for r in world["log"]}
    # page 2 of each family was asked for, as its pager says
    by_family = {g.family: g for g in readable}
    page2 = {
        "inline-json": "/s0/list_2.html",
        "inline-vue": "/s1/index_1.html",
        "commented": "/s2/index_1.html",
        "fragments": f"/s3/index_{COMPONENT}_3.html",
    }
    for family, path in page2.items():
        assert any(h == by_family[family].host and p == path for h, p, _m, _b in asked), family
    assert any(p == "/irs/front/list" and m == "POST" and '"pageNo": 2' in b for _h, p, m, b in asked)
    assert any(p == "/api/cms/channel/articles" and '"pageNum": 2' in b for _h, p, _m, b in asked)
    assert any(p == "/common/search/docs" and "page=2" in b for _h, p, _m, b in asked)
    assert any(p == "/module/web/jpage/dataproxy.jsp" and "startrecord=7" in b for _h, p, _m, b in asked)
    assert not [r for r in world["log"] if "{" in r.path or "%7B" in r.path]  # no template placeholder fetched


@pytest.mark.integration
def test_no_readable_scripted_portal_has_a_false_missing_year(world):
    for gov in world["govs"]:
        if gov.family == BROWSER_ONLY:
            continue
        statuses = {y: s for (g, y), (s, _r) in world["coverage"].items() if g == gov.id}
        assert {statuses[y] for y in range(2019, 2025)} == {"on_time"}, (gov.family, statuses)


@pytest.mark.integration
def test_a_list_only_a_browser_could_read_is_unknown_with_the_reason_not_missing(world):
    gov = next(g for g in world["govs"] if g.family == BROWSER_ONLY)
    (row,) = [r for r in world["crawl_log"] if r["government_id"] == gov.id]
    assert row["status"] == "failed" and "needs a browser" in row["error"]
    years = {y: sr for (g, y), sr in world["coverage"].items() if g == gov.id and y < 2025}
    assert years and all(status == "unknown" and reason for status, reason in years.values()), years


@pytest.mark.integration
def test_a_rerun_asks_the_api_again_and_an_unread_list_stays_a_failed_read(world):
    """The shell page of an API list never changes, so its 304 must not end the source; an unread list's page is
    asked again in full (no validators kept), so a 304 cannot pass for a read."""
    first_run = {r["run_id"] for r in world["crawl_log"]}
    rows = [r for r in Landing(world["data"]).read_rows("crawl_log") if r["run_id"] not in first_run]
    by_gov = {r["government_id"]: r for r in rows}
    assert len(by_gov) == len(world["govs"])
    assert by_gov["s8"]["status"] == "failed" and "needs a browser" in by_gov["s8"]["error"]
    assert all(by_gov[g.id]["status"] == "ok" for g in world["govs"] if g.family != BROWSER_ONLY)
    asked = {(r.path.split("?")[0], r.method) for r in world["rerun_log"]}
    for path in ("/irs/front/list", "/api/cms/channel/articles", "/module/web/jpage/dataproxy.jsp"):
        assert (path, "POST") in asked, path
    assert ("/common/search/docs", "GET") in asked
    s8 = [r for r in world["rerun_log"] if r.path == "/s8/"]
    assert s8 and not any("if-none-match" in r.headers for r in s8)


@pytest.mark.integration
def test_fzzf_links_says_how_each_list_was_read(world):
    says = {
        "inline-json": ("inline-json", "inline JSON `articleList`"),
        "inline-vue": ("inline-json", "inline JSON `data`"),
        "commented": ("commented/createPageHTML-4", "HTML comment"),
        "fragments": ("reverse-fragments", "newest K=4"),
        "api-hanweb": ("api-hanweb-jpage", "columnid=7713"),
        "api-hycloud": ("api-trs-hycloud", "channelId=10477"),
        "api-json": ("api-json", "channelId=fzzfjsbg"),
        "api-get": ("api-json", "catalogId=215"),
        BROWSER_ONLY: ("api-json", "run time"),
    }
    for gov in world["govs"]:
        result = world["links"][gov.id]
        family, words = says[gov.family]
        assert result["family"] == family and words in result["pager"], (gov.family, result["pager"])
        if gov.family != BROWSER_ONLY:  # an API list's first answer is read too: document links, page count
            per_answer = 6 if gov.family == "api-hanweb" else 2  # jpage asks for three pages of records at once
            assert len(result["links"]) == per_answer and result["page_count"] == 4 and result["next_pages"], gov.family
    assert world["links"]["s8"]["unread"] and "needs a browser" in world["links"]["s8"]["unread"]


SIDEBAR = (
    "<div class='left-menu'><a href='/zwgk/fzzfjs/'>法治政府建设专栏</a><a href='/zwgk/zcwj/'>政策文件汇编</a></div>"
)


def test_a_sidebars_undated_links_do_not_hide_a_scripted_list_or_its_failed_read():
    inline = column_page("inline-json", ITEMS, count=5, per_page=2).replace("<h2 class", SIDEBAR + "<h2 class")
    page = parse_list_page(inline, URL)
    assert page.family == "inline-json" and [link.title for link in page.links] == TITLES
    browser = column_page(BROWSER_ONLY, ITEMS).replace("<h2 class", SIDEBAR + "<h2 class")
    page = parse_list_page(browser, URL)
    assert page.links and "needs a browser" in page.unread  # two sidebar links, no list: still a failed read


def test_a_menus_data_array_does_not_replace_an_undated_list():
    undated = "".join(f"<li><a href='{h}'>{t}</a></li>" for h, t, _ in ITEMS)
    menu = "<script>var menus = [{name: '政府信息公开专栏', url: '/xxgk/'}, {name: '法治政府建设专栏', url: '/fz/'}];</script>"
    page = parse_list_page(f"<html><body><ul class='list'>{undated}</ul>{menu}</body></html>", URL)
    assert [link.title for link in page.links] == TITLES and page.unread is None


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (Resource(b'{"code": 500, "msg": "busy"}', content_type="application/json"), "holds no list"),
        (Resource(b"<html>error</html>", status=404), "HTTP 404"),
    ],
)
def test_an_api_that_gives_no_list_fails_the_source_so_no_year_is_missing(tmp_path, answer, says):
    farm = Farm()
    gov = build_scripted_site(farm, "a1", "接口县", "127.0.127.9", "api-json")
    farm.add("127.0.127.9", "/api/cms/channel/articles", answer)
    with farm:
        (government,) = parse_registry({"governments": [gov.registry_entry(farm)]}, "farm.yaml")
        result = crawl_government(government, tmp_path, POLITE)
    (source,) = result.sources
    assert result.status == "failed" and source.status == "failed"
    assert says in source.error and source.errors == 2  # the lost page, then "no list item read"
