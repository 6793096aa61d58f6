"""Issue 23 items 3 and 4 on a real build of the demo: the published file holds schema marts only, the README's
published_pct counts due years of governments with a URL, and `fzzf docs` documents the published warehouse from a
read-only connection, in a site that loads nothing but 127.0.0.1.

The demo is crawled from the bundled portal as `fzzf demo` does, with one more government in its registry that has
no URL at all (its years are `unknown`, no_url), and built for today: the current report year is not due yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from farm.demo import build_demo
from gates.helpers import query

from scrapers.cli import main
from scrapers.registry.governments import load_registry
from scrapers.warehouse.docs import serve_docs
from scrapers.warehouse.paths import published_path, staged_path

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
NO_URL = "230100"  # 哈尔滨市: registered, no URL of any kind known
NO_URL_ENTRY = f"""- id: '{NO_URL}'
  name: 哈尔滨市
  level: city
  province: 黑龙江
  no_url: true
  reports_from: 2021
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("demo")
    registry, as_of = build_demo(data, extra_registry=NO_URL_ENTRY)
    return {"data": data, "registry": registry, "as_of": as_of}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the published file: schema marts only ------------------------------------------------------------------------


def test_the_published_file_holds_the_marts_only(demo):
    published = query(published_path(demo["data"]), "select table_schema, table_name from information_schema.tables")
    assert {schema for schema, _ in published} == {"marts"}, published
    names = {name for _, name in published}
    assert {"annual_reports", "report_coverage", "validation_runs", "quarantine", "metric_labels"} <= names
    # the staged warehouse, dbt's working file, keeps what the next incremental build needs
    staged = query(staged_path(demo["data"]), "select table_schema, table_name from information_schema.tables")
    assert ("intermediate", "annual_reports__built_from") in staged
    assert {schema for schema, _ in staged} == {"staging", "intermediate", "marts"}


def test_explain_report_and_export_read_the_marts_only_file(demo, tmp_path, capsys):
    data = str(demo["data"])
    assert main(["explain", "231282", "2024", "--data-dir", data, "--registry", str(demo["registry"])]) == 0
    assert "肇东市 [231282] 2024年度: missing" in capsys.readouterr().out
    assert main(["report", "510705", "2023", "--data-dir", data]) == 0
    assert "2023" in capsys.readouterr().out
    out = tmp_path / "coverage.csv"
    assert main(["export", "report_coverage", "--out", str(out), "--data-dir", data]) == 0
    assert out.read_text(encoding="utf-8").startswith("report_id,government_id,")


# --- published_pct -----------------------------------------------------------------------------------------------


def coverage_query() -> str:
    section = README.read_text(encoding="utf-8").split("\n## Query the warehouse\n", 1)[1].split("\n## ", 1)[0]
    sql = re.search(r"Coverage by province and year:\n\n```sql\n(.*?)```", section, re.S)
    assert sql, "the README's 'Coverage by province and year' query is gone"
    return sql.group(1)


def test_published_pct_counts_due_years_of_governments_with_a_url(demo):
    registry, as_of = load_registry(demo["registry"]), demo["as_of"]
    coverage = query(
        published_path(demo["data"]),
        "select government_id, province, report_year, is_published from marts.report_coverage",
    )
    expected: dict[tuple[str, int], float | None] = {}
    old: dict[tuple[str, int], float] = {}
    for province, year in {(p, y) for _, p, y, _ in coverage}:
        rows = [(gid, published) for gid, p, y, published in coverage if (p, y) == (province, year)]
        # due: the due day (04-01 of the next year) plus 30 days' grace has passed; with a URL: not NO_URL
        due = as_of > dt.date(year + 1, 4, 1) + dt.timedelta(days=registry.get(rows[0][0]).grace_days)
        counted = [published for gid, published in rows if due and gid != NO_URL]
        expected[(province, year)] = round(100.0 * sum(counted) / len(counted), 1) if counted else None
        old[(province, year)] = round(100.0 * sum(p for _, p in rows) / len(rows), 1)  # the README's old formula

    con = duckdb.connect(str(published_path(demo["data"])), read_only=True)
    try:
        cursor = con.execute(coverage_query())
        columns = [c[0] for c in cursor.description]
        got = {(r[0], r[1]): r[columns.index("published_pct")] for r in cursor.fetchall()}
    finally:
        con.close()
    assert got == expected
    # The old formula was wrong where it counted a year not yet due, or a government without a URL.
    this_year = as_of.year
    assert all(old[key] == 0.0 and expected[key] is None for key in old if key[1] == this_year)
    assert old[("黑龙江", 2022)] == 50.0 and expected[("黑龙江", 2022)] == 100.0


