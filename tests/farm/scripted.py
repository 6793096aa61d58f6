"""Portal-farm columns whose lists only scripts show (issue 26), modelled on TRS, Hanweb and n/c-id component CMS
markup: inline JSON rendered by a template, a list in an HTML comment, reverse-numbered fragments, lists from an API
the page states (Hanweb jpage, TRS 海云 search, a JSON POST with a channel id, a GET with a channel id), and one
list only a browser could read (its request is built at run time).

``column_page(family, items, ...)`` renders one list page as saved from such a portal (unit tests read these);
``build_scripted_site`` puts a whole government's column and its report pages on a Farm, with the ground truth.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from urllib.parse import parse_qs, urlsplit

from scrapers.demo.pages import render_report_page

from .server import Farm, Resource
from .sites import FarmGov, report_paragraphs

SCRIPTED = ("inline-json", "inline-vue", "commented", "fragments", "api-hanweb", "api-hycloud", "api-json", "api-get")
BROWSER_ONLY = "browser-only"
COMPONENT = "7713"  # the n/c-id CMS's list component id

Item = tuple[str, str, dt.date]  # (href relative to the column, title, date)


def _shell(title: str, main: str, scripts: str = "", head: str = "") -> str:
    """A column page's chrome around ``main``: header nav, breadcrumb, footer, as these CMSs render them."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="SiteName" content="测试县人民政府">'
        f'<meta name="ColumnName" content="{title}"><title>{title}_测试县人民政府</title>{head}</head><body>'
        '<div class="header"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/hdjl/">互动交流</a></div>'
        f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="./">{title}</a></div>'
        f'<div class="main-content"><h2 class="column-title">{title}</h2>{main}</div>'
        '<div class="footer">主办单位：测试县人民政府办公室 网站标识码：1234560001 ICP备00000000号</div>'
        f"{scripts}</body></html>"
    )


def _records(items: list[Item], url_key="url", title_key="title", date_key="pubDate") -> list[dict]:
    return [{title_key: t, url_key: h, date_key: d.isoformat(), "source": "测试县司法局"} for h, t, d in items]


