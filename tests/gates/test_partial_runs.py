"""A list page that failed keeps the years it may hold `unknown`, never `missing` (issue 20 follow-up), on real crawls
of a local farm, real builds and a real webhook receiver.

Two governments, each with two list URLs in the registry: column A lists the 2022-2024 reports, column B the 2025
one; no page lists 2021 (a real gap). On the first crawl B fails -- HTTP 500 on every try for p5, a WAF page served
with HTTP 200 for pw -- while A is read: the runs are `partial`, and the portal counts as read. A year not found on
A may sit on B, so 2021 and 2025 are `unknown` (`source_failed`, the failed list page named), and no missing alert
goes out. A third, pl, has one list URL of two pages (2025 and 2024 on the first, 2023 and 2022 on the second),
whose second page answers HTTP 500: the page's links were not seen, so 2021-2023 are `unknown` too. Then the lists
recover and the next crawl reads them: the years they list are published and 2021, now seen absent on every list
page, is `missing` and alerted once.
"""

from __future__ import annotations

import duckdb
import pytest
import yaml
from alerts.receiver import Receiver
from farm.server import Farm, Resource
from farm.sites import add_robots, build_site

from scrapers import cli, clock
from scrapers.warehouse.build import run_build

pytestmark = [pytest.mark.gates, pytest.mark.integration]

WAF = "<html><head><title>访问过于频繁</title></head><body><p>访问过于频繁，请稍后再试。</p></body></html>".encode()
GOVERNMENTS = {"p5": ("五百县", "127.0.123.1", Resource(b"server error", status=500)),
               "pw": ("防火县", "127.0.123.2", Resource(WAF))}  # fmt: skip
LOST = ("pl", "断页县", "127.0.123.3", "/a/index_1.html")  # one list URL; its second page fails


def _read(data) -> tuple[dict, dict]:
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        coverage = {
            (g, y): (status, kind, reason)
            for g, y, status, kind, reason in con.execute(
                "select government_id, report_year, status, status_reason_kind, status_reason "
                "from marts.report_coverage"
            ).fetchall()
        }
        explained = {
            (g, y): (kind, reason)
            for g, y, kind, reason in con.execute(
                "select government_id, report_year, reason_kind, reason from marts.coverage_explained"
            ).fetchall()
        }
    finally:
        con.close()
    return coverage, explained


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("partial")
    data = tmp / "data"
    farm = Farm()
    lists = {}
    for k, (gid, (name, host, failure)) in enumerate(GOVERNMENTS.items()):
        build_site(farm, gid, name, host, "trs4", range(2022, 2025), look_alikes=False, quirks=False, root="/a/", k=k)
        build_site(farm, gid, name, host, "trs4", range(2025, 2026), look_alikes=False, quirks=False, root="/b/",
                   k=k + 2)  # fmt: skip
        add_robots(farm, host)
        # B's list fails: its first page (both spellings the crawler may ask) answers with the failure
        lists[gid] = {path: farm.sites[host][path] for path in ("/b/", "/b/index.html")}
        for path in lists[gid]:
            farm.add(host, path, failure)
    gid, name, host, page_2 = LOST
    build_site(
        farm, gid, name, host, "trs4", range(2022, 2026), per_page=2, look_alikes=False, quirks=False, root="/a/"
    )
    add_robots(farm, host)
    lists[gid] = {page_2: farm.sites[host][page_2]}
    farm.add(host, page_2, Resource(b"server error", status=500))
    hosts = {**{g: h for g, (_n, h, _f) in GOVERNMENTS.items()}, gid: host}
    receiver = Receiver().__enter__()
    with farm, pytest.MonkeyPatch.context() as mp:
        mp.delenv("FZZF_TODAY", raising=False)  # the crawls land real times: as of today, every run counts
        mp.setenv("FZZF_RETRIES", "1")
        mp.setenv("FZZF_ALERT_URLS", receiver.url)
        as_of = clock.today()
        entries = [
            {"id": gid, "name": name, "level": "county", "province": "测试省", "reports_from": 2021,
             "list_urls": [farm.url(host, "/a/"), farm.url(host, "/b/")]}
            for gid, (name, host, _f) in GOVERNMENTS.items()
        ]  # fmt: skip
        entries.append({"id": LOST[0], "name": LOST[1], "level": "county", "province": "测试省", "reports_from": 2021,
                        "list_urls": [farm.url(LOST[2], "/a/")]})  # fmt: skip
        registry = tmp / "registry.yaml"
        registry.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
        crawl = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts", "--delay",
                 "0", "--no-progress"]  # fmt: skip
        assert cli.main(crawl) == 0
        first = run_build(data, registry, as_of, send_alerts=True)
        assert first.published, first.describe()
        before = _read(data)
        alerts_before = list(receiver.messages("newly missing"))
        # B recovers: the next crawl reads it
        for gid, pages in lists.items():
            for path, page in pages.items():
                farm.add(hosts[gid], path, page)
        assert cli.main(crawl) == 0
        second = run_build(data, registry, as_of, send_alerts=True)
        assert second.published, second.describe()
        after = _read(data)
        alerts_after = list(receiver.messages("newly missing"))
    receiver.__exit__(None, None, None)
    return {"before": before, "after": after, "alerts_before": alerts_before, "alerts_after": alerts_after,
            "farm": farm}  # fmt: skip


