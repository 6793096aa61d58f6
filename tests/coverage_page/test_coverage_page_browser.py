"""The coverage page in a real browser: the operating system's Chromium (the one the crawler drives), headless, through
Playwright, loading ``fzzf serve`` over the demo's published warehouse.

The heat map shows the demo's missing report (肇东市's latest due year), a click on its cell and then on the
government reaches the reason, search finds a sentence of a report, the figures carry Chinese labels, the build
page lists the gates; and no request of the page leaves 127.0.0.1 (every request is recorded, and any other host is
refused before it is sent).

The README's screenshots come from here: ``FZZF_UPDATE_SCREENSHOTS=1`` writes them to ``docs/screenshots/``
(otherwise to the test's temporary directory).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scrapers.collect.browser import CHROMIUM_ARGS, INSTALL_HINT, find_chromium
from scrapers.coverage_page.server import CoveragePage

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_LIMIT = 300_000  # bytes: the README's pictures stay small in git


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium on the CI machine (`make chromium` installs it): {INSTALL_HINT}")
        pytest.skip(f"no Chromium found, so the page cannot be tested in a browser: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    if os.environ.get("FZZF_UPDATE_SCREENSHOTS") == "1":
        fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
        assert fonts.strip(), "no Chinese font installed (e.g. apt-get install fonts-wqy-microhei): text would be boxes"
        out = REPO / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        return out
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(chromium):
    """A fresh page whose every request is recorded; one to a host other than 127.0.0.1 is aborted (and fails the
    test below), as is any page error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", service_workers="block")
    requests: list[str] = []
    errors: list[str] = []

    def only_local(route):
        requests.append(route.request.url)
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield tab
    finally:
        context.close()
    assert requests, "the page made no request at all"
    outside = sorted({u for u in requests if urlsplit(u).scheme not in ("data", "blob")
                      and urlsplit(u).hostname != "127.0.0.1"})  # fmt: skip
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors, f"errors in the page: {errors}"


def _open(page, url: str, view: str) -> None:
    page.goto(url)
    page.wait_for_selector(f"body[data-view='{view}']", timeout=30_000)


def _shot(page, directory: Path, name: str, height: int | None = None) -> Path:
    path = directory / name
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height} if height else None
    page.screenshot(path=str(path), clip=clip)
    assert path.stat().st_size < SCREENSHOT_LIMIT, f"{path}: {path.stat().st_size} bytes"
    return path


def test_heatmap_shows_the_missing_report_and_a_click_reaches_its_reason(page, demo_page, demo_facts, screenshots):
    missing = demo_facts["missing"]
    _open(page, demo_page.url, "heatmap")
    # What ECharts draws: the heat map's option, as the chart instance holds it.
    drawn = page.evaluate(
        """() => {
            const option = echarts.getInstanceByDom(document.getElementById('heatmap')).getOption();
            return {data: option.series[0].data, years: option.xAxis[0].data, provinces: option.yAxis[0].data};
        }"""
    )
    x = drawn["years"].index(f"{missing['report_year']}年度")
    y = drawn["provinces"].index(missing["province"])
    values = {(cx, cy): v for cx, cy, v in drawn["data"]}
    assert values[(x, y)] == 1, drawn
    assert sum(v for v in values.values() if v != "-") == 1  # the demo's one missing report, nowhere else
    # The same cell in the table the page renders beside the chart.
    cell = page.locator(
        f"#heatmap-table td[data-province='{missing['province']}'][data-year='{missing['report_year']}']"
    )
    assert "缺失 1" in cell.inner_text()
    _shot(page, screenshots, "coverage-heatmap.png")

    # Click the cell on the canvas where ECharts drew it.
    px, py = page.evaluate(
        "([x, y]) => echarts.getInstanceByDom(document.getElementById('heatmap')).convertToPixel({seriesIndex: 0}, [x, y])",
        [x, y],
    )
    box = page.locator("#heatmap canvas").first.bounding_box()
    page.mouse.click(box["x"] + px, box["y"] + py)
    page.wait_for_selector("body[data-view='cell']", timeout=30_000)
    row = page.locator(f"#cell-table tr[data-government='{missing['government_id']}']")
    assert "缺失" in row.inner_text()
    assert row.locator(".reason").inner_text() == missing["reason"]

    row.get_by_role("link", name=missing["name"]).click()
    page.wait_for_selector("body[data-view='gov']", timeout=30_000)
    year = page.locator(f"#government-years tr[data-year='{missing['report_year']}']")
    assert year.locator(".reason").inner_text() == missing["reason"]
    assert str(missing["due_date"]) in year.inner_text()
    assert page.url.endswith(f"#/gov/{missing['government_id']}")
    _shot(page, screenshots, "coverage-government.png")


