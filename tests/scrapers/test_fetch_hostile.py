"""Hostile portals against the fetch layer (issue 24): a deadline over the whole exchange, every request held to the
government's site, a page cap that counts every attempt, and robots.txt redirects. Real HTTP on 127.0.124.x only."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

import pytest
from farm.server import Farm, Resource

from scrapers.collect.crawl import crawl_government
from scrapers.collect.fetch import Fetcher, FetchError
from scrapers.collect.locate import locate
from scrapers.landing import Landing
from scrapers.registry.governments import parse_registry
from scrapers.settings import Politeness

GOV, FOREIGN = "127.0.124.1", "127.0.124.2"
POLITE = Politeness(delay=0, retries=0, backoff=0, timeout=1.0, allow_private_hosts=True, max_pages=50)


class DripServer:
    """Answers every connection with ``head`` one byte every ``pace`` seconds (a portal holding the crawler)."""

    def __init__(self, host: str, head: bytes, pace: float):
        self.head, self.pace = head, pace
        self.sock = socket.create_server((host, 0))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}/report.html"
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        with conn:
            conn.recv(65536)
            for i in range(len(self.head)):
                if self.closed.wait(self.pace):
                    return
                try:
                    conn.sendall(self.head[i : i + 1])
                except OSError:
                    return  # the client hung up: what the deadline is for

    def close(self):
        self.closed.set()
        self.sock.close()


@pytest.mark.parametrize("where", ["status line and headers", "body without a length"])
def test_slow_headers_are_cut_off_by_the_deadline_connect_to_last_byte(where):
    # 0.05 s a byte never trips the 1 s read timeout; the whole answer would take 10 s.
    padding = b"X-Pad: " + b"a" * 180 + b"\r\n"
    if where == "status line and headers":
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + padding + b"Content-Length: 2\r\n\r\nok"
    else:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n" + b"x" * 200
    server = DripServer(GOV, head, pace=0.05)
    fetcher = Fetcher(replace(POLITE, deadline=1.5, obey_robots=False))
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as err:
            fetcher.fetch(server.url)
    finally:
        server.close()
        fetcher.close()
    took = time.monotonic() - started
    assert "deadline" in str(err.value) and err.value.kind == "network", err.value
    assert took < 3.5, f"the deadline of 1.5 s held the fetch for {took:.1f} s"
    assert err.value.requests_made == 1  # a portal past its deadline is not asked again at once


@pytest.fixture
def farm():
    f = Farm()
    f.add(GOV, "/robots.txt", Resource(b"", status=404))
    f.add(FOREIGN, "/robots.txt", Resource(b"", status=404))
    with f:
        yield f


def _gov(farm, list_path="/col/"):
    entry = {
        "id": "g",
        "name": "测试县",
        "level": "county",
        "province": "测试省",
        "list_urls": [farm.url(GOV, list_path)],
    }
    return next(iter(parse_registry({"governments": [entry]}, "t.yaml")))


def _list_page(items: str, extra: str = "") -> bytes:
    return f"<html><head>{extra}</head><body><ul class='list'>{items}</ul></body></html>".encode()


REPORT = "<li><a href='/col/r1.html'>测试县2023年法治政府建设年度报告</a><span>2024-03-01</span></li>"


def test_next_link_base_href_and_sitemap_never_leave_the_site(farm, tmp_path):
    away = farm.url(FOREIGN, "/col/")
    # 下一页 to another host; a second list whose <base href> points at it with a TRS page count.
    farm.add(GOV, "/col/", Resource(_list_page(REPORT) + f"<a href='{away}list_2.html'>下一页</a>".encode()))
    farm.add(GOV, "/base/", Resource(_list_page(REPORT, f"<base href='{away}'>") + b"<script>createPageHTML(3, 0, "
             b'"index", "html");</script>'))  # fmt: skip
    farm.add(GOV, "/col/r1.html", Resource("<html><body><h1>测试县2023年法治政府建设年度报告</h1>"
             f"<p>{'2023年，测试县深入推进法治政府建设。' * 30}</p></body></html>".encode()))  # fmt: skip
    for path in ("/col/list_2.html", "/col/index_1.html", "/col/index_2.html", "/sitemap.xml"):
        farm.add(FOREIGN, path, Resource(_list_page(REPORT)))
    for path in ("/col/", "/base/"):
        result = crawl_government(_gov(farm, path), tmp_path, POLITE, run_id=f"run{path.strip('/')}")
        # a list page not read is said (partial: coverage may not call a report missing on this source's word)
        assert result.status == "partial" and "is not this government's site" in result.error, result.error
    assert len(Landing(tmp_path).read_rows("reports")) == 1  # the government's own report, read once
    # robots.txt names a sitemap on another host: discovery does not read it
    farm.add(GOV, "/robots.txt", Resource(f"Sitemap: {farm.url(FOREIGN, '/sitemap.xml')}\n".encode(),
                                          content_type="text/plain"))  # fmt: skip
    farm.add(GOV, "/", Resource(_list_page("")))
    result = locate(farm.url(GOV, "/"), Fetcher(POLITE), budget=10)
    assert any("not this government's site" in e for e in result.errors), result.errors
    assert farm.requests_to(host=FOREIGN) == 0, [r.path for r in farm.log if r.host == FOREIGN]


def test_fetch_refuses_a_url_off_the_caller_site_before_any_request(farm):
    with pytest.raises(FetchError) as err:
        Fetcher(POLITE).fetch(farm.url(FOREIGN, "/x.html"), allowed_hosts={GOV})
    assert err.value.kind == "offsite" and err.value.requests_made == 0
    assert farm.log == []


def test_page_cap_counts_every_attempt_not_only_pages_that_answered(farm, tmp_path):
    # 2,000 TRS pages announced, every one but the first answering 404, then 503 (retried).
    farm.add(GOV, "/col/", Resource(_list_page(REPORT) + b'<script>createPageHTML(2000, 0, "index", "html");</script>'))
    for i in range(1, 5):
        farm.add(GOV, f"/col/index_{i}.html", Resource(b"busy", status=503))
    polite = replace(POLITE, max_pages=5, retries=2)
    crawl_government(_gov(farm), tmp_path, polite, run_id="capped")
    list_requests = sum(1 for r in farm.log if r.path.startswith("/col/index") or r.path in ("/col/", "/robots.txt"))
    # the cap is checked before each list page; one page's retries may pass it by at most FZZF_RETRIES
    assert list_requests <= polite.max_pages + polite.retries, list_requests
    [row] = Landing(tmp_path).read_rows("crawl_log")
    assert row["status"] == "partial" and row["pages_fetched"] == 1, row  # not read in full: never "complete"


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [
        # two hops on the site, then rules that forbid the column
        ({"/robots.txt": "/a/robots.txt", "/a/robots.txt": "/b/robots.txt"}, False),
        # a loop: unreachable, so disallow all (RFC 9309)
        ({"/robots.txt": "/a/robots.txt", "/a/robots.txt": "/robots.txt"}, False),
        # six hops: more than five
        ({f"/{i}/robots.txt" if i else "/robots.txt": f"/{i + 1}/robots.txt" for i in range(6)}, False),
        # off the site: not followed, disallow
        ({"/robots.txt": "FOREIGN/robots.txt"}, False),
        # a 5xx at the end of a redirect: disallow until it answers
        ({"/robots.txt": "/down/robots.txt"}, False),
    ],
    ids=["followed", "loop", "too-many", "off-site", "5xx"],
)
def test_robots_txt_redirects_are_followed_on_the_site(farm, tmp_path, robots, allowed):
    for path, target in robots.items():
        target = target.replace("FOREIGN", farm.url(FOREIGN, "").rstrip("/"))
        farm.add(GOV, path, Resource(b"", status=301, headers={"Location": target}, validators=False))
    farm.add(GOV, "/b/robots.txt", Resource(b"User-agent: *\nDisallow: /col/\n", content_type="text/plain"))
    farm.add(GOV, "/down/robots.txt", Resource(b"down", status=503))
    farm.add(GOV, "/col/", Resource(_list_page(REPORT)))
    fetcher = Fetcher(POLITE, tmp_path)
    if allowed:
        assert fetcher.fetch(farm.url(GOV, "/col/")).ok
    else:
        with pytest.raises(FetchError) as err:
            fetcher.fetch(farm.url(GOV, "/col/"))
        assert err.value.kind == "robots", err.value
    assert farm.requests_to("/col/", GOV) == int(allowed)
    assert farm.requests_to(host=FOREIGN) == 0
    assert farm.requests_to("/", GOV) <= 7  # robots.txt and at most five redirects (and the page)
