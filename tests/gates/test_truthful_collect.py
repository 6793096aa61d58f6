"""What the crawl read wrongly or lost must come back as `unknown` or as the report, never as `missing` (issue 20,
items 1, 2, 4 and 6), on real crawls from a local farm and real builds.

``world`` (items 1 and 6): a page that is not what the crawl asked for is a failed read, never an empty list. One
data directory crawled with ``fzzf crawl`` from a local farm and built with ``fzzf build``:

- ``w1``: its list page answers HTTP 200 with a WAF page (访问过于频繁) in place of the list;
- ``n1``: a list under 260 unclosed ``<div>``s (libxml2 stopped at 256 levels: no link was read), whose 2023 report
  has an unclosed ``<font>`` per paragraph (400 paragraphs; 252 were kept);
- ``n2``: a list nested deeper than any parser reads (2,100 levels): the page is cut, so the read failed;
- ``h1``: a home page only (column discovery), which answers with the WAF page too;
- ``g1``: a real gap (no 2023 report), the control that alerts still go out.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
import yaml
from alerts.receiver import Receiver
from farm.server import Farm, Resource
from farm.sites import build_site, report_paragraphs

from scrapers import cli
from scrapers.demo.pages import render_report_page
from scrapers.landing import Landing

pytestmark = [pytest.mark.gates, pytest.mark.integration]

TODAY = dt.date(2024, 6, 30)  # past due (2024-04-01) and grace of the 2023 reports
WAF = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>访问过于频繁</title></head><body>"
    "<div class='box'><h1>访问过于频繁，请稍后再试</h1><p>您的访问已被网站防火墙拦截。</p>"
    "<a href='/'>返回首页</a></div></body></html>"
).encode()
PARAGRAPHS = 400


def _environment() -> pytest.MonkeyPatch:
    """The day is TODAY, one try per request with no wait, the registry from --registry, no alert channel."""
    mp = pytest.MonkeyPatch()
    for key, value in (("FZZF_TODAY", TODAY.isoformat()), ("FZZF_RETRIES", "1"), ("FZZF_BACKOFF", "0")):
        mp.setenv(key, value)
    mp.delenv("FZZF_REGISTRY", raising=False)
    mp.delenv("FZZF_ALERT_URLS", raising=False)
    return mp


def _nested_list(body: bytes, depth: int) -> bytes:
    # the farm's own list page, its content under ``depth`` unclosed <div>s (as broken templates leave them)
    return body.replace(b"<body>", b"<body>" + b"<div>" * depth, 1)


def _unclosed_font_report(name: str, year: int) -> tuple[bytes, list[str]]:
    base = report_paragraphs(name, year, 3)
    paragraphs = [f"{base[i % len(base)]}（第{i + 1}段）" for i in range(PARAGRAPHS)]
    body = "".join(f'<font face="仿宋">{p}<br>' for p in paragraphs)  # no </font>: each paragraph one level deeper
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name}{year}年法治政府建设年度报告</title></head>"
        f"<body><div class='TRS_Editor'>{body}</div></body></html>"
    )
    return page.encode(), paragraphs


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collect-truth")
    data = tmp / "data"
    mp = _environment()
    farm = Farm()
    kw = {"look_alikes": False, "quirks": False}
    waf = build_site(farm, "w1", "访问县", "127.0.120.1", "trs4", range(2021, 2024), **kw)
    farm.add("127.0.120.1", "/w1/", Resource(WAF))
    nested = build_site(farm, "n1", "嵌套县", "127.0.120.2", "trs4", range(2021, 2024), per_page=10, **kw)
    farm.add("127.0.120.2", "/n1/", Resource(_nested_list(farm.sites["127.0.120.2"]["/n1/"].body, 260)))
    report_path = next(p for p, y in nested.expected.items() if y == 2023)
    report, paragraphs = _unclosed_font_report("嵌套县", 2023)
    farm.add("127.0.120.2", report_path, Resource(report))
    deep = build_site(farm, "n2", "深层县", "127.0.120.3", "trs4", range(2021, 2024), per_page=10, **kw)
    farm.add("127.0.120.3", "/n2/", Resource(_nested_list(farm.sites["127.0.120.3"]["/n2/"].body, 2100)))
    farm.add("127.0.120.4", "/", Resource(WAF))
    gap = build_site(farm, "g1", "缺报县", "127.0.120.5", "trs4", range(2021, 2023), **kw)
    receiver = Receiver().__enter__()
    mp.setenv("FZZF_ALERT_URLS", receiver.url)
    with farm:
        entries = [{**g.registry_entry(farm), "reports_from": 2021} for g in (waf, nested, deep, gap)]
        entries.append({"id": "h1", "name": "首页县人民政府", "level": "county", "province": "测试省",
                        "reports_from": 2021, "list_urls": [], "home_url": farm.url("127.0.120.4", "/")})  # fmt: skip
        registry = tmp / "registry.yaml"
        registry.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
        crawl = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts", "--delay",
                 "0", "--no-progress"]  # fmt: skip
        crawled = cli.main(crawl)
    built = cli.main(["build", "--data-dir", str(data)])
    yield {"data": data, "receiver": receiver, "crawled": crawled, "built": built, "paragraphs": paragraphs,
           "report_url": farm.url("127.0.120.2", report_path)}  # fmt: skip
    receiver.__exit__(None, None, None)
    mp.undo()


def _query(world, sql, params=()):
    con = duckdb.connect(str(world["data"] / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _coverage(world, gov):
    # the due years only (2024 is not_due on TODAY)
    rows = _query(world, "select report_year, status, status_reason from marts.report_coverage "
                  "where government_id = ? and report_year <= 2023", [gov])  # fmt: skip
    return {year: (status, reason) for year, status, reason in rows}


def _crawl_log(world, gov):
    return [r for r in Landing(world["data"]).read_rows("crawl_log") if r["government_id"] == gov]


def test_the_pipeline_ran(world):
    assert world["crawled"] == 0 and world["built"] == 0


def test_a_waf_page_in_place_of_the_list_is_a_failed_read_and_its_years_unknown(world):
    (row,) = _crawl_log(world, "w1")
    assert row["status"] == "failed" and "not a list" in row["error"] and "访问过于频繁" in row["error"]
    coverage = _coverage(world, "w1")
    assert {year: status for year, (status, _r) in coverage.items()} == {2021: "unknown", 2022: "unknown",
                                                                         2023: "unknown"}  # fmt: skip
    assert all(reason for _s, reason in coverage.values())
    # its validators were not kept: the next run asks for the list afresh, not "304, unchanged"
    state = json.loads((world["data"] / "state" / "w1.json").read_text(encoding="utf-8"))
    assert not (state["sources"].get(row["list_url"]) or {}).get("etag")


def test_a_waf_page_during_column_discovery_is_not_remembered_as_no_column(world):
    state = json.loads((world["data"] / "state" / "h1.json").read_text(encoding="utf-8"))
    assert state.get("columns", {}) == {}  # looked for again next run, not "no column found" for 30 days
    (row,) = _crawl_log(world, "h1")
    assert row["status"] == "failed" and "not a list" in row["error"]
    assert "not readable" in (row["discovery"] or "")


def test_a_list_under_260_unclosed_divs_is_read_whole(world):
    assert {year: status for year, (status, _r) in _coverage(world, "n1").items()} == {
        2021: "on_time", 2022: "on_time", 2023: "on_time"}  # fmt: skip


def test_a_report_with_an_unclosed_tag_per_paragraph_lands_whole(world):
    (body,) = _query(world, "select body from marts.annual_reports where government_id = 'n1' and report_year = 2023")[
        0
    ]
    lines = body.split("\n")
    assert len(lines) == PARAGRAPHS and lines[-1] == world["paragraphs"][-1]


def test_a_list_nested_deeper_than_the_parser_reads_is_a_failed_read(world):
    (row,) = _crawl_log(world, "n2")
    assert row["status"] == "failed" and "the parser cut the page" in row["error"]
    assert {status for status, _r in _coverage(world, "n2").values()} == {"unknown"}


def test_only_the_real_gap_is_alerted(world):
    assert _query(world, "select government_id, report_year from marts.missing_reports") == [("g1", 2023)]
    messages = world["receiver"].messages("newly missing")  # the weekly "cannot verify" digest goes apart
    assert len(messages) == 1 and "[g1] 2023" in messages[0]
    [unknowns] = world["receiver"].messages("cannot be verified")
    assert "[g1]" not in unknowns  # the gap is alerted once, as missing, not also as unverifiable


@pytest.fixture(scope="module")
def relanded(tmp_path_factory):
    """Issue 20, item 2: crawl, the landed reports file damaged on disk, build (quarantines it), crawl, build."""
    tmp = tmp_path_factory.mktemp("relanded")
    data = tmp / "data"
    mp = _environment()
    farm = Farm()
    gov = build_site(farm, "r1", "重落县", "127.0.120.6", "trs4", range(2021, 2024), look_alikes=False, quirks=False)
    out = {"data": data}
    with farm:
        registry = tmp / "registry.yaml"
        entry = {**gov.registry_entry(farm), "reports_from": 2021}
        registry.write_text(yaml.safe_dump({"governments": [entry]}, allow_unicode=True), encoding="utf-8")
        crawl = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts", "--delay",
                 "0", "--no-progress"]  # fmt: skip
        assert cli.main(crawl) == 0
        (damaged,) = (data / "landing" / "reports").glob("*/r1.jsonl")
        damaged.write_bytes(b"\x00\xff" + damaged.read_bytes()[:-200])  # neither UTF-8 nor whole lines
        out["damaged"] = damaged
        assert cli.main(["build", "--data-dir", str(data), "--no-alerts"]) == 0
        out["after_quarantine"] = _coverage({"data": data}, "r1")
        farm.reset_log()
        assert cli.main(crawl) == 0
        out["report_requests"] = sum(1 for r in farm.log if r.path in gov.expected)
        out["list_answers"] = [r.headers.get("if-none-match") for r in farm.log if r.path == "/r1/"]
    assert cli.main(["build", "--data-dir", str(data), "--no-alerts"]) == 0
    yield out
    mp.undo()


def test_reports_of_a_quarantined_landing_file_are_fetched_and_landed_again(relanded):
    data = relanded["data"]
    kept = data / "quarantine" / "landing" / "reports" / relanded["damaged"].parent.name / "r1.jsonl"
    assert kept.exists() and not relanded["damaged"].exists()
    # the list answered 304 (nothing new on it), and the three report pages were asked for all the same
    assert relanded["list_answers"] and all(relanded["list_answers"])
    assert relanded["report_requests"] == 3
    assert {year: status for year, (status, _r) in _coverage({"data": data}, "r1").items()} == {
        2021: "on_time", 2022: "on_time", 2023: "on_time"}  # fmt: skip


def test_the_build_that_quarantines_a_reports_file_holds_its_years_unknown_until_the_next_crawl(relanded):
    # the reports exist (the crawl landed them; only the file was damaged): never `missing`, not even in the build
    # that moved the file away, nor in any build before the next crawl fetches them again
    kept = f"quarantine/landing/reports/{relanded['damaged'].parent.name}/r1.jsonl"
    after = relanded["after_quarantine"]
    assert {year: status for year, (status, _r) in after.items()} == {2021: "unknown", 2022: "unknown", 2023: "unknown"}
    assert all(
        reason == f"a landing file of this government was damaged and quarantined ({kept}); its reports are fetched "
        "again at the next crawl"
        for _status, reason in after.values()
    ), after


@pytest.fixture(scope="module")
def relinked(tmp_path_factory):
    """A damaged links file of the latest run: it held the only evidence (an error row) of a failing report link.
    Crawl (the 2023 link answers HTTP 500), the run's links file damaged on disk, build (quarantines it), crawl,
    build."""
    tmp = tmp_path_factory.mktemp("relinked")
    data = tmp / "data"
    mp = _environment()
    farm = Farm()
    gov = build_site(farm, "l1", "断链县", "127.0.120.8", "trs4", range(2021, 2024), look_alikes=False, quirks=False)
    failing = next(p for p, y in gov.expected.items() if y == 2023)
    farm.add("127.0.120.8", failing, Resource(b"server error", status=500))
    out = {"data": data}
    with farm:
        registry = tmp / "registry.yaml"
        entry = {**gov.registry_entry(farm), "reports_from": 2021}
        registry.write_text(yaml.safe_dump({"governments": [entry]}, allow_unicode=True), encoding="utf-8")
        crawl = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts", "--delay",
                 "0", "--no-progress"]  # fmt: skip
        assert cli.main(crawl) == 0
        (damaged,) = (data / "landing" / "links").glob("*/l1.jsonl")
        damaged.write_bytes(b"\x00\xff" + damaged.read_bytes()[:-20])
        out["kept"] = f"quarantine/landing/links/{damaged.parent.name}/l1.jsonl"
        assert cli.main(["build", "--data-dir", str(data), "--no-alerts"]) == 0
        out["after_quarantine"] = _coverage({"data": data}, "l1")
        assert cli.main(crawl) == 0
    assert cli.main(["build", "--data-dir", str(data), "--no-alerts"]) == 0
    out["after_crawl"] = _coverage({"data": data}, "l1")
    yield out
    mp.undo()


def test_a_quarantined_links_file_holds_the_years_unknown_until_the_next_crawl(relinked):
    # the error row of the failing 2023 link was in the damaged file: without it 2023 would read `missing`
    after = relinked["after_quarantine"]
    assert after[2021][0] == after[2022][0] == "on_time"
    assert after[2023] == ("unknown", f"a landing file of this government was damaged and quarantined "
                           f"({relinked['kept']}); the next crawl records its links again")  # fmt: skip
    # the next crawl asked the link again (it stayed pending in the state): its own evidence speaks again
    status, reason = relinked["after_crawl"][2023]
    assert status == "unknown" and "could not be fetched" in reason and "HTTP 500" in reason, reason


def _report(name: str, year: int, date: dt.date, k: int = 0) -> Resource:
    body = render_report_page("trs", title=f"{name}{year}年法治政府建设年度报告", paragraphs=report_paragraphs(
        name, year, k), publish_date=date, source=f"{name}司法局", site_name=f"{name}人民政府", related=[])  # fmt: skip
    return Resource(body)


def _list(items: list[tuple[str, str, dt.date]]) -> Resource:
    lis = "".join(f'<li><a href="{href}">{title}</a><span>{d.isoformat()}</span></li>' for href, title, d in items)
    return Resource(
        f"<html><head><title>法治政府建设年度报告</title></head><body><ul>{lis}</ul></body></html>".encode()
    )


@pytest.fixture(scope="module")
def rejudged(tmp_path_factory):
    """Issue 20, item 4, three crawls and a build: ``a1`` signs its reports with its former name (skipped as
    reposts), then the registry gains that name in ``aliases``; ``m1``'s 2023 report moves (old URL 404, the
    same text at a new URL that the first crawl judged a duplicate)."""
    tmp = tmp_path_factory.mktemp("rejudged")
    data = tmp / "data"
    mp = _environment()
    mp.setenv("FZZF_REVISIT_DAYS", "0")  # known reports re-checked every run (the 404 is seen at once)
    farm = Farm()
    renamed = build_site(farm, "a1", "旧名县人民政府", "127.0.120.7", "trs4", range(2021, 2024), look_alikes=False,
                         quirks=False)  # fmt: skip
    host, name = "127.0.120.8", "移址县"
    old, new = "/m1/202403/t20240320_1.html", "/m1/new/t20240301_9.html"
    farm.add(host, old, _report(name, 2023, dt.date(2024, 3, 20)))
    farm.add(host, new, _report(name, 2023, dt.date(2024, 3, 20)))
    farm.add(host, "/m1/202303/t20230320_1.html", _report(name, 2022, dt.date(2023, 3, 20), k=1))
    farm.add(host, "/m1/", _list([
        (old, f"{name}2023年法治政府建设年度报告", dt.date(2024, 3, 20)),
        (new, f"{name}2023年法治政府建设年度报告（新址）", dt.date(2024, 3, 1)),
        ("/m1/202303/t20230320_1.html", f"{name}2022年法治政府建设年度报告", dt.date(2023, 3, 20)),
    ]))  # fmt: skip
    out = {"data": data}
    with farm:
        entries = [
            {**renamed.registry_entry(farm), "name": "新名县人民政府", "reports_from": 2021},
            {"id": "m1", "name": f"{name}人民政府", "level": "county", "province": "测试省", "reports_from": 2022,
             "list_urls": [farm.url(host, "/m1/")]},
        ]  # fmt: skip
        registry = tmp / "registry.yaml"

        def crawl() -> None:
            registry.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
            assert cli.main(["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts",
                             "--delay", "0", "--no-progress"]) == 0  # fmt: skip

        crawl()
        out["first"] = {(r["government_id"], r["url"].split(":", 2)[2].split("/", 1)[1]): r["reason"]
                        for r in Landing(data).read_rows("links")}  # fmt: skip
        entries[0]["aliases"] = ["旧名县人民政府"]
        farm.add(host, old, Resource(b"<html><body>404 Not Found</body></html>", status=404))
        crawl()  # a1: judged again with the alias; m1: the old URL is gone, the copy becomes pending
        crawl()  # m1: the copy is asked again (its list answers 304) and lands
    assert cli.main(["build", "--data-dir", str(data), "--no-alerts"]) == 0
    out["old"], out["new"] = farm.url(host, old), farm.url(host, new)
    yield out
    mp.undo()


def test_reports_skipped_as_reposts_are_judged_again_when_the_registry_gains_the_alias(rejudged):
    first = {path: why for (gov, path), why in rejudged["first"].items() if gov == "a1"}
    assert len(first) == 3 and all(why.startswith("repost: signed by 旧名县人民政府") for why in first.values())
    assert {year: status for year, (status, _r) in _coverage(rejudged, "a1").items()} == {
        2021: "on_time", 2022: "on_time", 2023: "on_time"}  # fmt: skip


def test_a_moved_report_is_canonical_at_its_new_url_once_the_old_one_is_gone(rejudged):
    first = {path: why for (gov, path), why in rejudged["first"].items() if gov == "m1"}
    assert first["m1/new/t20240301_9.html"].startswith("duplicate: same text as")
    rows = _query(rejudged, "select url, is_online from marts.annual_reports where government_id = 'm1' and "
                  "report_year = 2023")  # fmt: skip
    assert rows == [(rejudged["new"], True)]
    assert _coverage(rejudged, "m1")[2023][0] == "on_time"
