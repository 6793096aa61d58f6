"""The bundled demo portal: five governments' 法治政府建设 columns on one local server (127.0.0.1, ephemeral port).

What it holds (tests assert these counts through ``expected_reports()`` and ``look_alikes()``):

* 5 governments, one per seed report (``scrapers/demo/seeds.py``): two townships, two counties, one 街道.
* Report years: the five years up to the latest one already past due (``latest_year``: last year once May has come,
  else the year before), so the demo shows a full history whatever day it runs.
* Every government publishes every year's report, except **one**: 肇东市 (``231282``) has no report for
  ``latest_year - 1``. That is the one missing report the warehouse and the alerts must find.
  So: 5 × 5 − 1 = 24 annual reports. All on time but one: 肇东市's oldest year keeps its seed's real, late date.
* Report pages in five CMS families (TRS, Hanweb, 信息公开 table, GBK table layout, attachment-only with a PDF),
  titles with the year first, the issuer first, or no year at all (肇东市: the year is only in the body).
* Look-alikes on every list (never reports): a 政府信息公开工作年度报告 and a 法治政府建设工作要点 per government,
  and one ambiguous news item per government whose body settles it: 3 × 5 = 15 links that must be skipped.
* Two list pagination families, 3 items per page: TRS ``index_N.html`` with ``createPageHTML(...)`` (governments
  0, 2, 4) and ``?page=N`` with 下一页/尾页 links (governments 1, 3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from scrapers.demo.documents import render_pdf
from scrapers.demo.pages import render_report_page
from scrapers.demo.seeds import SeedReport, load_seeds

PER_PAGE = 3
YEARS = 5


@dataclass(frozen=True)
class DemoGovernment:
    id: str
    name: str
    level: str
    province: str
    division_code: str
    parent_id: str | None
    family: str  # report page family (scrapers.demo.pages)
    pagination: str  # "trs" | "query"
    seed: SeedReport = field(repr=False)

    @property
    def root(self) -> str:
        return f"/{self.id}/fzzfjsndbg/"


# (id, level, province, division_code, parent_id, page family, pagination), in seed order.
_GOVERNMENTS = (
    ("500109-lyz", "township", "重庆", "500109", "500109", "trs", "trs"),
    ("510705", "county", "四川", "510705", None, "hanweb", "query"),
    ("231282", "county", "黑龙江", "231282", None, "table_gbk", "trs"),
    ("441900-cpz", "township", "广东", "441900", None, "xxgk", "query"),
    ("120104-wxj", "township", "天津", "120104", "120104", "attachment_only", "trs"),
)


def latest_year(today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    return today.year - 1 if today >= dt.date(today.year, 5, 1) else today.year - 2


class DemoPortal:
    """``with DemoPortal() as portal:`` serves the demo on ``portal.base_url`` until the block ends."""

    def __init__(self, today: dt.date | None = None, port: int = 0):
        self.latest = latest_year(today)
        self.years = list(range(self.latest - YEARS + 1, self.latest + 1))
        self.missing = ("231282", self.latest - 1)
        seeds = load_seeds()
        self.governments = [
            DemoGovernment(gid, seed.government, level, prov, code, parent, fam, pag, seed)
            for seed, (gid, level, prov, code, parent, fam, pag) in zip(seeds, _GOVERNMENTS, strict=True)
        ]
        self._port = port
        self.pages: dict[str, tuple[int, bytes, str]] = {}
        self._reports: list[tuple[str, int, str]] = []
        self._look_alikes: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    # what the portal holds -------------------------------------------------------------------------------------
    def expected_reports(self) -> list[tuple[str, int, str]]:
        """(government_id, report_year, URL) of every annual report on the portal (24)."""
        return list(self._reports)

    def look_alikes(self) -> list[tuple[str, str]]:
        """(government_id, URL) of the links that must not be collected as reports (15)."""
        return list(self._look_alikes)

    def registry_yaml(self) -> str:
        entries = []
        for g in self.governments:
            entry = {
                "id": g.id,
                "name": g.name,
                "level": g.level,
                "province": g.province,
                "division_code": g.division_code,
                "list_urls": [self.base_url + g.root],
                "reports_from": self.years[0],
                "note": "demo portal (scrapers/demo/portal.py)",
            }
            if g.parent_id and g.parent_id != g.id:
                entry["parent_id"] = g.parent_id
            entries.append(entry)
        header = "# Registry for the bundled demo portal; written by fzzf demo.\n"
        return header + yaml.safe_dump({"governments": entries}, allow_unicode=True, sort_keys=False)

    # server -----------------------------------------------------------------------------------------------------
    def __enter__(self) -> DemoPortal:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> DemoPortal:
        portal = self

        class Handler(_Handler):
            pages = portal.pages

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._build()
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # content ----------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.pages.clear()
        self._reports.clear()
        self._look_alikes.clear()
        self.pages["/robots.txt"] = (200, b"User-agent: *\nDisallow: /admin/\n", "text/plain; charset=utf-8")
        for n, gov in enumerate(self.governments):
            items: list[tuple[str, str, dt.date]] = []
            for year in self.years:
                if (gov.id, year) == self.missing:
                    continue
                path, title, date = self._report(gov, year, n)
                items.append((path, title, date))
                self._reports.append((gov.id, year, self.base_url + path))
            for path, title, date in self._decoys(gov, n):
                items.append((path, title, date))
                self._look_alikes.append((gov.id, self.base_url + path))
            items.sort(key=lambda item: item[2], reverse=True)
            self._lists(gov, items)

    def _paragraphs(self, gov: DemoGovernment, year: int) -> list[str]:
        old, new = str(gov.seed.report_year), str(year)
        nxt_old, nxt_new = str(gov.seed.report_year + 1), str(year + 1)
        # Shift every year the seed mentions by the same offset, so each year's report is its own text.
        return [p.replace(nxt_old, "\0").replace(old, new).replace("\0", nxt_new) for p in gov.seed.paragraphs]

    def _report(self, gov: DemoGovernment, year: int, n: int) -> tuple[str, str, dt.date]:
        seed = gov.seed
        title = seed.title.replace(str(seed.report_year), str(year))
        date = dt.date(year + 1, seed.publish_date.month, min(seed.publish_date.day, 28))
        if date.month > 3 and year != self.years[0]:
            # Seed 002 (肇东市) was really published months late: its oldest demo year keeps that date, so the demo
            # holds one late report (README's "late publishers" query); its other years are on time.
            date = dt.date(year + 1, 3, 20 + n)
        stem = f"{gov.root}{date:%Y%m}/t{date:%Y%m%d}_{1000 + n * 10 + year % 10}"
        paragraphs = self._paragraphs(gov, year)
        attachments: list[tuple[str, str]] = []
        if gov.family == "attachment_only":
            pdf = f"{stem}.pdf"
            self.pages[pdf] = (200, render_pdf(title, paragraphs), "application/pdf")
            attachments = [(f"{title}.pdf", pdf)]
        body = render_report_page(
            gov.family, title=title, paragraphs=paragraphs, publish_date=date, source=seed.source,
            site_name=f"{gov.name}人民政府", attachments=attachments, related=[],
        )  # fmt: skip
        charset = "" if gov.family in ("table_gbk",) else "; charset=utf-8"
        self.pages[f"{stem}.html"] = (200, body, "text/html" + charset)
        return f"{stem}.html", title, date

    def _decoys(self, gov: DemoGovernment, n: int) -> list[tuple[str, str, dt.date]]:
        y = self.latest
        news = [
            f"近日，{gov.name}召开法治政府建设工作推进会，通报上半年工作进展，部署下一阶段任务。",
            "会议要求各部门压实责任，确保各项任务按期完成。",
        ]
        out = []
        for k, (title, date) in enumerate(
            (
                (f"{gov.name}{y}年政府信息公开工作年度报告", dt.date(y + 1, 1, 20)),
                (f"{gov.name}{y + 1}年法治政府建设工作要点", dt.date(y + 1, 2, 15)),
                (f"{gov.name}法治政府建设工作推进情况", dt.date(y, 7, 8)),
            )
        ):
            path = f"{gov.root}{date:%Y%m}/t{date:%Y%m%d}_{900 + n * 10 + k}.html"
            body = render_report_page(
                "trs", title=title, paragraphs=news, publish_date=date, source=gov.seed.source,
                site_name=f"{gov.name}人民政府", related=[],
            )  # fmt: skip
            self.pages[path] = (200, body, "text/html; charset=utf-8")
            out.append((path, title, date))
        return out

    def _lists(self, gov: DemoGovernment, items: list[tuple[str, str, dt.date]]) -> None:
        chunks = [items[i : i + PER_PAGE] for i in range(0, len(items), PER_PAGE)]
        count = len(chunks)
        for i, chunk in enumerate(chunks):
            lis = "\n".join(
                f'<li><a href="./{path[len(gov.root) :]}" title="{html.escape(t)}" target="_blank">{html.escape(t)}</a>'
                f"<span>{d.isoformat()}</span></li>"
                for path, t, d in chunk
            )
            if gov.pagination == "trs":
                pager = f'<div id="page"></div><script>createPageHTML({count}, {i}, "index", "html");</script>'
                paths = [gov.root + ("index.html" if i == 0 else f"index_{i}.html")] + ([gov.root] if i == 0 else [])
            else:
                nxt = f'<a href="list.html?page={i + 2}">下一页</a>' if i + 1 < count else ""
                pager = f'<div class="pages">共{count}页 <a href="list.html?page=1">首页</a>{nxt}' \
                        f'<a href="list.html?page={count}">尾页</a></div>'  # fmt: skip
                paths = [f"{gov.root}list.html?page={i + 1}"] + ([gov.root] if i == 0 else [])
            page = (
                f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>法治政府建设年度报告_{gov.name}人民政府'
                f'</title></head><body><div class="header"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>'
                f'<div class="position">当前位置：首页 &gt; 政务公开 &gt; 法治政府建设年度报告</div>'
                f'<ul class="list">\n{lis}\n</ul>{pager}'
                f'<div class="footer">主办单位：{gov.name}人民政府</div></body></html>'
            ).encode()
            for path in paths:
                self.pages[path] = (200, page, "text/html; charset=utf-8")


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, tuple[int, bytes, str]]
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        status, body, ctype = self.pages.get(self.path, (404, b"<html><body>404</body></html>", "text/html"))
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if status in (200, 304):
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