def test_search_finds_a_sentence_and_opens_the_report(page, demo_page, demo_facts, screenshots):
    report = demo_facts["report"]
    sentence = next(s for s in re.split(r"[。\n]", report["body"]) if len(s) >= 15 and not re.search(r"\s", s))
    _open(page, demo_page.url, "heatmap")
    page.fill("#search-input", sentence)
    page.press("#search-input", "Enter")
    page.wait_for_selector("body[data-view='search']", timeout=30_000)
    results = page.locator("#search-results .result")
    assert results.count() >= 1
    hit = results.filter(has=page.locator(f"a[href='#/report/{report['government_id']}/{report['report_year']}']"))
    assert hit.locator("mark").first.inner_text() == sentence

    hit.locator(f"a[href='#/report/{report['government_id']}/{report['report_year']}']").click()
    page.wait_for_selector("body[data-view='report']", timeout=30_000)
    assert sentence in page.locator("#report-text").inner_text()
    link = page.get_by_role("link", name="原文链接")
    assert link.get_attribute("href") == report["url"]

    # The README's picture: a search as an analyst types it, one word over every report.
    page.fill("#search-input", "行政复议")
    page.press("#search-input", "Enter")
    page.wait_for_function("() => document.body.dataset.view === 'search' && location.hash.includes('%E8%A1%8C')")
    assert page.locator("#search-results .result").count() >= 2
    _shot(page, screenshots, "coverage-search.png", height=600)


def test_metrics_with_chinese_labels(page, demo_page, demo_facts):
    _open(page, demo_page.url + "#/metrics", "metrics")
    table = page.locator("#metrics-table")
    assert demo_facts["metric_label"] in table.inner_text()
    first = page.locator("#metric option").nth(1)
    page.select_option("#metric", first.get_attribute("value"))
    page.wait_for_function("() => location.hash.startsWith('#/metrics?metric=')")
    page.wait_for_selector("#metrics-chart canvas", timeout=30_000)
    label = first.inner_text().split("（")[0].split(" · ")[0]
    assert re.search(r"[\u4e00-\u9fff]", label)
    assert {c.strip() for c in page.locator("#metrics-table tbody td:nth-child(4)").all_inner_texts()} == {label}
    province = page.locator("#metrics-table tbody td:nth-child(2)").first.inner_text().strip()
    page.evaluate("() => { document.getElementById('metrics-table').dataset.before = '1'; }")
    page.select_option("#metric-province", province)
    page.wait_for_selector("#metrics-table:not([data-before])", timeout=30_000)  # the table drawn for the province
    assert {c.strip() for c in page.locator("#metrics-table tbody td:nth-child(2)").all_inner_texts()} == {province}


def test_missing_list_and_build_pages(page, demo_page, demo_facts):
    missing = demo_facts["missing"]
    _open(page, demo_page.url + "#/missing", "missing")
    row = page.locator(f"#missing-table tr[data-government='{missing['government_id']}']")
    assert row.locator(".reason").inner_text() == missing["reason"]
    assert "是，" in row.inner_text()  # the outbox took the line

    _open(page, demo_page.url + "#/builds", "builds")
    newest = page.locator("#builds-table tbody tr").first
    assert "通过" in newest.inner_text() and "当前发布" in newest.inner_text()
    newest.get_by_role("link").click()
    page.wait_for_selector("body[data-view='build']", timeout=30_000)
    suites = page.locator("#build-suites tbody tr")
    names = [suites.nth(i).get_attribute("data-suite") for i in range(suites.count())]
    assert any(n.startswith("landing_") for n in names) and any(n.startswith("marts_") for n in names)
    assert page.locator("#quarantine-none").inner_text() == "无"
    assert page.locator("#marts-quarantine-none").inner_text() == "当前无暂扣的行"  # the demo's figures all pass


def test_a_held_back_figure_is_named_on_the_build_and_the_report(page, quarantined_data):
    """g2's 出庭率 of 150 %, taken out by the marts gate: the build page names it, the report says it is held back."""
    with CoveragePage(quarantined_data, port=0) as served:
        _open(page, served.url + "#/builds", "builds")
        page.locator("#builds-table tbody tr").first.get_by_role("link").click()
        page.wait_for_selector("body[data-view='build']", timeout=30_000)
        row = page.locator("#marts-quarantine-table tbody tr").filter(has_text="负责人出庭应诉_出庭率")
        text = row.inner_text()
        assert "测试g2" in text and "2022" in text and "150.0" in text and "行政机关负责人出庭应诉率达150%" in text
        assert "rate outside 0-100%" in text and "报告指标" in text
        assert row.get_by_role("link", name="原文链接").get_attribute("href").startswith("http://g2.example.gov.cn/")
        assert page.locator("#marts-released").count() == 0  # nothing released yet

        row.get_by_role("link", name="2022").click()
        page.wait_for_selector("body[data-view='report']", timeout=30_000)
        held = page.locator("#report-held-back li[data-table='report_metrics']").inner_text()
        assert held.startswith("该数字未发布：负责人出庭应诉_出庭率 = 150.0") and "rate outside 0-100%" in held
