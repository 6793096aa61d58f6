"""Page generators for the portal farm: list pages in every pagination family, report pages in several CMS
families, look-alikes, year-less titles, reposted duplicates, robots.txt rules, slow and failing pages.

``build_site(...)`` adds one government's column to a Farm and returns a ``FarmGov`` that knows the ground truth
(which URLs are annual reports, for which year), so tests can score precision and recall exactly.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field

from scrapers.demo.pages import render_report_page
from scrapers.demo.seeds import load_seeds

from .server import Farm, Resource

PAGINATION = ("trs4", "trs6", "countpage", "hanweb", "query", "pagenum", "nextlink", "gkmlpt")
_SEEDS = load_seeds()


def report_paragraphs(name: str, year: int, k: int, size: int = 14) -> list[str]:
    """A report body unique to (name, year): an opening naming both, seed paragraphs, a closing and a signature."""
    seed = _SEEDS[k % len(_SEEDS)]
    middle = [p for p in seed.paragraphs[1:] if "20" not in p[:6]][: size - 4]
    return [
        f"{year}年，{name}坚持以习近平法治思想为指导，全面推进依法行政。现将{name}{year}年度法治政府建设情况报告如下：",
        *middle,
        f"{year + 1}年，{name}将继续深入推进法治政府建设，为经济社会发展提供有力法治保障。特此报告。",
        name,
        f"{year + 1}年3月{10 + k % 18}日",
    ]


NEWS = [
    "近日，区司法局组织召开法治政府建设工作推进会，通报了上半年工作进展情况。",
    "会议要求各部门提高认识，压实责任，确保各项任务按期完成。",
    "与会人员围绕行政执法规范化建设进行了交流发言。",
]


@dataclass
class FarmGov:
    id: str
    name: str
    host: str
    list_path: str
    family: str
    expected: dict[str, int] = field(default_factory=dict)  # report URL path -> report year
    look_alikes: list[str] = field(default_factory=list)  # URL paths that must never land as reports
    unreachable: list[str] = field(default_factory=list)  # report paths a polite crawler cannot get (robots, slow)
    extra_hosts: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # paths of the pages listing its reports (portal sites)

    def registry_entry(self, farm: Farm) -> dict:
        entry = {
            "id": self.id,
            "name": self.name,
            "level": "county",
            "province": "测试省",
            "list_urls": [farm.url(self.host, self.list_path)],
        }
        if self.extra_hosts:
            entry["extra_hosts"] = self.extra_hosts
        return entry


def _list_html(
    title: str, items: list[tuple[str, str, dt.date]], pager: str, charset: str = "utf-8", base: str = ""
) -> str:
    lis = "\n".join(
        f'<li><a href="{html.escape(href)}" title="{html.escape(t)}" target="_blank">{html.escape(t)}</a>'
        f'<span class="date">{d.isoformat()}</span></li>'
        for href, t, d in items
    )
    base_tag = f'<base href="{base}">' if base else ""
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}">{base_tag}<title>{title}</title></head><body>'
        '<div class="header"><a href="/">首页</a><a href="/zwgk/">政务公开</a>'
        '<a href="/zwgk/xxgknb/">政府信息公开工作年度报告专栏</a></div>'
        f'<div class="main"><h2>{title}</h2><ul class="list">\n{lis}\n</ul>{pager}</div>'
        '<div class="footer"><a href="http://www.gov.cn/">中国政府网</a> 主办单位：测试县人民政府 ICP备00000000号</div>'
        "</body></html>"
    )


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def build_site(
    farm: Farm,
    gov_id: str,
    name: str,
    host: str,
    family: str,
    years: range = range(2020, 2025),
    *,
    per_page: int = 4,
    look_alikes: bool = True,
    quirks: bool = True,
    body_size: int = 14,
    k: int = 0,
    repost_from: str | None = None,
    root: str | None = None,
) -> FarmGov:
    """One government's column on ``host`` in pagination ``family``; newest items first, as portals list them."""
    root = root or f"/{gov_id}/"
    report_family = ("trs", "table_gbk", "hanweb", "xxgk", "responsive")[k % 5]
    gov = FarmGov(gov_id, name, host, f"{root}gkmlpt/index#{300 + k}" if family == "gkmlpt" else root, family)
    entries: list[tuple[str, str, dt.date, Resource | None]] = []  # (path, title, date, resource)

    def page(path: str, title: str, year: int, paragraphs: list[str], date: dt.date | None = None, fam=None) -> None:
        date = date or dt.date(year + 1, 3, 20 + k % 8)
        body = render_report_page(
            fam or report_family, title=title, paragraphs=paragraphs, publish_date=date, source=f"{name}司法局",
            site_name=f"{name}人民政府", related=[],
        )  # fmt: skip
        enc = "gb18030" if (fam or report_family) == "table_gbk" else "utf-8"
        ctype = "text/html" if enc != "utf-8" else "text/html; charset=utf-8"
        entries.append((path, title, date, Resource(body, content_type=ctype)))

    for year in sorted(years, reverse=True):
        path = f"{root}{year + 1}03/t{year + 1}0320_{k}{year % 100}.html"
        # Titles vary as on real portals: year first, issuer first, no year at all.
        title = (
            f"{name}{year}年法治政府建设年度报告",
            f"{year}年度{name}法治政府建设情况报告",
            f"{name}人民政府关于法治政府建设情况的报告",
        )[(year + k) % 3]
        page(path, title, year, report_paragraphs(name, year, k + year, body_size))
        gov.expected[path] = year
    if look_alikes:
        y = max(years)
        for j, title in enumerate(
            [
                f"{name}{y}年政府信息公开工作年度报告",
                f"{name}{y + 1}年法治政府建设工作要点",
                f"{name}法治政府建设实施方案",
                f"图解：{name}{y}年法治政府建设年度报告",
                f"{name}召开会议审议{y}年法治政府建设情况报告",
                f"{name}2021—2025年法治政府建设五年工作总结",
            ]
        ):
            path = f"{root}{y + 1}02/t{y + 1}0210_9{j}.html"
            page(path, title, y, NEWS)
            gov.look_alikes.append(path)
        # An ambiguous title the body has to settle: this one is news, not a report.
        path = f"{root}{y + 1}01/t{y + 1}0115_80.html"
        page(path, f"{name}法治政府建设工作推进情况", y, NEWS * 3)
        gov.look_alikes.append(path)
    if quirks:
        y = min(years)
        first = next(p for p, yr in gov.expected.items() if yr == y)
        # The same report reposted under another column: same text, second URL.
        dup = f"{root}repost/t{y + 1}0401_{k}.html"
        page(dup, f"转：{name}{y}年法治政府建设年度报告", y, [], date=dt.date(y + 1, 1, 5))
        entries[-1] = (dup, f"{name}{y}年度法治政府建设情况报告（转发）", entries[-1][2], farm_copy(entries, first))
        gov.look_alikes.append(dup)
        # robots.txt forbids /private/: a polite crawler never asks.
        private = f"/private/{gov_id}/t_{k}.html"
        page(private, f"{name}{y}年法治政府建设年度报告（内部）", y, report_paragraphs(name, y, 99, body_size))
        gov.unreachable.append(private)
        # A page slower than any sane timeout (on the first government only: each costs a timeout per attempt).
        if k == 0:
            slow = f"{root}slow/t_{k}.html"
            page(slow, f"{name}{y - 1}年法治政府建设年度报告", y - 1, report_paragraphs(name, y - 1, k, body_size))
            entries[-1][3].delay = 4.0
            gov.unreachable.append(slow)
        # A page that always fails.
        broken = f"{root}broken/t_{k}.html"
        page(broken, f"{name}{y - 2}年法治政府建设年度报告", y - 2, report_paragraphs(name, y - 2, k, body_size))
        entries[-1] = (broken, entries[-1][1], entries[-1][2], Resource(b"oops", status=500))
        gov.unreachable.append(broken)
        # A flaky page: 503 once, then fine; retries get it.
        flaky = f"{root}flaky/t_{k}.html"
        page(flaky, f"{name}{y - 3}年法治政府建设年度报告", y - 3, report_paragraphs(name, y - 3, k + 7, body_size))
        entries[-1][3].fail_first = 1
        gov.expected[flaky] = y - 3
        # A report link that redirects (same site) to where the page now lives.
        moved = f"{root}moved/t_{k}.html"
        page(
            moved + ".new",
            f"{name}{y - 4}年法治政府建设年度报告",
            y - 4,
            report_paragraphs(name, y - 4, k + 3, body_size),
        )
        entries[-1] = (moved, entries[-1][1], entries[-1][2], entries[-1][3])
        farm.add(host, moved, Resource(b"", status=302, headers={"Location": moved + ".new"}, validators=False))
        farm.add(host, moved + ".new", entries[-1][3])
        gov.expected[moved + ".new"] = y - 4
    if repost_from:
        # Another government's report reposted here, signed by that government: not this unit's report.
        y = max(years)
        path = f"{root}{y + 1}04/t{y + 1}0402_77.html"
        page(path, f"{repost_from}{y}年法治政府建设年度报告", y, report_paragraphs(repost_from, y, k + 5, body_size))
        gov.look_alikes.append(path)
    for path, _t, _d, res in entries:
        if res is not None and path not in farm.sites.get(host, {}):
            farm.add(host, path, res)
    items = [(p, t, d) for p, t, d, _r in sorted(entries, key=lambda e: e[2], reverse=True)]
    _add_list_pages(farm, host, root, family, items, per_page, name, k)
    return gov


