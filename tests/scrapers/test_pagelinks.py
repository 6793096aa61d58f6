"""``fzzf links``: one list page as the crawler reads it, against the demo portal and the portal farm.

The farm test is the contract: every list page of every pagination family is read with ``fzzf links``' code and the
result compared with what a real crawl of the same pages landed in ``landing/links``.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import requests
from farm.server import Farm
from farm.sites import PAGINATION, add_robots, build_site

from scrapers import cli
from scrapers.collect.crawl import run_crawl
from scrapers.collect.discover import normalise_url
from scrapers.collect.pagelinks import judge_page
from scrapers.demo.portal import DemoPortal
from scrapers.landing import Landing
from scrapers.registry.governments import parse_registry
from scrapers.settings import Politeness

POLITE = Politeness(delay=0, retries=1, backoff=0, timeout=1.5, allow_private_hosts=True, workers=4)
# How each family's page count / next pages are read, as `fzzf links` must say it.
PAGER_SAYS = {
    "trs4": "createPageHTML",
    "trs6": "createPageHTML",
    "countpage": "var countPage",
    "hanweb": "dataproxy.jsp: totalRecord",
    "query": "?page=N",
    "pagenum": "?pageNum=N",
    "nextlink": "numbered pager links",
    "gkmlpt": "gkmlpt",
}


def run_links(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["links", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_saved_demo_page_shows_links_decisions_and_the_trs_pager(tmp_path, capsys):
    with DemoPortal() as portal:
        root = "/231282/fzzfjsndbg/"
        page = tmp_path / "list.html"
        page.write_bytes(portal.pages[root][1])
        url = portal.base_url + root
        code, out, _ = run_links(capsys, str(page), "--url", url, "--json")
        year = portal.latest
    assert code == 0
    result = json.loads(out)
    assert {"url", "links", "next_pages", "page_count"} <= set(result)
    assert result["url"] == url and result["page_count"] == 3
    assert result["family"] == "createPageHTML-4"
    assert result["pager"].startswith("createPageHTML: 3 pages, this is page 0")
    assert [p["url"] for p in result["next_pages"]] == [url + "index_1.html", url + "index_2.html"]
    by_title = {link["title"]: link for link in result["links"]}
    assert set(by_title) and all(
        set(link) >= {"url", "title", "date", "decision", "reason"} for link in result["links"]
    )
    alike = by_title[f"肇东市{year}年政府信息公开工作年度报告"]
    assert (alike["decision"], alike["reason"]) == ("skipped", "title: look-alike: 政府信息公开工作年度报告")
    assert alike["url"].startswith(url) and alike["date"] == f"{year + 1}-01-20"
    plan = by_title[f"肇东市{year + 1}年法治政府建设工作要点"]
    assert (plan["decision"], plan["reason"]) == ("skipped", "title: look-alike: 工作要点")
    fetched = [link for link in result["links"] if link["decision"] == "fetch"]
    assert fetched and all(link["reason"].startswith("title: 法治政府建设 report") for link in fetched)


def test_a_live_demo_page_shows_the_query_pager_and_its_count(capsys):
    with DemoPortal() as portal:
        url = portal.base_url + "/510705/fzzfjsndbg/"
        code, out, _ = run_links(capsys, url, "--allow-private-hosts")
    assert code == 0
    assert "pager: query: ?page=N: 3 pages (from the 尾页 (last page) link), this is page 1 (page count 3)" in out
    assert f"GET {portal.base_url}/510705/fzzfjsndbg/list.html?page=2" in out
    assert "[skipped]" in out and "title: look-alike: 政府信息公开工作年度报告" in out


def test_a_live_page_marks_a_link_robots_txt_forbids(capsys):
    farm = Farm()
    build_site(farm, "g1", "测试1县", "127.0.0.1", "trs4", range(2022, 2024), look_alikes=False, k=1)
    add_robots(farm, "127.0.0.1")
    with farm:
        code, out, _ = run_links(capsys, farm.url("127.0.0.1", "/g1/"), "--allow-private-hosts", "--json")
    result = json.loads(out)
    robots = [link for link in result["links"] if "/private/" in link["url"]]
    assert code == 0 and len(robots) == 1
    assert robots[0]["decision"] == "robots" and "robots.txt" in robots[0]["reason"]


def test_bad_input_exits_2_naming_the_file(tmp_path, capsys):
    missing = tmp_path / "nope.html"
    code, _, err = run_links(capsys, str(missing), "--url", "http://example.invalid/")
    assert code == 2 and str(missing) in err and "cannot read" in err
    page = tmp_path / "p.html"
    page.write_text("<html></html>", encoding="utf-8")
    code, _, err = run_links(capsys, str(page))
    assert code == 2 and "--url" in err


def _walk(farm_url: str, gov_host: set[str]) -> tuple[dict[str, dict], list[dict]]:
    """Every list page from the first, read with ``fzzf links``' code: {normalised link URL: judged link}, pages."""
    queue = [{"url": farm_url, "method": "GET"}]
    seen, judged, pages = set(), {}, []
    while queue:
        req = queue.pop(0)
        key = (req["method"], normalise_url(req["url"]), json.dumps(req.get("data"), sort_keys=True))
        if key in seen:
            continue
        seen.add(key)
        resp = requests.request(req["method"], req["url"], data=req.get("data"), timeout=5)
        assert resp.ok, req
        result = judge_page(resp.content, resp.url, resp.headers.get("content-type", ""), gov_host)
        pages.append(result)
        for link in result["links"]:
            judged.setdefault(normalise_url(link["url"]), link)
        queue += result["next_pages"]
    return judged, pages


