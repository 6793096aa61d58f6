"""The crawler and the registry's other URLs: report pages fetched directly (``report_urls``), sources spanning the
hosts a government declares (a district's reports on its parent's portal), and entries with no URL to read, which
are skipped with one summary line and never cost a request."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import yaml
from farm.server import Farm, Resource
from farm.sites import build_site, report_paragraphs

from scrapers import cli
from scrapers.collect.crawl import crawl_government, run_crawl
from scrapers.demo.pages import render_report_page
from scrapers.landing import Landing
from scrapers.orchestration import tasks as orchestration
from scrapers.registry.governments import parse_registry
from scrapers.settings import Politeness

POLITE = Politeness(delay=0, retries=1, backoff=0, timeout=1.5, allow_private_hosts=True, workers=2)
OWN, PARENT = "127.0.0.2", "127.0.0.1"  # the district's own site, and the municipal portal that hosts its reports
NAME = "测试市东城区"


def report_page(year: int) -> Resource:
    body = render_report_page(
        "trs", title=f"{NAME}{year}年法治政府建设年度情况报告", paragraphs=report_paragraphs(NAME, year, year),
        publish_date=dt.date(year + 1, 3, 28), source=f"{NAME}司法局", site_name="测试市人民政府", related=[],
    )  # fmt: skip
    return Resource(body)


def parent_farm() -> tuple[Farm, object, dict[int, str]]:
    """The district's own column (2022, 2023) links its 2024 report on the parent portal; 2021's report is on the
    parent portal too, linked from nowhere the crawler reads (known only as a report URL)."""
    farm = Farm()
    gov = build_site(farm, "dc", NAME, OWN, "trs4", range(2022, 2024), look_alikes=False, quirks=False)
    paths = {
        2024: "/gongkai/fzzfjsbg/qzf/dcq/202503/t20250318_4037000.html",
        2021: "/gongkai/fzzfjsbg/qzf/dcq/202203/t20220328_2640796.html",
    }
    for year, path in paths.items():
        farm.add(PARENT, path, report_page(year))
    farm.add(PARENT, "/robots.txt", Resource(b"", status=404))
    farm.add(OWN, "/robots.txt", Resource(b"", status=404))
    return farm, gov, paths


def link_from_own_list(farm: Farm, gov, url: str) -> None:
    page = farm.sites[OWN][gov.list_path]
    item = f'<li><a href="{url}">{NAME}2024年法治政府建设年度情况报告</a><span>2025-03-18</span></li>'
    page.body = page.body.replace(b'<ul class="list">', b'<ul class="list">' + item.encode())


def entry(farm: Farm, gov, **fields) -> object:
    raw = {"id": "110101", "name": f"{NAME}人民政府", "level": "county", "province": "测试省",
           "list_urls": [farm.url(OWN, gov.list_path)], **fields}  # fmt: skip
    return parse_registry({"governments": [raw]}, "x.yaml").governments[0]


def landed_years(data) -> dict[int, str]:
    return {r["report_year"]: r["url"] for r in Landing(data).read_rows("reports")}


def test_reports_on_the_parent_portal_are_followed_when_its_host_is_declared(tmp_path):
    farm, gov, paths = parent_farm()
    with farm:
        link_from_own_list(farm, gov, farm.url(PARENT, paths[2024]))
        # The parent's host is declared by the report URL that lives there: its links count as the district's own.
        result = crawl_government(entry(farm, gov, report_urls=[farm.url(PARENT, paths[2021])]), tmp_path, POLITE)
    assert result.status == "ok", result.error
    years = landed_years(tmp_path)
    assert sorted(years) == [2021, 2022, 2023, 2024]
    assert years[2024] == farm.url(PARENT, paths[2024]) and years[2021] == farm.url(PARENT, paths[2021])
    # One crawl-log row per source: the list page and the report URL.
    sources = [r["list_url"] for r in Landing(tmp_path).read_rows("crawl_log")]
    assert sources == [farm.url(OWN, gov.list_path), farm.url(PARENT, paths[2021])]


def test_the_parent_portal_is_off_site_unless_declared(tmp_path):
    farm, gov, paths = parent_farm()
    with farm:
        link_from_own_list(farm, gov, farm.url(PARENT, paths[2024]))
        crawl_government(entry(farm, gov), tmp_path / "undeclared", POLITE)
        crawl_government(entry(farm, gov, extra_hosts=[PARENT]), tmp_path / "extra_hosts", POLITE)
    assert sorted(landed_years(tmp_path / "undeclared")) == [2022, 2023]
    reasons = [r["reason"] for r in Landing(tmp_path / "undeclared").read_rows("links") if r["decision"] == "skipped"]
    assert any(r.startswith(f"off-site: {PARENT}") for r in reasons), reasons
    assert sorted(landed_years(tmp_path / "extra_hosts")) == [2022, 2023, 2024]


def test_a_report_only_entry_lands_its_reports_and_a_rerun_fetches_nothing(tmp_path):
    farm, gov, paths = parent_farm()
    with farm:
        urls = [farm.url(PARENT, paths[2021]), farm.url(PARENT, paths[2024])]
        only = entry(farm, gov, list_urls=[], report_urls=urls)
        assert only.url_status == "report"
        first = crawl_government(only, tmp_path, POLITE)
        farm.reset_log()
        again = crawl_government(only, tmp_path, POLITE)
        rerun_requests = len(farm.log)
    assert first.reports_new == 2 and again.reports_new == 0
    assert sorted(landed_years(tmp_path)) == [2021, 2024]
    assert rerun_requests == 0  # known report pages wait for their re-check (FZZF_REVISIT_DAYS)


def test_a_dead_report_url_is_logged_and_does_not_lose_the_rest(tmp_path):
    farm, gov, paths = parent_farm()
    with farm:
        dead = farm.url(PARENT, "/gongkai/fzzfjsbg/qzf/dcq/202303/t20230330_1.html")
        result = crawl_government(entry(farm, gov, report_urls=[dead]), tmp_path, POLITE)
    assert sorted(landed_years(tmp_path)) == [2022, 2023]
    (row,) = [r for r in Landing(tmp_path).read_rows("crawl_log") if r["list_url"] == dead]
    assert row["status"] == "partial" and "404" in row["error"]
    assert result.status == "partial"


URL_LESS = [
    {"id": "900001", "name": "无址县人民政府", "level": "county", "province": "测试省", "no_url": True},
    {"id": "900002", "name": "首页县人民政府", "level": "county", "province": "测试省", "list_urls": [],
     "home_url": "http://127.0.0.1:9/"},  # nothing listens there: a request would fail the crawl
]  # fmt: skip


@pytest.fixture
def mixed_registry(tmp_path):
    farm, gov, _paths = parent_farm()
    with farm:
        doc = {"governments": [*URL_LESS, {"id": "110101", "name": f"{NAME}人民政府", "level": "county",
                                           "province": "测试省", "list_urls": [farm.url(OWN, gov.list_path)]}]}  # fmt: skip
        path = tmp_path / "registry.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        yield path, farm


def test_run_crawl_skips_url_less_entries_with_one_summary_line(tmp_path, mixed_registry):
    path, farm = mixed_registry
    from scrapers.registry.governments import load_registry

    governments = list(load_registry(path))
    summary = run_crawl(governments, tmp_path / "d", POLITE)
    # the home-page-only entry is crawled from its home page (column discovery); its portal is down here
    assert [r.government_id for r in summary.results] == ["900002", "110101"]
    assert summary.results[0].status == "failed"
    skipped = [line for line in summary.describe().splitlines() if "skipped" in line]
    assert skipped == ["  skipped: 1 governments with no URL known (no list, report or home page)"]
    assert not summary.all_failed
    assert {r["government_id"] for r in Landing(tmp_path / "d").read_rows("crawl_log")} == {"110101", "900002"}
    # Called directly (as a mapped Airflow task would), a URL-less government is skipped and lands nothing.
    direct = crawl_government(governments[0], tmp_path / "d2", POLITE)
    assert direct.status == "skipped" and not Landing(tmp_path / "d2").read_rows("crawl_log")


def test_cli_crawl_of_only_url_less_entries_succeeds(tmp_path, mixed_registry, capsys, caplog):
    path, _farm = mixed_registry
    with caplog.at_level(logging.INFO, logger="fzzf.crawl"):
        code = cli.main(["crawl", "--registry", str(path), "--data-dir", str(tmp_path / "d"), "--allow-private-hosts",
                         "--delay", "0", "--only", "900001"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "0 governments" in out and "skipped: 1 governments with no URL known" in out


def test_the_airflow_plan_leaves_url_less_entries_out(mixed_registry, monkeypatch):
    path, _farm = mixed_registry
    monkeypatch.setenv("FZZF_REGISTRY", str(path))
    assert [p["government_id"] for p in orchestration.plan_crawl()] == ["900002", "110101"]