def farm_copy(entries, path: str) -> Resource:
    for p, _t, _d, res in entries:
        if p == path:
            return Resource(res.body, content_type=res.content_type)
    raise KeyError(path)


def _add_list_pages(farm: Farm, host: str, root: str, family: str, items, per_page: int, name: str, k: int) -> None:
    title = f"{name}法治政府建设年度报告"
    pages = _chunks(items, per_page)
    count = len(pages)

    def rel(path: str) -> str:
        # Items link relative to the column directory, as TRS pages do ("./202403/t….html").
        return "./" + path[len(root) :] if path.startswith(root) else path

    def add(path: str, body: str, charset: str = "utf-8") -> None:
        ctype = "text/html" if charset != "utf-8" else "text/html; charset=utf-8"
        farm.add(host, path, Resource(body.encode("gb18030" if charset != "utf-8" else "utf-8"), content_type=ctype))

    if family == "hanweb":
        _hanweb(farm, host, root, [(rel(p), t, d) for p, t, d in items], per_page, title, k)
        return
    if family == "gkmlpt":
        _gkmlpt(farm, host, root, items, per_page, title, k)
        return
    for i, chunk in enumerate(pages):
        rows = [(rel(p), t, d) for p, t, d in chunk]
        if family in ("trs4", "trs6", "countpage"):
            ext = "shtml" if family == "trs6" else "html"
            script = {
                "trs4": f'createPageHTML({count}, {i}, "index", "{ext}");',
                "trs6": f"createPageHTML('page_div',{count},{i},'index','{ext}',{len(items)});",
                "countpage": f"var countPage = {count}//共多少页\nvar currentPage = {i};\n"
                'var prefixName = "index";\nvar suffixName = "html";\ndocument.write(pager(countPage));',
            }[family]
            charset = "gb2312" if k % 2 else "utf-8"
            body = _list_html(title, rows, f'<div id="page_div"></div><script>{script}</script>', charset)
            name_i = f"index.{ext}" if i == 0 else f"index_{i}.{ext}"
            add(root + name_i, body, charset)
            if i == 0:
                add(root, body, charset)
        elif family == "query":
            nxt = f'<a href="?page={i + 2}">下一页</a>' if i + 1 < count else ""
            pager = f'<div class="pages"><a href="?page=1">首页</a>{nxt}<a href="?page={count}">尾页</a></div>'
            body = _list_html(title, rows, pager)
            add(f"{root}list.html?page={i + 1}", body)
            if i == 0:
                add(root, body.replace('href="?page', 'href="list.html?page'))
        elif family == "pagenum":
            nxt = f'<a href="index.html?uid=u{k}&pageNum={i + 2}">下一页</a>' if i + 1 < count else ""
            pager = f'<div class="fenye">共{count}页 {nxt}</div>'
            body = _list_html(title, rows, pager)
            add(f"{root}index.html?uid=u{k}&pageNum={i + 1}", body)
            if i == 0:
                add(root, body)
        elif family == "nextlink":
            # Numbered and "下一页" links only; items via ../ paths under a <base href>.
            links = " ".join(f'<a href="list_{j + 1}.shtml">{j + 1}</a>' for j in range(count) if j != i)
            nxt = f'<a href="list_{i + 2}.shtml">下一页</a>' if i + 1 < count else ""
            pager = f'<div class="pagination"><span class="current">{i + 1}</span> {links} {nxt}</div>'
            # ../ out of the <base> folder, back into the column (any depth of root)
            rows_up = [("../" + h[2:] if h.startswith("./") else h, t, d) for h, t, d in rows]
            body = _list_html(title, rows_up, pager, base=f"{root}sub/")
            add(f"{root}sub/list_{i + 1}.shtml" if i else f"{root}sub/list_1.shtml", body)
            if i == 0:
                add(root, body)
        else:
            raise ValueError(family)


