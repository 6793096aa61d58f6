"""Farm portals only a browser can read, with real scripts that Chromium executes (the server checks their result):

- ``ruishu``: every page answers HTTP 412 with a Ruishu-like ``$_ts`` script that computes a token, sets it as a
  cookie and reloads; with the right cookie, the page.
- ``jsl``: every page answers HTTP 521 with a script that computes ``__jsl_clearance`` (max-age one hour) and reloads.
- ``xhr``: the column page is an empty ``<ul>`` whose script builds the API path, asks it by XHR for JSON and writes
  the items; the script also asks another host and loads an image (the browser must block both).
- ``hidden``: plain list, but each report page's body is base64 JSON in a hidden element, drawn by a script.

``browser_portals(farm, hosts)`` adds the four and returns their ``FarmGov``s (ground truth: report path -> year).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json

from scrapers.demo.pages import render_report_page

from .server import Farm, Request, Resource
from .sites import FarmGov, _list_html, report_paragraphs

KINDS = ("ruishu", "jsl", "xhr", "hidden")
BODY_MARK = "@@BODY@@"


def ruishu_token(seed: int) -> str:
    """What the challenge script computes in the browser (the server's check)."""
    acc = seed
    for i in range(1, 200):
        acc = (acc * 31 + i * seed) % 1000003
    return f"{acc:x}"


def jsl_clearance(seed: int) -> str:
    acc = 0
    for i in range(50):
        acc = (acc * 31 + i + seed) % 9973
    return f"{seed}|0|{acc}"


RUISHU_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><script>
var $_ts = window['$_ts']; if (!$_ts) $_ts = window['$_ts'] = {}; $_ts.nsd = %(seed)d; $_ts.cd = "qEkcrrAlqGWr";
(function () { var acc = $_ts.nsd; for (var i = 1; i < 200; i++) { acc = (acc * 31 + i * $_ts.nsd) %% 1000003; }
  document.cookie = "FZZF_RS_T=" + acc.toString(16) + "; path=/"; location.reload(); })();
</script></head><body></body></html>"""

JSL_PAGE = """<html><body><script>
document.cookie = '__jsl_clearance=' + (function () { var s = 0; for (var i = 0; i < 50; i++) { s = (s * 31 + i + %(seed)d) %% 9973; }
  return '%(seed)d|0|' + s; })() + ';max-age=3600;path=/';
location.href = location.pathname + location.search;
</script></body></html>"""

XHR_LIST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>%(title)s</title></head><body>
<div class="main"><h2>%(title)s</h2><ul class="list" id="list"></ul></div>
<img src="/images/banner.png">
<script>
(function () {
  var parts = ['api', 'col' + (%(col)d * 2), 'items'];
  var x = new XMLHttpRequest();
  x.open('GET', '/' + parts.join('/') + '?page=' + (3 - 2));
  x.onload = function () {
    var data = JSON.parse(x.responseText), out = [];
    for (var i = 0; i < data.rows.length; i++) {
      var r = data.rows[i];
      out.push('<li><a href="' + r.u + '">' + r.t + '</a><span class="date">' + r.d + '</span></li>');
    }
    document.getElementById('list').innerHTML = out.join('');
  };
  x.send();
  try { fetch('http://%(offsite)s:' + location.port + '/t.js'); } catch (e) {}
})();
</script></body></html>"""

HIDDEN_BODY = """<div id="report-body"></div><div id="report-data" style="display:none">%(data)s</div>
<script>
(function () {
  var raw = document.getElementById('report-data').textContent.trim();
  var paras = JSON.parse(decodeURIComponent(escape(atob(raw))));
  var box = document.getElementById('report-body');
  for (var i = 0; i < paras.length; i++) { var p = document.createElement('p'); p.textContent = paras[i]; box.appendChild(p); }
})();
</script>"""


def _report(name: str, year: int, k: int, hidden: bool = False) -> Resource:
    paragraphs = report_paragraphs(name, year, k)
    body = render_report_page(
        "trs", title=f"{name}{year}年法治政府建设年度报告", paragraphs=[BODY_MARK] if hidden else paragraphs,
        publish_date=dt.date(year + 1, 3, 20), source=f"{name}司法局", site_name=f"{name}人民政府", related=[],
    ).decode("utf-8")  # fmt: skip
    if hidden:
        data = base64.b64encode(json.dumps(paragraphs, ensure_ascii=False).encode("utf-8")).decode("ascii")
        start = body.rfind("<p", 0, body.find(BODY_MARK))
        end = body.find("</p>", body.find(BODY_MARK)) + len("</p>")
        body = body[:start] + HIDDEN_BODY % {"data": data} + body[end:]
    return Resource(body.encode("utf-8"))


def _gated(resource: Resource, passes, challenge: Resource):
    """Serve ``resource`` to requests whose cookies ``passes``, else the challenge."""

    def answer(request: Request) -> Resource:
        return resource if passes(request.headers.get("cookie", "")) else challenge

    return answer


def browser_portals(farm: Farm, hosts: dict[str, str], years: range, offsite: str) -> list[FarmGov]:
    """The four browser-only portals, one per host in ``hosts`` (kind -> loopback address); the XHR page also asks
    ``offsite`` (another farm host, on the farm's port), which the browser must never reach."""
    govs = []
    for k, kind in enumerate(KINDS):
        host, gid, name = hosts[kind], f"b_{kind}", f"浏览{k}县"
        root = f"/{gid}/"
        gov = FarmGov(gid, name, host, root, kind)
        items = []
        for year in sorted(years, reverse=True):
            path = f"{root}{year + 1}03/t{year + 1}0320_{k}{year % 100}.html"
            farm.add(host, path, _report(name, year, k + year, hidden=kind == "hidden"))
            gov.expected[path] = year
            items.append((path, f"{name}{year}年法治政府建设年度报告", dt.date(year + 1, 3, 20)))
        title = f"{name}法治政府建设年度报告"
        if kind == "xhr":
            col = 40 + k
            farm.add(host, root, Resource((XHR_LIST % {"title": title, "col": col, "offsite": offsite}).encode()))
            rows = [{"u": p, "t": html.escape(t), "d": d.isoformat()} for p, t, d in items]
            farm.add(host, f"/api/col{col * 2}/items", lambda _r, rows=rows: _json({"rows": rows}))
            farm.add(host, "/images/banner.png", Resource(b"\x89PNG", content_type="image/png"))
        else:
            farm.add(host, root, Resource(_list_html(title, items, "").encode("utf-8")))
        farm.add(host, "/robots.txt", Resource(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
        if kind in ("ruishu", "jsl"):
            seed = 7 + k
            if kind == "ruishu":
                want = f"FZZF_RS_T={ruishu_token(seed)}"
                page = Resource((RUISHU_PAGE % {"seed": seed}).encode(), status=412, validators=False)
            else:
                want = f"__jsl_clearance={jsl_clearance(seed)}"
                page = Resource((JSL_PAGE % {"seed": seed}).encode(), status=521, validators=False)
            for path, res in list(farm.sites[host].items()):
                if path != "/robots.txt":
                    farm.add(host, path, _gated(res, lambda cookie, want=want: want in cookie, page))
        govs.append(gov)
    return govs


def _json(data: dict) -> Resource:
    return Resource(json.dumps(data, ensure_ascii=False).encode("utf-8"), content_type="application/json")
