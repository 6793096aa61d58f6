"""The crawl state never hides a report: links that got no usable answer are asked again behind a 304, list pages
that failed are read again, and a damaged state file is set aside and rebuilt from the landing files."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from farm.server import Farm, Resource
from farm.sites import build_site

from scrapers import cli
from scrapers.collect.crawl import crawl_government
from scrapers.landing import Landing
from scrapers.registry.governments import parse_registry
from scrapers.settings import Politeness

POLITE = Politeness(delay=0, retries=1, backoff=0, timeout=1.5, allow_private_hosts=True, workers=2)
REPORT_2023 = "/g0/202403/t20240320_023.html"


def _site(farm, years=range(2021, 2024), per_page=4):
    return build_site(farm, "g0", "测试县", "127.0.0.1", "trs4", years, per_page=per_page, look_alikes=False,
                      quirks=False)  # fmt: skip


class Switch:
    """A handler answering ``status`` with ``body`` until ``fixed`` is set, then ``resource``. Switched by the test
    between runs, not by counting requests: a retry after a client-side timeout on a loaded machine must not move
    the moment the portal recovers."""

    def __init__(self, resource: Resource, status: int = 500, body: bytes = b"server error"):
        self.resource, self.status, self.body, self.fixed = resource, status, body, False

    def __call__(self, _request):
        return self.resource if self.fixed else Resource(self.body, status=self.status, validators=False)


def _write_registry(tmp_path, farm, gov) -> str:
    path = tmp_path / "registry.yaml"
    path.write_text(json.dumps({"governments": [gov.registry_entry(farm)]}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_a_link_that_failed_is_fetched_again_behind_a_304(tmp_path, capsys, monkeypatch):
    """Issue 11, item 1: run 1 says HTTP 500; run 2 gets a 304 for the list and must still fetch the report."""
    monkeypatch.setenv("FZZF_RETRIES", "1")
    monkeypatch.setenv("FZZF_BACKOFF", "0")
    farm = Farm()
    gov = _site(farm)
    real = farm.sites["127.0.0.1"][REPORT_2023]
    switch = Switch(real)  # HTTP 500 through run 1, then the page
    farm.add("127.0.0.1", REPORT_2023, switch)
    data = tmp_path / "data"
    with farm:
        reg = _write_registry(tmp_path, farm, gov)
        args = ["crawl", "--registry", reg, "--data-dir", str(data), "--allow-private-hosts", "--delay", "0",
                "--no-progress"]  # fmt: skip
        outputs = []
        for _ in range(3):
            assert cli.main(args) == 0
            outputs.append(capsys.readouterr().out)
            switch.fixed = True
        list_requests = [r for r in farm.log if r.path == "/g0/"]
    assert "partial" in outputs[0] and "HTTP 500" in outputs[0]
    assert all(r.headers.get("if-none-match") for r in list_requests[1:])  # runs 2 and 3 asked conditionally
    landing = Landing(data)
    landed = [r for r in landing.read_rows("reports") if r["url"].endswith(REPORT_2023)]
    assert len(landed) == 1 and landed[0]["report_year"] == 2023
    # (runs started within one second sort by their random suffix: compare by decision, not by order)
    rows = {r["decision"]: r for r in landing.read_rows("links") if r["url"].endswith(REPORT_2023)}
    assert sorted(rows) == ["error", "report"]
    assert rows["error"]["report_year"] == 2023 and rows["error"]["http_status"] == 500
    assert rows["report"]["reason"].startswith("re-check 1: ")
    assert landing.load_state("g0")["pending"] == {}
    assert "1 new or changed" in outputs[1] and "0 new or changed" in outputs[2]


def test_an_error_page_in_place_of_the_report_is_not_a_final_decision(tmp_path):
    """A WAF page served with HTTP 200 for a link titled as a report: an error, asked again, then landed."""
    farm = Farm()
    gov = _site(farm)
    real = farm.sites["127.0.0.1"][REPORT_2023]
    waf = (
        "<html><head><title>访问受限</title></head><body><div class='content'><p>访问过于频繁，请稍后再试。</p>"
        "<p>您的访问请求已被网站安全防护系统拦截，事件编号：20240320123456。如有疑问请联系网站管理员。</p></div></body></html>"
    )
    switch = Switch(real, status=200, body=waf.encode())
    farm.add("127.0.0.1", REPORT_2023, switch)
    with farm:
        (entry,) = parse_registry({"governments": [gov.registry_entry(farm)]}, "farm.yaml")
        first = crawl_government(entry, tmp_path, POLITE)
        switch.fixed = True
        second = crawl_government(entry, tmp_path, POLITE)
    assert first.status == "partial" and second.reports_new == 1
    rows = {r["decision"]: r for r in Landing(tmp_path).read_rows("links") if r["url"].endswith(REPORT_2023)}
    assert sorted(rows) == ["error", "report"]
    assert "error page" in rows["error"]["reason"] and "访问受限" in rows["error"]["reason"]


def test_a_list_page_that_failed_is_read_again_though_the_first_page_is_unchanged(tmp_path):
    """Page 2 answers 500 on run 1; run 2 must not stop at the first page's 304, and lands page 2's reports."""
    farm = Farm()
    gov = _site(farm, years=range(2016, 2024), per_page=3)  # 8 reports on 3 pages
    page2 = "/g0/index_1.html"
    switch = Switch(farm.sites["127.0.0.1"][page2])
    farm.add("127.0.0.1", page2, switch)
    with farm:
        (entry,) = parse_registry({"governments": [gov.registry_entry(farm)]}, "farm.yaml")
        first = crawl_government(entry, tmp_path, POLITE)
        switch.fixed = True
        farm.reset_log()
        second = crawl_government(entry, tmp_path, POLITE)
        second_log = list(farm.log)
    assert first.status == "partial" and "index_1.html: HTTP 500" in first.error
    years = {r["report_year"] for r in Landing(tmp_path).read_rows("reports")}
    assert years == set(range(2016, 2024))
    assert second.reports_new == 3  # the three reports of page 2
    assert not [r for r in second_log if r.path == "/g0/" and r.headers.get("if-none-match")]
    state = Landing(tmp_path).load_state("g0")
    assert state["sources"][entry.list_urls[0]]["complete"] is True


def test_a_corrupt_state_file_is_kept_and_rebuilt_from_the_landing_files(tmp_path, caplog):
    farm = Farm()
    gov = _site(farm)
    farm.add("127.0.0.1", REPORT_2023, Resource(b"down", status=500))
    with farm:
        (entry,) = parse_registry({"governments": [gov.registry_entry(farm)]}, "farm.yaml")
        crawl_government(entry, tmp_path, POLITE)
        state_file = Landing(tmp_path).state_path("g0")
        state_file.write_bytes(b'{"sources": {"http://x/": {"etag": "abc"')  # cut off mid-write by a dying disk
        farm.reset_log()
        with caplog.at_level(logging.WARNING, logger="fzzf.crawl"):
            again = crawl_government(entry, tmp_path, POLITE)
        log = list(farm.log)
    assert again.status == "partial" and again.reports_new == 0  # nothing landed twice
    kept = list((state_file.parent / "corrupt").glob("g0.*.json"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b'{"sources"')
    assert any(str(state_file) in m and "unreadable" in m for m in caplog.messages)
    # Rebuilt: the landed reports are known (not fetched again); the link that failed is pending again.
    fetched = {urlsplit(r.path).path for r in log}
    assert REPORT_2023 in fetched
    assert not [p for p in fetched if p.startswith("/g0/20") and p != REPORT_2023]
    state = json.loads(state_file.read_text(encoding="utf-8"))
    assert state["rebuilt_from"] == str(kept[0]) and list(state["pending"]) == [
        k for k in state["pending"] if k.endswith(REPORT_2023)
    ]