def column_page(family: str, items: list[Item], *, page: int = 0, count: int = 1, total: int = 0,
                per_page: int = 4, api: str = "") -> str:  # fmt: skip
    """One list page of ``family`` (page 0 = the newest) holding ``items``; ``count`` pages, ``total`` records."""
    title = "法治政府建设年度报告"
    if family == "inline-json":
        # TRS 海云-style: a handlebars template and the page's own items as an inline JSON array
        data = json.dumps(_records(items), ensure_ascii=False)
        template = (
            '<script id="list-tpl" type="text/x-handlebars-template">{{#each articleList}}<li>'
            '<a href="{{url}}" target="_blank" title="{{title}}">{{title}}</a><span>{{pubDate}}</span></li>{{/each}}'
            "</script>"
        )
        main = f'<ul class="list" id="articleList"></ul><div class="page" id="pageBar"></div>{template}'
        scripts = (
            f"<script>var articleList = {data};\n"
            "var html = Handlebars.compile($('#list-tpl').html())({articleList: articleList});\n"
            "$('#articleList').html(html);\n"
            f"loadPageData({{pageCount: {count}, currentPage: {page + 1}, pageUrl: 'list_{{page}}.html', "
            f"pageSize: {per_page}}});</script>"
        )
        return _shell(title, main, scripts)
    if family == "inline-vue":
        # a Vue list (v-for over `var data = [...]`) with a TRS-numbered loadPageData pager
        data = json.dumps(_records(items, "linkUrl", "docTitle", "docRelTime"), ensure_ascii=False)
        main = (
            '<div id="app"><ul class="news-list"><li v-for="item in list"><a :href="item.linkUrl" href="{{item.linkUrl}}">'
            '{{item.docTitle}}</a><span>{{item.docRelTime}}</span></li></ul><div id="pager"></div></div>'
        )
        scripts = (
            f"<script>\nvar data = {data};\nnew Vue({{el: '#app', data: {{list: data}}}});\n"
            f'loadPageData({count}, {page}, "index", "html");\n</script>'
        )
        return _shell(title, main, scripts)
    if family == "commented":
        lis = "".join(
            f'<li><a href="{html.escape(h)}" title="{html.escape(t)}">{html.escape(t)}</a><span>{d}</span></li>'
            for h, t, d in items
        )
        main = (
            f'<div id="listWrap"><!--<ul class="list">{lis}</ul>\n'
            f'<div id="page_div"></div><script>createPageHTML({count}, {page}, "index", "html");</script>--></div>'
        )
        scripts = (
            "<script>var box = document.getElementById('listWrap');\n"
            "box.innerHTML = box.innerHTML.replace('<!--', '').replace('-->', '');</script>"
        )
        return _shell(title, main, scripts)
    if family == "fragments":
        lis = "".join(
            f'<li><span class="date">{d}</span><a href="{html.escape(h)}" target="_blank">{html.escape(t)}</a></li>'
            for h, t, d in items
        )
        # the pager's anchors are hidden and ascending; a script shows them newest first
        anchors = "".join(f'<a href="index_{COMPONENT}_{k}.html">{k}</a>' for k in range(1, count + 1))
        main = (
            f'<div class="list_{COMPONENT}"><ul>{lis}</ul></div>'
            f'<div id="pagerAnchors" style="display:none">{anchors}</div><div id="pageNav"></div>'
        )
        scripts = f"<script>showPager('pagerAnchors', 'pageNav', {count - page}, 'desc');</script>"
        return _shell(title, main, scripts)
    if family == "api-hanweb":
        main = f'<div id="{COMPONENT}"></div>'
        scripts = (
            '<script src="/module/jslib/jquery/jpage/jquery.jpage.js"></script><script>\n'
            f"$('#{COMPONENT}').jpage({{\n  proxyUrl: '/module/web/jpage/dataproxy.jsp',\n  perPage: {per_page},\n"
            "  dataBefore: '<ul class=\"list\">', dataAfter: '</ul>',\n"
            f"  ajaxParam: {{col: 1, appid: 1, webid: 3, path: '/', columnid: {COMPONENT}, sourceContentType: 1, "
            "unitid: 48811, webname: '测试县人民政府', permissiontype: 0}\n});\n</script>"
        )
        return _shell(title, main, scripts)
    if family == "api-hycloud":
        main = '<ul class="list" id="searchList"></ul><div id="pagination"></div>'
        scripts = (
            "<script>\nvar searchParams = {tenantId: '19', searchWord: '', channelId: '10477', "
            f"pageNo: 1, pageSize: {per_page}, sorts: [{{sortField: 'publish_time', sortOrder: 'DESC'}}]}};\n"
            "function load() {\n  $.ajax({url: '/irs/front/list', type: 'POST', contentType: 'application/json', "
            "data: JSON.stringify(searchParams), success: render});\n}\nload();\n</script>"
        )
        return _shell(title, main, scripts)
    if family == "api-json":
        main = '<div class="article-list" id="list"></div><div class="page-box"></div>'
        scripts = (
            "<script>\nvar channelId = 'fzzfjsbg';\nvar pageSize = " + str(per_page) + ";\n"
            "axios.post('/api/cms/channel/articles', {channelId: channelId, pageNum: 1, pageSize: pageSize})"
            ".then(function (res) { render(res.data); });\n</script>"
        )
        return _shell(title, main, scripts)
    if family == "api-get":
        main = '<ul class="list" id="docs"></ul>'
        scripts = (
            "<script>\n$.ajax({url: '/common/search/docs', type: 'GET', "
            f"data: {{catalogId: 215, page: 1, rows: {per_page}}}, success: function (r) {{ draw(r); }}}});\n</script>"
        )
        return _shell(title, main, scripts)
    if family == BROWSER_ONLY:
        # the channel id is read from the URL at run time: no request the page states in full
        main = '<ul class="list" id="docs"></ul><script id="tpl" type="text/x-template"><li>{{title}}</li></script>'
        scripts = (
            "<script>\nvar params = {channelId: getQueryString('cid'), pageNo: 1, pageSize: 15};\n"
            "$.ajax({url: '/api/list', type: 'POST', data: params, success: draw});\n</script>"
        )
        return _shell(title, main, scripts)
    raise ValueError(family)