@pytest.mark.parametrize("gid", sorted(GOVERNMENTS))
def test_a_year_only_a_failed_list_could_hold_is_unknown_with_the_reason(world, gid):
    coverage, explained = world["before"]
    host = GOVERNMENTS[gid][1]
    assert {coverage[(gid, y)][0] for y in (2022, 2023, 2024)} == {"on_time"}  # A was read
    for year in (2021, 2025):
        status, kind, reason = coverage[(gid, year)]
        assert (status, kind) == ("unknown", "source_failed"), coverage[(gid, year)]
        assert f"http://{host}:" in reason and "/b/" in reason and "failed" in reason, reason
        assert explained[(gid, year)] == ("source_failed", reason)
    why = coverage[(gid, 2021)][2]
    assert ("HTTP 500" in why) if gid == "p5" else ("not a list" in why), why


def test_years_on_a_list_page_that_failed_after_the_first_are_unknown(world):
    coverage, explained = world["before"]
    gid, _name, host, _page = LOST
    assert {coverage[(gid, y)][0] for y in (2024, 2025)} == {"on_time"}  # the first page was read
    for year in (2021, 2022, 2023):
        status, kind, reason = coverage[(gid, year)]
        assert (status, kind) == ("unknown", "source_failed"), coverage[(gid, year)]
        assert f"list page http://{host}:" in reason and "1 of its later list pages could not be read" in reason
        assert explained[(gid, year)] == ("source_failed", reason)


def test_no_missing_alert_while_a_list_is_failing(world):
    coverage, _ = world["before"]
    assert not [key for key, row in coverage.items() if row[0] == "missing"]
    assert world["alerts_before"] == []


@pytest.mark.parametrize("gid", [*sorted(GOVERNMENTS), LOST[0]])
def test_once_the_list_is_read_the_year_is_published_or_missing(world, gid):
    coverage, explained = world["after"]
    assert {coverage[(gid, y)][0] for y in range(2022, 2026)} == {"on_time"}, coverage
    assert coverage[(gid, 2021)][:2] == ("missing", None), coverage[(gid, 2021)]
    assert explained[(gid, 2021)][0] == "no_link"


def test_the_real_gap_is_alerted_once_after_the_list_recovers(world):
    messages = world["alerts_after"]
    assert len(messages) == 1, messages
    assert "[p5] 2021" in messages[0] and "[pw] 2021" in messages[0] and "[pl] 2021" in messages[0]
    assert not [g for g in ("[p5] 2025", "[pw] 2025", "[pl] 2022", "[pl] 2023") if g in messages[0]]
