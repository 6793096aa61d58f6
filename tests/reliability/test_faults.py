"""One crawl against a farm of misbehaving portals, then a second after some reports changed or vanished.

Two healthy governments sit among fourteen faulty ones; each faulty government has its own site (its own loopback
address) with one fault. The same healthy governments are also crawled alone, on a clean data directory, so "every
other government's results are intact" is a comparison, not a count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest

from .conftest import (
    AS_OF,
    Gov,
    all_landing_files_parse,
    base_env,
    healthy,
    landing_rows,
    make_report,
    netlog,
    publish,
    query,
    run_fzzf,
    runs,
    write_registry,
)
from .farm import (
    Farm,
    binary_junk,
    hang,
    huge,
    list_page,
    not_found,
    page,
    redirect,
    reset,
    statuses_then,
    truncated,
    versions,
)

pytestmark = pytest.mark.reliability

TEN_MB = 10 * 1024 * 1024
CAP = 8 * 1024 * 1024  # the crawler's default size cap (settings.Politeness.max_bytes)
HEALTHY = ("ok_a", "ok_b")


@dataclasses.dataclass
class Scenario:
    farm: Farm
    govs: dict[str, Gov]
    data: object
    baseline: object
    tmp: object
    crawl1: object
    build1: object
    crawl2: object
    build2: object
    recorders: list
    canary: object
    notes: dict


def _build_farm(farm: Farm, canary) -> tuple[dict[str, Gov], list, dict]:
    govs: dict[str, Gov] = {}
    notes: dict = {}

    def gov(gid, name):
        g = Gov(gid, name, farm.site(gid))
        govs[gid] = g
        return g

    govs["ok_a"] = healthy(farm, "ok_a", "安州区")
    govs["ok_b"] = healthy(farm, "ok_b", "南开区", family="table_gbk")

    # 500, 502, 503, then a normal list; the first report page answers 503 once.
    g = gov("f_5xx", "涪城区")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    g.site.set(
        g.list_path,
        statuses_then([500, 502, 503], page(list_page([(r.title, r.path, r.publish_date) for r in reports]))),
    )
    g.site.set(reports[0].path, statuses_then([503], page(reports[0].render())))

    # The whole site hangs: robots.txt and the list page alike.
    g = gov("f_timeout", "游仙区")
    g.site.set("/robots.txt", hang(g.site))
    g.site.set(g.list_path, hang(g.site))

    # The list page resets the connection (robots.txt is fine).
    g = gov("f_reset", "三台县")
    publish(g, [make_report(g.name, 2022, 0)])
    g.site.set(g.list_path, reset())

    # One report page is cut off after 2 KB of a declared length; the other is fine.
    g = gov("f_truncated", "盐亭县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    body = reports[1].render()
    g.site.set(reports[1].path, truncated(body, 2048))
    notes["truncated_url"] = g.report_url(reports[1])

    # Two 10 MB report pages (one declares its length, one streams without it) and one normal report.
    g = gov("f_huge", "梓潼县")
    reports = [make_report(g.name, 2020, 0), make_report(g.name, 2021, 1), make_report(g.name, 2022, 2)]
    publish(g, reports)
    g.site.set(reports[0].path, huge(TEN_MB, declare_length=True))
    g.site.set(reports[1].path, huge(TEN_MB, declare_length=False))
    notes["huge_urls"] = [g.report_url(r) for r in reports[:2]]

    # The list page redirects in a loop.
    g = gov("f_loop", "北川县")
    g.site.set("/robots.txt", not_found())
    g.site.set(g.list_path, redirect("/col/loop/b.html"))
    g.site.set("/col/loop/b.html", redirect(g.list_path))

    # One report redirects off the site (to a recorder on another loopback address); the other is fine.
    g = gov("f_offsite", "平武县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    recorder = farm.site("recorder_a", host="127.0.0.2")
    recorder.set("/stolen.html", page(reports[0].render()))
    g.site.set(reports[0].path, redirect(recorder.url("/stolen.html")))
    notes["offsite_url"] = g.report_url(reports[0])

    # robots.txt forbids the column.
    g = gov("f_robots", "江油市")
    publish(g, [make_report(g.name, 2022, 0)], robots="User-agent: *\nDisallow: /col/\n")

    # Binary junk served as text/html for one report.
    g = gov("f_binary", "安县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    g.site.set(reports[1].path, page(binary_junk(40_000), "text/html; charset=utf-8"))
    notes["binary_url"] = g.report_url(reports[1])

    # Wrong charsets: GB18030 bytes declared UTF-8 (header and meta), UTF-8 bytes declared GBK.
    g = gov("f_charset", "青川县")
    reports = [make_report(g.name, 2021, 0, family="trs"), make_report(g.name, 2022, 1, family="trs")]
    publish(g, reports)
    g.site.set(reports[0].path, page(reports[0].render(encoding="gb18030"), "text/html; charset=utf-8"))
    g.site.set(
        reports[1].path,
        page(reports[1].render().replace(b'<meta charset="utf-8">', b'<meta charset="gbk">'), "text/html; charset=gbk"),
    )

    # Malformed HTML: stray </html> after the header, unclosed tags, a broken comment, garbage attributes.
    g = gov("f_malformed", "剑阁县")
    reports = [make_report(g.name, 2022, 0, family="hanweb")]
    publish(g, reports)
    mangled = (
        reports[0]
        .render()
        .replace(b"</p>", b"")
        .replace(b"</div>", b"", 3)
        .replace(b"<body>", b'<body><!-- unterminated <div class="x" <<b>>< a href=\'', 1)
    )
    g.site.set(reports[0].path, page(mangled))
    notes["malformed_report"] = reports[0]

    # A report that is edited after publication (switched to version 2 between the runs).
    g = gov("f_changed", "旺苍县")
    reports = [make_report(g.name, 2022, 0)]
    publish(g, reports)
    edited = dataclasses.replace(
        reports[0], paragraphs=(*reports[0].paragraphs, "（2023年4月10日更正：补充行政复议案件数据。）")
    )
    route, switch = versions([page(reports[0].render()), page(edited.render())])
    g.site.set(reports[0].path, route)
    notes["changed"] = (g.report_url(reports[0]), switch, edited)

    # A report deleted after it was collected: the URL answers 404 and the list no longer links it.
    g = gov("f_deleted", "苍溪县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    notes["deleted"] = (g, reports)

    # Links to private and foreign addresses, file:// and javascript:, all with report-looking titles.
    g = gov("f_private", "利州区")
    reports = [make_report(g.name, 2022, 0)]
    recorder_b = farm.site("recorder_b", host="127.0.0.3")
    bait = [
        (f"{g.name}人民政府2021年法治政府建设年度报告", recorder.url("/bait.html")),
        (f"{g.name}人民政府2020年法治政府建设年度报告", recorder_b.url("/bait.html")),
        (f"{g.name}人民政府2019年法治政府建设年度报告", "http://10.0.0.1/report.html"),
        (f"{g.name}人民政府2018年法治政府建设年度报告", "http://169.254.169.254/latest/meta-data/"),
        (f"{g.name}人民政府2017年法治政府建设年度报告", f"file://{canary}"),
        (f"{g.name}人民政府2016年法治政府建设年度报告", "javascript:window.open('http://127.0.0.3/js.html')"),
        (f"{g.name}人民政府2015年法治政府建设年度报告", "http://[::ffff:10.0.0.2]/v6mapped.html"),
    ]
    publish(g, reports, [(t, h, dt.date(2023, 3, 1)) for t, h in bait])
    notes["bait"] = [h for _t, h in bait]
    return govs, [recorder, recorder_b], notes


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    canary = tmp / "canary-secret.txt"
    canary.write_text("file:// links must never be read\n", encoding="utf-8")
    farm = Farm()
    try:
        govs, recorders, notes = _build_farm(farm, canary)
        registry = write_registry(tmp / "registry.yaml", list(govs.values()))
        env = base_env(tmp, FZZF_TEST_CANARIES=str(canary))
        data = tmp / "data"

        # Baseline: the healthy governments alone, on a clean data directory.
        baseline = tmp / "baseline"
        base_reg = write_registry(tmp / "baseline.yaml", [govs[g] for g in HEALTHY])
        ran = run_fzzf(
            ["crawl", "--registry", str(base_reg), "--data-dir", str(baseline), "--allow-private-hosts"], env
        )
        assert ran.returncode == 0, ran.output[-3000:]

        crawl1 = run_fzzf(["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts"], env)
        build1 = run_fzzf(
            [
                "build",
                "--registry",
                str(registry),
                "--data-dir",
                str(data),
                "--as-of",
                AS_OF.isoformat(),
                "--no-alerts",
            ],
            env,
            timeout=300,
        )

        # Between the runs: one report edited, one deleted (gone from the list, its URL 404).
        url, switch, _edited = notes["changed"]
        switch(1)
        g, reports = notes["deleted"]
        publish(g, reports[:1])
        g.site.set(reports[1].path, not_found())
        env2 = dict(env, FZZF_REVISIT_DAYS="0")  # a week later: known reports are due for a re-check
        crawl2 = run_fzzf(
            ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts"], env2
        )
        build2 = run_fzzf(
            [
                "build",
                "--registry",
                str(registry),
                "--data-dir",
                str(data),
                "--as-of",
                AS_OF.isoformat(),
                "--no-alerts",
            ],
            env2,
            timeout=300,
        )
        yield Scenario(farm, govs, data, baseline, tmp, crawl1, build1, crawl2, build2, recorders, canary, notes)
    finally:
        farm.close()


def _log(scenario, gid, run_index=0):
    run = runs(scenario.data)[run_index]
    rows = [r for r in landing_rows(scenario.data, "crawl_log") if r["government_id"] == gid and r["run_id"] == run]
    return rows


def _links(scenario, gid, run_index=0):
    run = runs(scenario.data)[run_index]
    return [r for r in landing_rows(scenario.data, "links") if r["government_id"] == gid and r["run_id"] == run]


def _reports(data, gid):
    return [r for r in landing_rows(data, "reports") if r["government_id"] == gid]


# the run as a whole ------------------------------------------------------------------------------------------------
def test_the_run_completes_and_lands_only_whole_files(scenario):
    assert scenario.crawl1.returncode == 0, scenario.crawl1.output[-3000:]
    assert scenario.crawl2.returncode == 0, scenario.crawl2.output[-3000:]
    assert len(runs(scenario.data)) == 2
    assert all_landing_files_parse(scenario.data) == []
    # Every government has exactly one crawl-log row per run (one list URL each).
    for run_index in (0, 1):
        for gid in scenario.govs:
            assert len(_log(scenario, gid, run_index)) == 1, (gid, run_index)


def test_healthy_governments_results_are_intact(scenario):
    def key(rows):
        return sorted((r["url"], r["title"], r["report_year"], r["publish_date"], r["content_hash"]) for r in rows)

    for gid in HEALTHY:
        alone = _reports(scenario.baseline, gid)
        among_faults = [r for r in _reports(scenario.data, gid) if r["run_id"] == runs(scenario.data)[0]]
        assert len(alone) == 2
        assert key(among_faults) == key(alone), gid
        (row,) = _log(scenario, gid)
        assert row["status"] == "ok" and row["error"] is None, row
    # the look-alike is judged and skipped with a reason, not fetched as a report
    skipped = [r for r in _links(scenario, "ok_a") if "信息公开" in (r["title"] or "")]
    assert skipped and skipped[0]["decision"] == "skipped" and skipped[0]["reason"]


# one test per fault -----------------------------------------------------------------------------------------------
def test_5xx_then_recovery_lands_everything_within_the_retry_budget(scenario):
    (row,) = _log(scenario, "f_5xx")
    assert row["status"] == "ok", row
    assert len(_reports(scenario.data, "f_5xx")) == 2
    site = scenario.govs["f_5xx"].site
    # 3 errors + 1 success on the list page in run 1 (FZZF_RETRIES=3 is not exceeded), and one request in run 2.
    list_hits = site.hits(scenario.govs["f_5xx"].list_path)
    assert len(list_hits) == 5, [h.path for h in list_hits]


def test_timeout_is_one_failed_entry_naming_the_timeout(scenario):
    """The whole site hangs (robots.txt too): the log must say it timed out, not blame robots.txt."""
    (row,) = _log(scenario, "f_timeout")
    assert row["status"] == "failed", row
    assert "timed out" in row["error"].lower() or "timeout" in row["error"].lower(), row["error"]
    # bounded: robots.txt at most retries+1 times per run, and nothing else beyond the list page's attempts
    hits = scenario.govs["f_timeout"].site.hits()
    assert len(hits) <= 2 * 2 * 4, [h.path for h in hits]


def test_connection_reset_is_one_failed_entry_naming_the_reset(scenario):
    (row,) = _log(scenario, "f_reset")
    assert row["status"] == "failed", row
    assert "reset" in row["error"].lower() or "connection" in row["error"].lower(), row["error"]
    assert _reports(scenario.data, "f_reset") == []
    assert len(scenario.govs["f_reset"].site.hits(scenario.govs["f_reset"].list_path)) <= 2 * 4


def test_truncated_body_is_not_landed_and_is_logged(scenario):
    (row,) = _log(scenario, "f_truncated")
    assert row["status"] == "partial", row
    assert row["error"] and scenario.notes["truncated_url"] in row["error"], row
    landed = _reports(scenario.data, "f_truncated")
    assert [r["report_year"] for r in landed] == [2021]
    (link,) = [r for r in _links(scenario, "f_truncated") if r["url"] == scenario.notes["truncated_url"]]
    assert link["decision"] == "error" and link["reason"], link


def test_ten_megabyte_pages_are_refused_at_the_cap(scenario):
    (row,) = _log(scenario, "f_huge")
    assert row["status"] == "partial", row
    assert row["error"] and "cap" in row["error"], row  # the fault's reason is in the crawl log, not only in links
    assert [r["report_year"] for r in _reports(scenario.data, "f_huge")] == [2022]
    for url in scenario.notes["huge_urls"]:
        (link,) = [r for r in _links(scenario, "f_huge") if r["url"] == url]
        assert link["decision"] == "error" and "cap" in link["reason"], link
    # nothing bigger than the cap was kept in the raw store
    for path in (scenario.data / "raw").rglob("*.gz"):
        import gzip

        assert len(gzip.decompress(path.read_bytes())) <= CAP, path


def test_redirect_loop_is_one_failed_entry_and_bounded(scenario):
    (row,) = _log(scenario, "f_loop")
    assert row["status"] == "failed", row
    assert "redirect" in row["error"].lower(), row["error"]
    site = scenario.govs["f_loop"].site
    loop_hits = [h for h in site.hits() if h.path != "/robots.txt"]
    assert len(loop_hits) <= 2 * (5 + 1), len(loop_hits)  # max_redirects=5, two runs


def test_offsite_redirect_is_not_followed(scenario):
    recorder_a = scenario.recorders[0]
    assert recorder_a.hits() == [], recorder_a.hits()
    (row,) = _log(scenario, "f_offsite")
    assert row["status"] == "partial", row
    assert row["error"] and "off the site" in row["error"], row
    (link,) = [r for r in _links(scenario, "f_offsite") if r["url"] == scenario.notes["offsite_url"]]
    assert link["decision"] == "error" and "off the site" in link["reason"], link
    assert [r["report_year"] for r in _reports(scenario.data, "f_offsite")] == [2022]


def test_robots_txt_forbidding_the_column_is_obeyed(scenario):
    site = scenario.govs["f_robots"].site
    assert {h.path for h in site.hits()} == {"/robots.txt"}, [h.path for h in site.hits()]
    (row,) = _log(scenario, "f_robots")
    assert row["status"] == "failed" and "robots" in row["error"], row


def test_binary_junk_is_not_landed_as_a_report(scenario):
    landed = _reports(scenario.data, "f_binary")
    assert [r["report_year"] for r in landed] == [2021], [(r["url"], r["title"]) for r in landed]
    (link,) = [r for r in _links(scenario, "f_binary") if r["url"] == scenario.notes["binary_url"]]
    assert link["decision"] in ("skipped", "error") and link["reason"], link
    (row,) = _log(scenario, "f_binary")
    assert row["status"] == "partial" and row["error"] and scenario.notes["binary_url"] in row["error"], row


def test_every_landed_body_is_clean_text(scenario):
    """No landed report carries decoding debris: U+FFFD, C0/C1 control characters or private-use characters."""
    import unicodedata

    for r in landing_rows(scenario.data, "reports"):
        bad = sorted({c for c in r["body"] if c == "\ufffd" or (unicodedata.category(c) in ("Cc", "Co") and c != "\n")})
        assert not bad, (r["government_id"], r["url"], [hex(ord(c)) for c in bad[:10]])


def test_wrong_charset_declarations_still_decode_correctly(scenario):
    landed = sorted(_reports(scenario.data, "f_charset"), key=lambda r: r["report_year"])
    assert [r["report_year"] for r in landed] == [2021, 2022]
    for r, report in zip(landed, scenario.govs["f_charset"].reports, strict=True):
        assert r["title"] == report.title, r["title"]
        assert report.paragraphs[0] in r["body"], r["body"][:200]
        assert "\ufffd" not in r["body"]


def test_malformed_html_is_extracted(scenario):
    (r,) = _reports(scenario.data, "f_malformed")
    report = scenario.notes["malformed_report"]
    assert r["title"] == report.title
    assert report.paragraphs[0] in r["body"]
    assert report.paragraphs[-1] in r["body"]


def test_private_foreign_and_scripted_links_are_never_requested(scenario):
    for recorder in scenario.recorders:
        assert recorder.hits() == [], (recorder.name, recorder.hits())
    events = netlog(scenario.tmp)
    outside = [e for e in events if e["event"] == "connect" and not e["allowed"]]
    assert outside == [], outside
    assert [e for e in events if e["event"] == "canary"] == []
    looked_up = {e["host"] for e in events if e["event"] == "getaddrinfo"}
    assert not looked_up & {"10.0.0.1", "169.254.169.254", "::ffff:10.0.0.2", "127.0.0.2", "127.0.0.3"}, looked_up
    links = {r["url"]: r for r in _links(scenario, "f_private")}
    for href in scenario.notes["bait"]:
        if href.startswith("http"):
            # judged and refused with a reason: an off-site link is a visible decision, not a silent drop
            assert href in links, (href, sorted(links))
            assert links[href]["decision"] == "skipped" and links[href]["reason"], links[href]
    assert [r["report_year"] for r in _reports(scenario.data, "f_private")] == [2022]


# after publication ---------------------------------------------------------------------------------------------------
def test_changed_report_lands_as_a_new_version(scenario):
    url, _switch, edited = scenario.notes["changed"]
    landed = [r for r in _reports(scenario.data, "f_changed") if r["url"] == url]
    assert len(landed) == 2, [(r["run_id"], r["content_hash"]) for r in landed]
    assert landed[0]["content_hash"] != landed[1]["content_hash"]
    assert edited.paragraphs[-1] in landed[1]["body"]
    wh = scenario.data / "warehouse.duckdb"
    (n,) = query(wh, "select count(*) from marts.report_versions where url = ?", [url])[0]
    assert n == 2
    (body,) = query(wh, "select body from marts.annual_reports where url = ?", [url])[0]
    assert edited.paragraphs[-1] in body


def test_deleted_report_stays_in_the_warehouse_marked_offline(scenario):
    g, reports = scenario.notes["deleted"]
    gone_url = g.report_url(reports[1])
    assert scenario.build2.returncode == 0, scenario.build2.output[-3000:]
    links = [r for r in _links(scenario, "f_deleted", 1) if r["url"] == gone_url]
    assert links and links[0]["decision"] == "gone" and links[0]["http_status"] == 404, links
    wh = scenario.data / "warehouse.duckdb"
    rows = query(wh, "select url, is_online from marts.annual_reports where government_id = 'f_deleted' order by url")
    assert dict(rows) == {g.report_url(reports[0]): True, gone_url: False}, rows


def test_builds_publish_and_every_fault_shows_in_crawl_health(scenario):
    assert scenario.build1.returncode == 0, scenario.build1.output[-3000:]
    assert scenario.build2.returncode == 0, scenario.build2.output[-3000:]
    wh = scenario.data / "warehouse.duckdb"
    landed_ids = {r["government_id"] for r in landing_rows(scenario.data, "reports")}
    in_wh = {r[0] for r in query(wh, "select distinct government_id from marts.annual_reports")}
    assert landed_ids <= in_wh | set(), landed_ids - in_wh
    (n,) = query(wh, "select count(*) from marts.crawl_health")[0]
    assert n >= 1


def test_no_request_reached_anything_but_the_farm(scenario):
    events = netlog(scenario.tmp)
    hosts = {e["host"] for e in events if e["event"] == "connect"}
    farm_hosts = {s.host for s in scenario.farm.sites.values() if not s.name.startswith("recorder")}
    assert hosts <= farm_hosts, hosts - farm_hosts
    assert os.path.exists(scenario.canary)