def api_answer(family: str, items: list[Item], total: int, page_no: int, per_page: int, base_path: str) -> bytes:
    """The API's answer for one page of records (links absolute paths, as these APIs give them)."""
    rows = [(base_path + h[2:] if h.startswith("./") else h, t, d) for h, t, d in items]
    if family == "api-hycloud":
        recs = [{"title": f"<em>{t}</em>", "url": h, "time": f"{d} 09:00:00"} for h, t, d in rows]
        pages = -(-total // per_page)
        body = {"code": 200, "data": {"middle": {"list": recs}, "pager": {"pageNo": page_no, "pageCount": pages,
                "total": total, "pageSize": per_page}}}  # fmt: skip
    elif family == "api-json":
        recs = [
            {"articleTitle": t, "linkUrl": h, "publishDate": d.isoformat(), "id": i} for i, (h, t, d) in enumerate(rows)
        ]
        body = {"success": True, "result": {"records": recs, "total": total, "current": page_no, "size": per_page}}
    else:  # api-get
        recs = [{"name": t, "path": h, "date": d.isoformat()} for h, t, d in rows]
        body = {"rows": recs, "records": total}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def build_scripted_site(farm: Farm, gov_id: str, name: str, host: str, family: str, years=range(2019, 2025),
                        *, per_page: int = 2, k: int = 0) -> FarmGov:  # fmt: skip
    """One government's column in ``family``: one report per year (newest first), a look-alike, ``per_page`` items a
    page. Report pages are plain TRS pages; only the list needs the family's reader."""
    root = f"/{gov_id}/"
    gov = FarmGov(gov_id, name, host, root, family)
    items: list[Item] = []
    for year in sorted(years, reverse=True):
        path = f"{root}{year + 1}03/t{year + 1}0320_{k}{year % 100}.html"
        title = f"{name}{year}年法治政府建设年度报告"
        date = dt.date(year + 1, 3, 20)
        body = render_report_page("trs", title=title, paragraphs=report_paragraphs(name, year, k + year), publish_date=date,
                                  source=f"{name}司法局", site_name=f"{name}人民政府", related=[])  # fmt: skip
        farm.add(host, path, Resource(body))
        gov.expected[path] = year
        items.append(("./" + path[len(root) :], title, date))
        if year == max(years):
            alike = f"{root}{year + 1}02/t{year + 1}0210_9{k}.html"
            alike_title = f"{name}{year}年政府信息公开工作年度报告"
            farm.add(host, alike, Resource(render_report_page("trs", title=alike_title, paragraphs=["政府信息公开。"] * 3,
                     publish_date=dt.date(year + 1, 2, 10), source=name, site_name=name, related=[])))  # fmt: skip
            gov.look_alikes.append(alike)
            items.append(("./" + alike[len(root) :], alike_title, dt.date(year + 1, 2, 10)))
    items.sort(key=lambda i: i[2], reverse=True)
    pages = [items[i : i + per_page] for i in range(0, len(items), per_page)]
    count, total = len(pages), len(items)

    def add(path: str, text: str) -> None:
        farm.add(host, path, Resource(text.encode("utf-8")))

    if family in ("inline-json", "inline-vue", "commented", "fragments"):
        for i, chunk in enumerate(pages):
            text = column_page(family, chunk, page=i, count=count, total=total, per_page=per_page)
            if i == 0:
                add(root, text)
                add(root + "index.html", text)
            if family == "inline-json" and i:
                add(f"{root}list_{i + 1}.html", text)
            elif family in ("inline-vue", "commented") and i:
                add(f"{root}index_{i}.html", text)
            elif family == "fragments":
                add(f"{root}index_{COMPONENT}_{count - i}.html", text)
        return gov
    add(root, column_page(family, [], per_page=per_page))
    if family == BROWSER_ONLY:
        return gov
    _add_api(farm, host, family, pages, total, per_page, root)
    return gov


def _add_api(farm: Farm, host: str, family: str, pages: list[list[Item]], total: int, per_page: int, root: str):
    flat = [i for p in pages for i in p]

    def answer(request) -> Resource:
        if family == "api-hanweb":
            q = parse_qs(urlsplit(request.path).query)
            if request.method != "POST" or request.form.get("columnid") != COMPONENT:
                return Resource(b"<datastore><totalrecord>0</totalrecord></datastore>", content_type="text/xml")
            start, end = int(q["startrecord"][0]), int(q["endrecord"][0])
            recs = "".join(
                f'<record><![CDATA[<li><a href="{root}{h[2:]}" title="{t}" target="_blank">{t}</a><span>{d}</span></li>]]>'
                "</record>"
                for h, t, d in flat[start - 1 : end]
            )
            xml = (
                f"<?xml version='1.0' encoding='UTF-8'?><datastore><totalrecord>{total}</totalrecord>{recs}</datastore>"
            )
            return Resource(xml.encode("utf-8"), content_type="text/xml;charset=UTF-8", validators=False)
        if family == "api-get":
            q = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
            ok = request.method == "GET" and q.get("catalogId") == "215" and q.get("rows") == str(per_page)
            n = int(q.get("page", "1"))
        else:
            try:
                body = json.loads(request.body or "{}")
            except ValueError:
                body = {}
            channel = {"api-hycloud": ("channelId", "10477"), "api-json": ("channelId", "fzzfjsbg")}[family]
            ok = request.method == "POST" and body.get(channel[0]) == channel[1] and body.get("pageSize") == per_page
            n = int(body.get("pageNo") or body.get("pageNum") or 1)
        if not ok:
            return Resource(b'{"code": 400, "msg": "bad request"}', status=400, content_type="application/json")
        chunk = pages[n - 1] if 0 < n <= len(pages) else []
        return Resource(api_answer(family, chunk, total, n, per_page, root), content_type="application/json",
                        validators=False)  # fmt: skip

    path = {"api-hanweb": "/module/web/jpage/dataproxy.jsp", "api-hycloud": "/irs/front/list",
            "api-json": "/api/cms/channel/articles", "api-get": "/common/search/docs"}[family]  # fmt: skip
    farm.add(host, path, answer)


# --- a farm of such portals, crawled and built -------------------------------------------------------------------
HOSTS = tuple(f"127.0.127.{i}" for i in range(1, 4))


def scripted_farm(farm: Farm) -> list[FarmGov]:
    """One government per scripted family and one whose list only a browser could read, on three loopback hosts."""
    govs = [
        build_scripted_site(farm, f"s{k}", f"脚本{k}县", HOSTS[k % len(HOSTS)], family, k=k)
        for k, family in enumerate((*SCRIPTED, BROWSER_ONLY))
    ]
    for host in HOSTS:
        farm.add(host, "/robots.txt", Resource(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    return govs


def crawl_and_build(farm: Farm, govs: list[FarmGov], tmp, today: str) -> dict:
    """``fzzf crawl`` then ``fzzf build`` (as of ``today``) over ``govs``: the landed reports, the coverage statuses
    per government and year, and the crawl log, read back from the data directory."""
    import os

    import duckdb
    import yaml

    from scrapers import cli
    from scrapers.landing import Landing

    data = tmp / "data"
    registry = tmp / "registry.yaml"
    entries = [{**g.registry_entry(farm), "reports_from": 2019} for g in govs]
    registry.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
    env = {"FZZF_TODAY": today, "FZZF_RETRIES": "1", "FZZF_BACKOFF": "0"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        crawled = cli.main(["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts",
                            "--delay", "0", "--no-progress"])  # fmt: skip
        built = cli.main(["build", "--data-dir", str(data), "--no-alerts"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    landing = Landing(data)
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        coverage = con.execute(
            "select government_id, report_year, status, status_reason from marts.report_coverage"
        ).fetchall()
    finally:
        con.close()
    return {
        "crawl_code": crawled,
        "build_code": built,
        "reports": landing.read_rows("reports"),
        "crawl_log": landing.read_rows("crawl_log"),
        "coverage": {(g, y): (s, r) for g, y, s, r in coverage},
        "data": data,
    }


def recall(result: dict, govs: list[FarmGov]) -> tuple[float, float, int, int]:
    """(precision, recall, landed, expected) of report URLs over ``govs``."""
    got = {(r["government_id"], urlsplit(r["url"]).path) for r in result["reports"]}
    expected = {(g.id, p) for g in govs for p in g.expected}
    hits = len(got & expected)
    return (hits / len(got) if got else 1.0), hits / len(expected), len(got), len(expected)