# --- fzzf docs ----------------------------------------------------------------------------------------------------


HOLD_OPEN = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("select count(*) from marts.report_coverage").fetchone()
print("open", flush=True)
sys.stdin.readline()
print(con.execute("select count(*) from marts.report_coverage").fetchone()[0], flush=True)
"""


@pytest.fixture(scope="module")
def docs(demo):
    """`fzzf docs --no-serve` while another process holds the published file open read-only, as an analyst would."""
    published = published_path(demo["data"])
    before = sha(published)
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(published)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        assert main(["docs", "--no-serve", "--data-dir", str(demo["data"])]) == 0
        reader.stdin.write("\n")
        reader.stdin.flush()
        still_reads = reader.stdout.readline().strip()
    finally:
        reader.kill()
        reader.wait()
    return {"site": demo["data"] / "docs" / "target", "before": before, "after": sha(published), "reader": still_reads}


def test_docs_never_alter_or_lock_the_published_file(docs):
    assert docs["after"] == docs["before"]
    assert docs["reader"] == "36"  # the analyst's connection answered before, during and after


def test_docs_describe_the_published_warehouse_with_overview_and_exposures(docs):
    manifest = json.loads((docs["site"] / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((docs["site"] / "catalog.json").read_text(encoding="utf-8"))
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert set(exposures) == {"coverage_page", "alerts"}
    page = set(exposures["coverage_page"]["depends_on"]["nodes"])
    assert {f"model.fzzf.{m}" for m in ("report_coverage", "coverage_explained", "metric_labels")} <= page
    assert "source.fzzf.gate.validation_runs" in page
    assert set(exposures["alerts"]["depends_on"]["nodes"]) == {
        "model.fzzf.missing_reports",
        "model.fzzf.report_coverage",
        "model.fzzf.coverage_explained",
    }
    overview = manifest["docs"]["doc.fzzf.__overview__"]["block_contents"]
    assert "从哪里开始 / Where to start" in overview and "`missing`" in overview
    # the catalog is the published file's: marts only, validation_runs among them
    assert {n["metadata"]["schema"] for n in catalog["nodes"].values()} == {"marts"}
    assert "source.fzzf.gate.validation_runs" in catalog["sources"]
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    assert (docs["site"] / "static_index.html").exists()


def test_the_docs_site_loads_nothing_but_127_0_0_1(docs):
    from playwright.sync_api import sync_playwright

    from scrapers.collect.browser import CHROMIUM_ARGS, find_chromium

    chromium = find_chromium()
    assert chromium, "Chromium is needed: make chromium"
    server = serve_docs(docs["site"], port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    asked: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=list(CHROMIUM_ARGS))
            page = browser.new_page()
            page.on("request", lambda request: asked.append(request.url))
            page.goto(base + "index.html#!/overview", wait_until="networkidle")
            page.get_by_text("Where to start").first.wait_for(timeout=30_000)
            page.goto(base + "index.html#!/exposure/exposure.fzzf.coverage_page", wait_until="networkidle")
            page.get_by_text("Coverage page (fzzf serve)").first.wait_for(timeout=30_000)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    loaded = {u for u in asked if not u.startswith(("data:", "blob:"))}
    assert base + "manifest.json" in {u.split("?")[0] for u in loaded}
    assert all(u.startswith(base) for u in loaded), sorted(loaded)


def test_docs_without_a_published_warehouse_says_what_to_run(tmp_path, capsys):
    assert main(["docs", "--no-serve", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "warehouse.duckdb") in err and "fzzf build" in err
    assert not (tmp_path / "docs").exists()