def _hanweb(farm: Farm, host: str, root: str, rows, per_page: int, title: str, k: int) -> None:
    def record(href: str, t: str, d: dt.date) -> str:
        # Relative to the column page the jpage script runs in, as Hanweb writes them ("../../art/…"): resolved
        # against dataproxy.jsp they would 404.
        href = "../" + root.strip("/") + "/" + href[2:] if href.startswith("./") else href
        return f'<record><![CDATA[<li><a href="{href}" title="{t}">{t}</a><span>{d}</span></li>]]></record>'

    records = [record(h, t, d) for h, t, d in rows]
    group = per_page * 3  # Hanweb embeds three pages of records in the column page
    proxy = f"/module/web/jpage/dataproxy.jsp?page=1&webid=1&path={root}&columnid={k}&unitid=9{k}&webname=test"
    first = (
        f'<div id="9{k}"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="{html.escape(proxy)}">'
        f"</a>]]></nextgroup><recordset>{''.join(records[:group])}</recordset></datastore></script>"
        f"<script>$.fn.pagination('9{k}', {{totalRecord:{len(records)}, perPage:{per_page}}});</script></div>"
    )
    body = _list_html(title, [], first)
    farm.add(host, root, Resource(body.encode("utf-8")))

    def dataproxy(request):
        from urllib.parse import parse_qs, urlsplit

        q = parse_qs(urlsplit(request.path).query)
        if request.method != "POST" or request.form.get("columnid") != str(k):
            return Resource(b"<datastore><totalrecord>0</totalrecord></datastore>", content_type="text/xml")
        start, end = int(q["startrecord"][0]), int(q["endrecord"][0])
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><datastore><totalrecord>{len(records)}</totalrecord>"
            f"<recordset>{''.join(records[start - 1 : end])}</recordset></datastore>"
        )
        return Resource(xml.encode("utf-8"), content_type="text/xml; charset=UTF-8", validators=False)

    existing = farm.sites.get(host, {}).get("/module/web/jpage/dataproxy.jsp")
    handlers = getattr(existing, "handlers", []) if existing else []
    handlers.append(dataproxy)

    def route(request):
        for h in handlers:
            res = h(request)
            if b"<recordset>" in res.body:
                return res
        return res

    route.handlers = handlers
    farm.add(host, "/module/web/jpage/dataproxy.jsp", route)