def test_links_says_what_the_crawl_does_on_every_pagination_family(tmp_path):
    farm = Farm()
    govs = [
        build_site(
            farm,
            f"g{k}",
            f"测试{k}县",
            "127.0.0.1",
            family,
            k=k,
            per_page=3,
            repost_from="测试市人民政府" if k == 2 else None,
        )  # fmt: skip
        for k, family in enumerate(PAGINATION, start=1)  # k=0 would add a page slower than the timeout
    ]
    add_robots(farm, "127.0.0.1")
    with farm:
        # An off-site report link on g1's first list page (the port is known once the farm runs).
        first = farm.sites["127.0.0.1"]["/g1/"]
        offsite = f'<li><a href="{farm.url("127.0.0.3", "/x.html")}">别处2023年法治政府建设年度报告</a><span>2024-03-01</span></li>'
        first.body = first.body.replace(b'<ul class="list">', b'<ul class="list">' + offsite.encode())
        entries = list(parse_registry({"governments": [g.registry_entry(farm) for g in govs]}, "farm.yaml"))
        run_crawl(entries, tmp_path, POLITE)
        walks = {g.id: _walk(farm.url(g.host, g.list_path), {urlsplit(farm.url(g.host)).hostname}) for g in govs}
    rows = Landing(tmp_path).read_rows("links")
    for gov in govs:
        judged, pages = walks[gov.id]
        assert any(PAGER_SAYS[gov.family] in page["pager"] for page in pages), (gov.family, [p["pager"] for p in pages])
        # numbered/下一页 pagers state no count: the walk finds the end by following them
        assert any(page["page_count"] for page in pages) == (gov.family != "nextlink"), gov.family
        mine = [r for r in rows if r["government_id"] == gov.id]
        # Decided on the title (or the host): the crawl's row and `fzzf links` say the same, word for word.
        on_title = {
            normalise_url(r["url"]): r
            for r in mine
            if r["decision"] == "skipped" and r["reason"].startswith(("title:", "off-site:"))
        }
        skipped = {k: v for k, v in judged.items() if v["decision"] == "skipped"}
        assert set(on_title) == set(skipped), gov.family
        for key, row in on_title.items():
            assert (skipped[key]["decision"], skipped[key]["reason"]) == (row["decision"], row["reason"])
        # Everything else the crawl judged, it fetched: `fzzf links` says "fetch" for every one of those links.
        assert {k for k, v in judged.items() if v["decision"] == "fetch"} == set(judged) - set(skipped)
        assert len(mine) == len(judged)  # one row per link the crawl judged; the walk found the same links
    assert any(r["reason"].startswith("off-site:") for r in rows if r["government_id"] == "g1")


def test_gov_judges_off_site_links_by_the_governments_hosts(tmp_path, capsys):
    """With --gov, a link on one of the government's extra_hosts is its own (as the crawl's allowed set says)."""
    farm = Farm()
    build_site(farm, "g1", "测试1县", "127.0.0.1", "trs4", range(2022, 2024), look_alikes=False, quirks=False, k=1)
    with farm:
        page = tmp_path / "list.html"
        elsewhere = farm.url("127.0.0.3", "/x.html")
        item = f'<li><a href="{elsewhere}">测试1县2021年法治政府建设年度报告</a><span>2022-03-01</span></li>'
        page.write_bytes(
            farm.sites["127.0.0.1"]["/g1/"].body.replace(b'<ul class="list">', b'<ul class="list">' + item.encode())
        )
        url = farm.url("127.0.0.1", "/g1/")
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        f'governments:\n  - {{id: g1, name: 测试1县, level: county, province: 测试省, list_urls: ["{url}"], '
        'extra_hosts: ["127.0.0.3"]}\n',
        encoding="utf-8",
    )

    def decision(*extra: str) -> tuple[int, dict]:
        code, out, _ = run_links(capsys, str(page), "--url", url, "--json", *extra)
        return code, next(link for link in json.loads(out)["links"] if link["url"] == elsewhere)

    code, alone = decision()
    assert code == 0 and (alone["decision"], alone["reason"]) == (
        "skipped",
        "off-site: 127.0.0.3 is not this government's site",
    )
    code, with_gov = decision("--gov", "g1", "--registry", str(registry))
    assert code == 0 and with_gov["decision"] == "fetch"
    code, _, err = run_links(capsys, str(page), "--url", url, "--gov", "nope", "--registry", str(registry))
    assert code == 2 and str(registry) in err and "'nope'" in err
