"""The polite fetcher and the host gate, against the local portal farm (127.0.0.x only)."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import replace

import pytest
from farm.server import Farm, Resource

from scrapers.collect.fetch import Fetcher, FetchError, decode_html
from scrapers.collect.hostlock import HostGate
from scrapers.settings import Politeness

POLITE = Politeness(delay=0, retries=2, backoff=0, timeout=2.0, allow_private_hosts=True, max_bytes=10_000)


@pytest.fixture
def farm():
    f = Farm()
    f.add("127.0.0.1", "/robots.txt", Resource(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    f.add("127.0.0.1", "/ok.html", Resource("<html><body>你好</body></html>".encode()))
    f.add("127.0.0.1", "/private/x.html", Resource(b"secret"))
    f.add("127.0.0.1", "/flaky.html", Resource(b"fine", fail_first=2))
    f.add("127.0.0.1", "/down.html", Resource(b"down", status=500))
    f.add("127.0.0.1", "/big.html", Resource(b"x" * 20_000))
    f.add("127.0.0.1", "/slow.html", Resource(b"slow", delay=1.0))
    f.add("127.0.0.1", "/hop", Resource(b"", status=302, headers={"Location": "/ok.html"}, validators=False))
    f.add("127.0.0.1", "/loop", Resource(b"", status=302, headers={"Location": "/loop"}, validators=False))
    f.add("127.0.0.2", "/robots.txt", Resource(b"", status=404))
    f.add("127.0.0.2", "/away", Resource(b"", status=302, headers={"Location": "http://127.0.0.3/x"}, validators=False))
    with f:
        yield f


def test_plain_fetch_sends_contact_user_agent_and_obeys_robots(farm, tmp_path):
    fetcher = Fetcher(POLITE, tmp_path)
    resp = fetcher.fetch(farm.url("127.0.0.1", "/ok.html"))
    assert resp.status == 200 and "你好" in resp.text()
    ua = next(r.headers["user-agent"] for r in farm.log if r.path == "/ok.html")
    assert "mailto:" in ua
    with pytest.raises(FetchError) as err:
        fetcher.fetch(farm.url("127.0.0.1", "/private/x.html"))
    assert err.value.kind == "robots"
    assert farm.requests_to("/private/") == 0
    # robots.txt is asked for once per origin, and a second process (new Fetcher, same data dir) reuses it
    Fetcher(POLITE, tmp_path).fetch(farm.url("127.0.0.1", "/ok.html"))
    assert farm.requests_to("/robots.txt", "127.0.0.1") == 1


def test_private_addresses_and_other_schemes_are_refused_by_default(farm):
    fetcher = Fetcher(replace(POLITE, allow_private_hosts=False))
    for url in (farm.url("127.0.0.1", "/ok.html"), "http://169.254.169.254/latest/", "http://10.0.0.1/"):
        with pytest.raises(FetchError) as err:
            fetcher.fetch(url)
        assert err.value.kind == "refused", url
    for url in ("file:///etc/passwd", "javascript:alert(1)", "ftp://example.org/x"):
        with pytest.raises(FetchError) as err:
            fetcher.fetch(url)
        assert err.value.kind == "scheme"
    assert farm.log == []


def test_retries_with_backoff_then_success_and_persistent_failure(farm):
    sleeps: list[float] = []
    fetcher = Fetcher(replace(POLITE, backoff=0.5), sleep=sleeps.append)
    resp = fetcher.fetch(farm.url("127.0.0.1", "/flaky.html"))
    assert resp.status == 200 and resp.requests == 4  # robots.txt, 503, 503, 200
    assert sleeps == [0.5, 1.0]  # doubling backoff (Retry-After: 0 is shorter)
    resp = fetcher.fetch(farm.url("127.0.0.1", "/down.html"))
    assert resp.status == 500 and resp.requests == 3


def test_timeouts_become_network_errors(farm):
    fetcher = Fetcher(replace(POLITE, timeout=0.2, retries=1))
    with pytest.raises(FetchError) as err:
        fetcher.fetch(farm.url("127.0.0.1", "/slow.html"))
    assert err.value.kind == "network" and err.value.requests_made == 2


def test_conditional_get_answers_304(farm):
    fetcher = Fetcher(POLITE)
    first = fetcher.fetch(farm.url("127.0.0.1", "/ok.html"))
    again = fetcher.fetch(farm.url("127.0.0.1", "/ok.html"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.content == b""
    sent = [r for r in farm.log if r.path == "/ok.html"][-1]
    assert sent.headers["if-none-match"] == first.etag and sent.headers["if-modified-since"]


def test_size_cap(farm):
    with pytest.raises(FetchError) as err:
        Fetcher(POLITE).fetch(farm.url("127.0.0.1", "/big.html"))
    assert err.value.kind == "too_large"


def test_redirects_stay_on_the_site(farm):
    fetcher = Fetcher(POLITE)
    resp = fetcher.fetch(farm.url("127.0.0.1", "/hop"))
    assert resp.url.endswith("/ok.html") and resp.redirected_from and resp.requests == 3  # robots, 302, 200
    with pytest.raises(FetchError) as err:
        fetcher.fetch(farm.url("127.0.0.2", "/away"))
    assert err.value.kind == "redirect" and "off the site" in str(err.value)
    with pytest.raises(FetchError) as err:
        fetcher.fetch(farm.url("127.0.0.1", "/loop"))
    assert err.value.kind == "redirect"


def test_unreachable_robots_means_disallowed(tmp_path):
    # Nothing listens on this port: robots.txt cannot be had, so RFC 9309 says stay away for now.
    fetcher = Fetcher(replace(POLITE, retries=0, timeout=0.5), tmp_path)
    with pytest.raises(FetchError) as err:
        fetcher.fetch("http://127.0.0.9:9/x.html")
    assert err.value.kind == "robots"
    assert "robots.txt unreachable" in str(err.value)  # the reason the site could not be asked, not a made-up rule
    assert not (tmp_path / "state" / "robots").exists()  # failures are not cached across runs


def test_decode_gbk_declared_gb2312_and_wrong_declarations():
    text = "<meta charset='gb2312'><p>朱镕基 法治政府建设</p>"  # 镕 is outside GB2312, inside GB18030
    assert "朱镕基" in decode_html(text.encode("gb18030"))[0]
    utf8_declared_gbk = "<meta charset='gbk'><p>法治政府建设年度报告</p>".encode()
    assert "法治政府建设年度报告" in decode_html(utf8_declared_gbk)[0]
    undeclared = "<p>法治政府建设年度报告</p>".encode("gb18030")
    assert decode_html(undeclared) == ("<p>法治政府建设年度报告</p>", "gb18030")
    assert decode_html(b"\xef\xbb\xbf<p>x</p>")[0] == "<p>x</p>"
    assert "报告" in decode_html("报告".encode("gb18030"), "text/html; charset=GBK")[0]


def test_host_gate_spaces_requests_per_host_not_across_hosts(tmp_path):
    now = [1000.0]
    gate = HostGate(tmp_path, 0.5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert gate.reserve("a:80") == 1000.0
    assert gate.reserve("a:80") == 1000.5
    assert gate.reserve("b:80") == 1000.0  # another host does not wait for a
    # A second gate on the same lock directory (another process) sees the same schedule.
    other = HostGate(tmp_path, 0.5, clock=lambda: now[0])
    assert other.reserve("a:80") == 1001.0
    assert gate.wait("a:80") == 1.5 and now[0] == 1001.5


def _reserve_many(lock_dir, n, out):
    gate = HostGate(lock_dir, 0.05)
    out.extend([gate.reserve("shared:80") for _ in range(n)])


def test_host_gate_holds_across_processes(tmp_path):
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager:
        slots = manager.list()
        procs = [ctx.Process(target=_reserve_many, args=(tmp_path, 5, slots)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        got = sorted(slots)
    assert len(got) == 15
    gaps = [b - a for a, b in zip(got, got[1:], strict=False)]
    assert min(gaps) >= 0.05 - 1e-6


def test_fetcher_waits_between_requests_to_one_host(farm):
    sleeps: list[float] = []
    clock = [time.time()]

    def sleep(s):
        sleeps.append(s)
        clock[0] += s

    fetcher = Fetcher(replace(POLITE, delay=1.0), clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        fetcher.fetch(farm.url("127.0.0.1", "/ok.html"))
    # robots.txt + 3 pages: 4 requests, 3 waits of the full delay (the clock does not move on its own)
    assert sleeps == [1.0, 1.0, 1.0]


def test_robots_crawl_delay_longer_than_ours_wins(farm):
    farm.add("127.0.0.2", "/robots.txt", Resource(b"User-agent: *\nCrawl-delay: 2\n", content_type="text/plain"))
    farm.add("127.0.0.2", "/a.html", Resource(b"a"))
    sleeps: list[float] = []
    clock = [time.time()]

    def sleep(s):
        sleeps.append(s)
        clock[0] += s

    fetcher = Fetcher(replace(POLITE, delay=0.5), clock=lambda: clock[0], sleep=sleep)
    fetcher.fetch(farm.url("127.0.0.2", "/a.html"))
    fetcher.fetch(farm.url("127.0.0.2", "/a.html"))
    # robots.txt itself is fetched at our delay; after it, the host's 2 s apply
    assert sleeps == [0.5, 2.0]


def test_list_pages_use_the_report_decoder_a_latin1_header_over_gbk_bytes():
    from scrapers.collect.discover import parse_list_page
    from scrapers.extract import decode as extract_decode

    body = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'></head><body><ul>"
        "<li><a href='./202403/t1.html'>青溪县2023年法治政府建设年度报告</a><span>2024-03-01</span></li></ul></body></html>"
    ).encode("gb18030")
    # the server's default label, as Tomcat and IIS send it over every page
    [link] = parse_list_page(body, "http://www.example.gov.cn/fzzf/", "text/html; charset=ISO-8859-1").links
    assert link.title == "青溪县2023年法治政府建设年度报告"
    assert decode_html(body, "text/html; charset=ISO-8859-1") == extract_decode.decode_html(body)
    assert extract_decode.decode_html is decode_html  # one decoder, not two that drift apart


def test_a_gbk_page_with_a_utf8_piece_reads_both():
    # a GBK list page (with a few broken bytes, so no encoding decodes it whole) with one item pasted in as UTF-8
    gbk = "<html><head><meta charset='gb2312'></head><body><h2>青溪县法治政府建设年度报告</h2><ul>".encode("gb18030")
    item = "<li><a href='/a.html'>青溪县2021年法治政府建设年度报告</a></li>".encode()
    tail = "<li><a href='/b.html'>青溪县2022年法治政府建设年度报告</a></li></ul>\x81</body></html>".encode("gb18030")
    text, encoding = decode_html(gbk + item + tail)
    assert "青溪县2021年法治政府建设年度报告" in text and "青溪县2022年法治政府建设年度报告" in text
    assert "<h2>青溪县法治政府建设年度报告</h2>" in text and encoding == "gb18030+utf-8"
