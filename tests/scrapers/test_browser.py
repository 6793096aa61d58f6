"""The browser (scrapers/collect/browser.py) end to end with the OS Chromium, on farm portals whose real scripts it runs
(tests/farm/browser_sites.py): a Ruishu-like 412 challenge, a 521 ``__jsl_clearance`` challenge, a list fetched by XHR,
report bodies drawn from hidden data; beside them a plain portal.

Crawled and built twice (real dbt, GX gates, publish): with the browser every report lands and its year is on time;
with ``FZZF_BROWSER=0`` the same years are ``unknown`` with the reason "needs a browser" (the crawl before the browser
read them as lists with no links or pages with no text: ``missing``). The browser never reaches another host, keeps the
per-host spacing, is used for only the pages that need it, and plain pages never start it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
import yaml
from farm.browser_sites import browser_portals
from farm.server import Farm, Resource
from farm.sites import add_robots, build_site

from scrapers.collect import browser as browser_mod
from scrapers.collect.crawl import crawl_government, run_crawl
from scrapers.collect.fetch import Fetcher
from scrapers.registry.governments import load_registry
from scrapers.settings import BrowserSettings, Politeness
from scrapers.warehouse.build import run_build

pytestmark = pytest.mark.integration

POLITE = Politeness(delay=0, retries=1, backoff=0, timeout=5, allow_private_hosts=True, workers=4)
HOSTS = {"ruishu": "127.0.126.1", "jsl": "127.0.126.2", "xhr": "127.0.126.3", "hidden": "127.0.126.4"}
PLAIN_HOST, OFFSITE = "127.0.126.5", "127.0.126.9"
TODAY = dt.date.today()
YEARS = range(2021, TODAY.year)  # each published on March 20 of the next year


def _farm() -> tuple[Farm, list, object]:
    farm = Farm()
    govs = browser_portals(farm, HOSTS, YEARS, offsite=OFFSITE)
    plain = build_site(farm, "plain", "平常县", PLAIN_HOST, "trs4", years=YEARS, per_page=3, quirks=False)
    add_robots(farm, PLAIN_HOST)
    farm.add(OFFSITE, "/t.js", Resource(b"var tracked = 1;", content_type="application/javascript"))
    return farm, govs, plain


def _crawl_and_build(tmp_path_factory, name: str, farm: Farm, govs) -> dict:
    data = tmp_path_factory.mktemp(name)
    entries = [{**g.registry_entry(farm), "reports_from": YEARS.start} for g in govs]
    path = data / "registry.yaml"
    path.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
    summary = run_crawl(list(load_registry(path)), data, POLITE)
    build = run_build(data, path, TODAY, send_alerts=False)
    assert build.published, build.describe()
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        coverage = {
            (g, y): (s, r)
            for g, y, s, r in con.execute(
                "select government_id, report_year, status, status_reason from marts.report_coverage"
            ).fetchall()
        }
        explained = dict(
            ((g, y), r)
            for g, y, r in con.execute(
                "select government_id, report_year, reason from marts.coverage_explained"
            ).fetchall()
        )
        reports = con.execute("select government_id, url from marts.annual_reports").fetchall()
    finally:
        con.close()
    return {"summary": summary, "coverage": coverage, "explained": explained, "reports": reports}


def _due(year: int) -> bool:
    return dt.date(year + 1, 4, 1) < TODAY


def _published(year: int) -> str:
    return "on_time" if dt.date(year + 1, 3, 20) <= TODAY else "not_due"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    farm, govs, plain = _farm()
    shared = None
    with farm, pytest.MonkeyPatch.context() as mp:
        before = {id(b): len(b.stats.rendered) for b in browser_mod._shared.values()}
        with_browser = _crawl_and_build(tmp_path_factory, "with", farm, [*govs, plain])
        shared = browser_mod._shared[browser_mod.find_chromium()]
        rendered = shared.stats.rendered[before.get(id(shared), 0) :]
        mp.setenv("FZZF_BROWSER", "0")
        without = _crawl_and_build(tmp_path_factory, "without", farm, [*govs, plain])
        offsite_requests = farm.requests_to(host=OFFSITE)
    return {
        "govs": govs, "plain": plain, "with": with_browser, "without": without, "shared": shared,
        "rendered": rendered, "offsite_requests": offsite_requests,
    }  # fmt: skip


def test_each_browser_portal_is_crawled_end_to_end_with_chromium(world):
    assert browser_mod.find_chromium(), browser_mod.INSTALL_HINT
    landed = {url.split(":", 2)[-1].split("/", 1)[1] for _g, url in world["with"]["reports"]}
    for gov in [*world["govs"], world["plain"]]:
        for path, year in gov.expected.items():
            assert path.lstrip("/") in landed, (gov.id, path)
            status = world["with"]["coverage"][(gov.id, year)][0]
            assert status == _published(year), (gov.id, year, status)
    assert world["with"]["summary"].results and {r.status for r in world["with"]["summary"].results} == {"ok"}


def test_without_the_browser_they_are_unknown_needs_a_browser_never_missing(world):
    cov, explained = world["without"]["coverage"], world["without"]["explained"]
    for gov in world["govs"]:
        for year in gov.expected.values():
            if not _due(year):
                continue
            status, reason = cov[(gov.id, year)]
            assert status == "unknown", (gov.id, year, status, reason)
            # list pages: the portal could not be read ("portal never reached: …"); report pages: the link failed
            assert "needs a browser" in explained[(gov.id, year)], (gov.id, year, explained[(gov.id, year)])
    # The plain portal does not care.
    for year in world["plain"].expected.values():
        assert cov[("plain", year)][0] == _published(year)


def test_the_browser_never_requests_another_host(world):
    assert world["offsite_requests"] == 0
    blocked = world["shared"].stats.blocked
    assert any(OFFSITE in url and why == "off the site" for url, why in blocked), blocked
    assert any(url.endswith("/images/banner.png") for url, _why in blocked)  # images are not fetched either


def test_only_the_pages_that_need_it_go_to_the_browser(world):
    # Three list pages (412, 521, XHR) and the hidden-data report pages; the challenge sites' report pages were read
    # plainly with the cookie the browser handed over, and the plain portal never needed it.
    hidden = next(g for g in world["govs"] if g.family == "hidden")
    need = {f"{g.id}:{g.list_path}" for g in world["govs"] if g.family != "hidden"}
    need |= {f"{hidden.id}:{path}" for path in hidden.expected}
    by_host = {g.host: g.id for g in world["govs"]}
    got = [f"{by_host.get(url.split('/')[2].split(':')[0])}:/{url.split('/', 3)[3]}" for url, _why in world["rendered"]]
    assert sorted(got) == sorted(need)


def test_plain_pages_never_start_the_browser(tmp_path):
    farm = Farm()
    gov = build_site(farm, "p2", "平常二县", "127.0.126.6", "countpage", years=YEARS, per_page=2)
    add_robots(farm, "127.0.126.6")
    path = tmp_path / "r.yaml"
    with farm:
        entry = {**gov.registry_entry(farm), "reports_from": YEARS.start}
        path.write_text(yaml.safe_dump({"governments": [entry]}, allow_unicode=True), encoding="utf-8")
        fetcher = Fetcher(POLITE, tmp_path)
        result = crawl_government(next(iter(load_registry(path))), tmp_path, POLITE, fetcher=fetcher)
        fetcher.close()
    assert result.reports_found >= len(YEARS)
    assert fetcher.browser.needed == 0 and fetcher.browser.browser is None


def test_browser_requests_keep_the_per_host_spacing(tmp_path):
    farm = Farm()
    browser_portals(farm, HOSTS, range(2022, 2024), offsite=OFFSITE)
    farm.add(OFFSITE, "/t.js", Resource(b""))
    delay = 0.3
    with farm:
        fetcher = Fetcher(Politeness(delay=delay, retries=0, timeout=5, allow_private_hosts=True))
        resp = fetcher.fetch(farm.url(HOSTS["jsl"], "/b_jsl/"), allowed_hosts={HOSTS["jsl"]}, reads="list")
        again = fetcher.fetch(farm.url(HOSTS["jsl"], "/b_jsl/"), allowed_hosts={HOSTS["jsl"]}, reads="list")
        fetcher.close()
    starts = sorted(r.at for r in farm.log if r.host == HOSTS["jsl"])
    # robots.txt, the plain 521, the browser's request, its reload after the cookie, then a plain request with it
    assert len(starts) == 5 and resp.requests == 4 and again.requests == 1
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= delay - 0.25
    assert resp.status == 200 and again.status == 200 and b"<li>" in again.content


def test_where_chromium_is_and_how_to_get_it(tmp_path):
    assert browser_mod.find_chromium(BrowserSettings(chromium="")) is not None
    missing = BrowserSettings(chromium=str(tmp_path / "no-chromium"))
    assert browser_mod.find_chromium(missing) is None
    assert "apt-get install chromium" in browser_mod.chromium_problem(missing)
    assert "FZZF_BROWSER=0" in browser_mod.chromium_problem(BrowserSettings(enabled=False))


def test_memory_cap_restarts_chromium_and_the_time_cap_fails_the_read(tmp_path):
    farm = Farm()
    browser_portals(farm, HOSTS, range(2022, 2024), offsite=OFFSITE)
    farm.add(OFFSITE, "/t.js", Resource(b""))
    # A challenge whose script never sets the cookie the server wants: the page stays a challenge.
    farm.add("127.0.126.7", "/loop/", Resource(b"<html><body><script>document.cookie='x=1';</script></body></html>"))
    farm.add("127.0.126.7", "/robots.txt", Resource(b"", status=404))
    chromium = browser_mod.find_chromium()
    capped = browser_mod.Browser(BrowserSettings(max_mb=1, timeout=3), chromium)
    try:
        with farm:
            fetcher = Fetcher(POLITE, browser=browser_mod.BrowserHook(BrowserSettings()))
            fetcher.browser.browser = capped
            for kind in ("ruishu", "jsl"):
                fetcher.fetch(farm.url(HOSTS[kind], f"/b_{kind}/"), allowed_hosts={HOSTS[kind]}, reads="list")
            assert capped.stats.started == 2 and capped.stats.pages == 2  # over 1 MB after each page: a new one
            with pytest.raises(browser_mod.FetchError, match="still not readable after 3 s") as err:
                fetcher.fetch(farm.url("127.0.126.7", "/loop/"), allowed_hosts={"127.0.126.7"}, reads="list")
            assert err.value.kind == "browser" and err.value.requests_made >= 2
            fetcher.close()
    finally:
        capped.close()


def test_a_forked_worker_gets_its_own_browser():
    import multiprocessing

    chromium = browser_mod.find_chromium()
    parent = browser_mod.shared_browser(BrowserSettings(), chromium)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()

    def child() -> None:
        mine = browser_mod.shared_browser(BrowserSettings(), chromium)
        out.put((mine is not parent, mine._thread.is_alive()))

    proc = ctx.Process(target=child)
    proc.start()
    proc.join(30)
    assert out.get(timeout=5) == (True, True)


def _answer(status: int, body: str, ctype: str = "text/html") -> browser_mod.Response:
    return browser_mod.Response("http://127.0.0.1/x/", status, body.encode("utf-8"), {"content-type": ctype})


def test_which_answers_are_challenges_and_which_are_script_built():
    cookie_only = "<html><body><script>document.cookie='a=1';location.reload()</script></body></html>"
    assert "Ruishu" in browser_mod.challenge(_answer(412, "<script>var $_ts=window['$_ts'];</script>"))
    assert "521" in browser_mod.challenge(_answer(521, "<script>document.cookie='__jsl_clearance=1'</script>"))
    assert "only content" in browser_mod.challenge(_answer(200, cookie_only))
    # Not challenges: an error status without the script, a page with real text beside a cookie script, JSON.
    assert browser_mod.challenge(_answer(412, "Precondition Failed")) is None
    text = "<p>" + "法治政府建设年度报告正文" * 5 + "</p><script>document.cookie='visited=1'</script>"
    assert browser_mod.challenge(_answer(200, text)) is None
    assert browser_mod.challenge(_answer(200, '{"document.cookie=": 1}', "application/json")) is None
    empty_list = '<ul id="list"></ul><script>var x = new XMLHttpRequest(); x.open("GET", "/api");</script>'
    assert "list" in browser_mod.script_built(_answer(200, empty_list), "list")
    listed = '<ul><li><a href="/a/t1.html">测试县2023年法治政府建设年度报告</a><span>2024-03-20</span></li></ul>'
    assert browser_mod.script_built(_answer(200, listed + empty_list), "list") is None  # the HTML holds the list
    assert browser_mod.script_built(_answer(200, '<ul id="list"></ul>'), "list") is None  # empty, no script
    assert browser_mod.script_built(_answer(404, empty_list), "list") is None