def _gkmlpt(farm: Farm, host: str, root: str, items, per_page: int, title: str, k: int) -> None:
    """Guangdong gkmlpt: an index page with window._CONFIG (SID) and a JSON API, newest first, per_page records."""
    sid, category = f"20{k}", str(300 + k)
    page = (
        f"<html><head><title>{title}</title><script>window._CONFIG = {{SID: '{sid}', TITLE: '政府信息公开'}};</script>"
    )
    farm.add(host, f"{root}gkmlpt/index", Resource((page + "</head><body><div id='app'></div></body></html>").encode()))

    def api(request):
        from urllib.parse import parse_qs, urlsplit

        q = parse_qs(urlsplit(request.path).query)
        if q.get("sid") != [sid]:
            return Resource(b'{"total": 0, "articles": []}', content_type="application/json")
        n = int(q.get("page", ["1"])[0])
        chunk = items[(n - 1) * per_page : n * per_page]
        epoch = [
            int(dt.datetime(d.year, d.month, d.day, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
            for _, _, d in chunk
        ]
        articles = [
            {"id": i, "title": t, "url": p, "first_publish_time": e}
            for i, ((p, t, _d), e) in enumerate(zip(chunk, epoch, strict=True))
        ]
        body = json.dumps({"total": len(items), "articles": articles}, ensure_ascii=False).encode()
        return Resource(body, content_type="application/json; charset=utf-8")

    farm.add(host, f"{root}gkmlpt/api/all/{category}", api)


def add_robots(farm: Farm, host: str) -> None:
    farm.add(host, "/robots.txt", Resource(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))


# --- portals: a home page with the report column 1-3 clicks away (column discovery, scrapers/collect/locate.py) -------------
PORTAL_STYLES = ("mega", "xxgk-tree", "js-menu", "notice-only", "sitemap", "report-news", "two-columns")


def _portal_page(name: str, nav: str, main: str = "", script: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}人民政府门户网站</title></head><body>'
        f'<div class="header"><div class="logo"><img src="/images/logo.png" alt="{name}人民政府"></div>{nav}</div>'
        f'<div class="main">{main}</div><script>{script}</script>'
        '<div class="footer"><a href="/wzdt/">网站地图</a> <a href="/lxwm/">联系我们</a> '
        f"主办：{name}人民政府办公室 ICP备00000000号</div></body></html>"
    ).encode()


def _news(items: list[tuple[str, str, str]]) -> str:
    lis = "".join(f'<li><a href="{h}" target="_blank">{t}</a><span>{d}</span></li>' for h, t, d in items)
    return f'<div class="news"><h3>要闻动态</h3><ul>{lis}</ul></div>'


def _decoy_columns(farm: Farm, host: str, name: str, year: int) -> None:
    """Columns a careless locator would take: the other annual report, 政策解读, 法治 news with no report."""
    decoys = {
        "/zwgk/xxgknb/": [f"{name}{y}年政府信息公开工作年度报告" for y in range(year, year - 4, -1)],
        "/zwgk/zcjd/": [f"图解：{name}{year}年法治政府建设年度报告", f"一图读懂{name}{year - 1}年法治政府建设年度报告"],
        "/zwgk/fzdt/": [f"{name}召开会议审议{year}年法治政府建设情况报告", f"{name}{year + 1}年法治政府建设工作要点",
                        f"{name}法治政府建设实施方案"],
    }  # fmt: skip
    for path, titles in decoys.items():
        items = [(f"{path}{year + 1}0{i + 1}/t{year + 1}0{i + 1}15_{i}.html", t, dt.date(year + 1, i + 1, 15))
                 for i, t in enumerate(titles)]  # fmt: skip
        farm.add(host, path, Resource(_list_html("栏目", items, "").encode()))


def build_portal(
    farm: Farm, gov_id: str, name: str, host: str, style: str, family: str = "trs4", *, k: int = 0, **site
) -> FarmGov:
    """A government whose registry entry is only its home page ``/`` on ``host`` (one portal per host), with its
    report column reached the way ``style`` says, decoys beside it, and the ground truth in ``FarmGov.columns``."""
    years = site.pop("years", range(2020, 2025))
    y = max(years)
    root = {"sitemap": "/zwgk/fzzfjsndbg/", "notice-only": "/tzgg/"}.get(style, f"/c{gov_id}/")
    gov = build_site(farm, gov_id, name, host, family, years, k=k, root=root, **site)
    column = gov.list_path
    gov.columns = [column]
    gov.list_path = "/"
    _decoy_columns(farm, host, name, y)
    decoy_nav = '<li><a href="/zwgk/zcjd/">政策解读</a></li><li><a href="/zwgk/xxgknb/">政府信息公开年报</a></li>'
    robots = "User-agent: *\nDisallow: /private/\n"
    if style == "mega":
        # 政务公开 ▸ (法治政府建设: 年度报告 | 法治动态) and (政府信息公开: 指南 | 年度报告), as in a mega menu
        nav = (
            '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a><div class="sub">'
            '<dl><dt>政府信息公开</dt><dd><a href="/zwgk/xxgkzn/">指南</a></dd><dd><a href="/zwgk/xxgknb/">年度报告</a></dd>'
            f'</dl><dl><dt>法治政府建设</dt><dd><a href="{column}">年度报告</a></dd><dd><a href="/zwgk/fzdt/">法治政府建设动态'
            f'</a></dd></dl></div></li>{decoy_nav}<li><a href="/hdjl/">互动交流</a></li></ul>'
        )
        farm.add(host, "/", Resource(_portal_page(name, nav)))
    elif style == "xxgk-tree":
        # home → 政府信息公开 → 法定主动公开内容 ▸ 其他法定信息 → 法治政府建设: three clicks, a directory tree each
        nav = f'<ul class="nav"><li><a href="/">首页</a></li><li><a href="/xxgk/">政府信息公开</a></li>{decoy_nav}</ul>'
        farm.add(host, "/", Resource(_portal_page(name, nav)))
        tree = (
            '<ul class="tree"><li><span>法定主动公开内容</span><ul><li><a href="/xxgk/jgzn/">机构职能</a></li>'
            '<li><a href="/xxgk/zcwj/">政策文件</a></li><li><a href="/xxgk/qtxx/">其他法定信息</a></li></ul></li>'
            '<li><a href="/zwgk/xxgknb/">政府信息公开年报</a></li><li><a href="/xxgk/xxgkzn/">政府信息公开指南</a></li></ul>'
        )
        farm.add(host, "/xxgk/", Resource(_portal_page(name, nav, tree)))
        sub = (
            '<ul class="tree"><li><span>其他法定信息</span><ul><li><a href="/xxgk/qtxx/rsxx/">人事信息</a></li>'
            f'<li><a href="{column}">法治政府建设</a></li><li><a href="/xxgk/qtxx/jytabl/">建议提案办理</a></li></ul></li></ul>'
        )
        farm.add(host, "/xxgk/qtxx/", Resource(_portal_page(name, nav, sub)))
    elif style == "js-menu":
        # the menu exists only as data in a script; the 法治政府建设 topic page shows a "latest" box and 更多
        menu = json.dumps([
            {"name": "首页", "url": "/"},
            {"name": "政务公开", "url": "/zwgk/", "children": [
                {"name": "法治政府建设", "url": "/zwgk/fzzt/"}, {"name": "政策解读", "url": "/zwgk/zcjd/"},
                {"name": "政府信息公开年报", "url": "/zwgk/xxgknb/"}]},
            {"name": "互动交流", "url": "/hdjl/"},
        ], ensure_ascii=False)  # fmt: skip
        farm.add(host, "/", Resource(_portal_page(name, '<ul class="nav" id="menu"></ul>', "", f"var MENU = {menu};"
                                                  " buildMenu(document.getElementById('menu'), MENU);")))  # fmt: skip
        newest = sorted(gov.expected.items(), key=lambda kv: -kv[1])[:2]
        latest = "".join(f'<li><a href="{p}">{name}{yr}年法治政府建设年度报告</a><span>{yr + 1}-03-20</span></li>'
                         for p, yr in newest)  # fmt: skip
        topic = (
            f'<div class="block"><h3>年度报告</h3><a class="more" href="{column}">更多&gt;&gt;</a><ul>{latest}</ul></div>'
            '<div class="block"><h3>法治动态</h3><a class="more" href="/zwgk/fzdt/">更多&gt;&gt;</a></div>'
        )
        farm.add(host, "/zwgk/fzzt/", Resource(_portal_page(name, "", topic)))
    elif style == "notice-only":
        # no 法治 column at all: the reports are filed among the notices
        nav = (
            '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/xwzx/">新闻中心</a></li>'
            f'<li><a href="{column}">通知公告</a></li>{decoy_nav}</ul>'
        )
        farm.add(host, "/", Resource(_portal_page(name, nav)))
    elif style == "sitemap":
        # image-only navigation; robots.txt names a sitemap that lists the column by its slug
        nav = '<div class="nav"><a href="/zwgk/"><img src="/images/zwgk.png"></a></div>'
        farm.add(host, "/", Resource(_portal_page(name, nav)))
        robots += "Sitemap: {origin}/sitemap.xml\n"
        urls = ["/", "/zwgk/", "/zwgk/zcjd/", "/zwgk/xxgknb/", column, *list(gov.expected)[:2]]
        xml = "".join(f"<url><loc>{{origin}}{u}</loc></url>" for u in urls)

        def sitemap(request, xml=xml):
            body = f'<?xml version="1.0"?><urlset>{xml.format(origin=farm.url(request.host, ""))}</urlset>'
            return Resource(body.encode(), content_type="application/xml")

        farm.add(host, "/sitemap.xml", sitemap)
    elif style == "two-columns":
        # after a redesign: recent reports in a 法治政府建设年度报告 column, older ones still under 信息公开's tree
        old = build_site(farm, gov_id, name, host, "query", range(min(years) - 4, min(years)), k=k + 1,
                         root=f"/xxgk/qtxx/q{gov_id}/", look_alikes=False, quirks=False)  # fmt: skip
        gov.expected.update(old.expected)
        gov.columns.append(old.list_path)
        nav = (
            f'<ul class="nav"><li><a href="/">首页</a></li><li><a href="{column}">法治政府建设年度报告</a></li>'
            f'<li><a href="/xxgk/">政府信息公开</a></li>{decoy_nav}</ul>'
        )
        farm.add(host, "/", Resource(_portal_page(name, nav)))
        tree = (
            '<ul class="tree"><li><span>法定主动公开内容</span><ul><li><a href="/xxgk/zcwj/">政策文件</a></li>'
            '<li><span>其他法定信息</span><ul><li><a href="/xxgk/qtxx/rsxx/">人事信息</a></li>'
            f'<li><a href="{old.list_path}">法治政府建设</a></li></ul></li></ul></li></ul>'
        )
        farm.add(host, "/xxgk/", Resource(_portal_page(name, nav, tree)))
    elif style == "report-news":
        # the home page's news block shows the newest report (and meeting news); the menu says nothing useful
        newest_path, newest_year = max(gov.expected.items(), key=lambda kv: kv[1])
        news = _news([
            (newest_path, f"{name}{newest_year}年法治政府建设年度报告", f"{newest_year + 1}-03-20"),
            ("/xwzx/202503/t20250301_1.html", f"{name}召开会议研究部署法治政府建设工作", f"{newest_year + 1}-03-01"),
        ])  # fmt: skip
        nav = f'<ul class="nav"><li><a href="/">首页</a></li><li><a href="/xwzx/">新闻中心</a></li>{decoy_nav}</ul>'
        farm.add(host, "/", Resource(_portal_page(name, nav, news)))
    else:
        raise ValueError(style)

    def robots_txt(request, robots=robots):
        return Resource(robots.format(origin=farm.url(request.host, "")).encode(), content_type="text/plain")

    farm.add(host, "/robots.txt", robots_txt)
    return gov


def directory_portal(farm: Farm, gov_id: str, name: str, host: str, years, *, scripted: bool = False,
                     column: str = "/xxgk/4812345.html") -> None:  # fmt: skip
    """A county portal as real ones are laid out: home page -> 法定主动公开内容 (a directory of sub-columns) -> the
    report column, at an id-numbered URL that reads like an article's; the reports under /xxgk/YYYYMM/. With
    ``scripted`` the column's list exists only as data for a script (no link in its HTML)."""
    gov = build_site(farm, gov_id, name, host, "trs4", years, per_page=20, look_alikes=False, quirks=False,
                     root="/xxgk/")  # fmt: skip
    page = farm.sites[host].pop(gov.list_path)
    if scripted:
        page = Resource(_portal_page(name, "", '<ul id="list"></ul>', "var LIST = []; render(LIST);"))
    farm.add(host, column, page)
    nav = '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/xxgk/fdzdgknr/">法定主动公开内容</a></li></ul>'
    farm.add(host, "/", Resource(_portal_page(name, nav)))
    day = dt.date(2025, 3, 1)
    items = [("/xxgk/ghjh/", "规划计划", day), (column, "法治政府建设年度报告", day), ("/xxgk/czzj/", "财政资金", day)]
    farm.add(host, "/xxgk/fdzdgknr/", Resource(_list_html("法定主动公开内容", items, "").encode()))
    add_robots(farm, host)
