"""Incremental dbt builds equal full refreshes: real dbt builds on real DuckDB files, every table compared.

The landing streams are loaded once per landing file (macros/landing_incremental.sql), the registry once per
registry fingerprint, and the report marts once per change of what a report's rows are built from
(macros/canonical_incremental.sql); everything else is rebuilt each build. So a later crawl, a quarantine decided
later, a new as-of day, a registry edit and even a landing file that vanished must all leave an incrementally built
warehouse identical to one built from scratch.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from test_warehouse_build import BODY, REGISTRY, RUN_APRIL, RUN_MARCH, report, write_fixture

from scrapers.landing import Landing
from scrapers.warehouse.dbt_runner import keep_staged, mark_staged, run_dbt

pytestmark = pytest.mark.integration

FIRST_AS_OF, AS_OF = dt.date(2024, 4, 1), dt.date(2024, 5, 1)


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Per table and view of staging, intermediate and marts: rows in a only, rows in b only (bags: duplicates
    count), rows in a."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        names = [
            r[0]
            for r in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_catalog = 'a' and table_schema in ('staging', 'intermediate', 'marts') order by 1"
            ).fetchall()
        ]
        out = {}
        for name in names:
            only_a = con.execute(f"select count(*) from (from a.{name} except all from b.{name})").fetchone()[0]
            only_b = con.execute(f"select count(*) from (from b.{name} except all from a.{name})").fetchone()[0]
            rows = con.execute(f"select count(*) from a.{name}").fetchone()[0]
            out[name] = (only_a, only_b, rows)
        return out
    finally:
        con.close()


def test_incremental_build_after_a_new_crawl_equals_a_full_refresh(tmp_path):
    data_dir, registry = tmp_path / "data", tmp_path / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    write_fixture(data_dir)
    landing = Landing(data_dir)
    later = tmp_path / "later"
    later.mkdir()
    for stream in ("reports", "crawl_log", "links"):  # the April crawl has not happened yet
        if (landing.landing_dir / stream / RUN_APRIL).exists():
            shutil.move(landing.landing_dir / stream / RUN_APRIL, later / stream)
    incremental = data_dir / "build" / "incremental.duckdb"
    first = run_dbt(data_dir, registry, FIRST_AS_OF, incremental)
    assert first.success, first.describe()

    # The April crawl lands; the gate now holds back one report landed in March; one March file vanished.
    for stream in ("reports", "crawl_log", "links"):
        if (later / stream).exists():
            shutil.move(later / stream, landing.landing_dir / stream / RUN_APRIL)
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        (held,) = con.execute(
            "select record_id from marts.report_versions where is_canonical and run_id is distinct from ? "
            "order by record_id limit 1",
            [RUN_APRIL],
        ).fetchone()
        (gone_file,) = con.execute(
            "select landing_file from staging.stg_landing__crawl_log order by landing_file limit 1"
        ).fetchone()
    finally:
        con.close()
    quarantine = data_dir / "build" / "quarantine.jsonl"
    quarantine.write_text(
        json.dumps(
            {
                "record_id": held,
                "stream": "reports",
                "reason": "test",
                "expectation": "t",
                "quarantined_at": "2024-05-01T00:00:00",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    Path(gone_file).unlink()

    second = run_dbt(data_dir, registry, AS_OF, incremental)
    assert second.success, second.describe()
    compiled = data_dir / "build" / "dbt" / "target" / "compiled" / "fzzf" / "models" / "staging"
    read = (compiled / "stg_landing__reports.sql").read_text(encoding="utf-8").split("read_text([", 1)[1]
    read = read.split("])", 1)[0]
    assert RUN_APRIL in read and RUN_MARCH not in read  # the second build parsed the new crawl's files only
    full = data_dir / "build" / "full.duckdb"
    fresh = run_dbt(data_dir, registry, AS_OF, full)
    assert fresh.success, fresh.describe()

    diffs = _differences(incremental, full)
    assert "staging.stg_landing__reports" in diffs and "marts.report_coverage" in diffs
    assert {name: d for name, d in diffs.items() if d[:2] != (0, 0)} == {}
    assert diffs["staging.stg_landing__reports"][2] > 0 and diffs["marts.annual_reports"][2] > 0
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        assert con.execute("select count(*) from marts.annual_reports where record_id = ?", [held]).fetchone()[0] == 0
        assert con.execute("select distinct as_of from marts.report_coverage").fetchall() == [(AS_OF,)]
        assert (
            con.execute(
                "select count(*) from staging.stg_landing__crawl_log where landing_file = ?", [gone_file]
            ).fetchone()[0]
            == 0
        )
        april = con.execute(
            "select count(*) from staging.stg_landing__reports where landing_file like ?", [f"%/{RUN_APRIL}/%"]
        )
        assert april.fetchone()[0] > 0
    finally:
        con.close()


def test_the_staged_warehouse_is_kept_only_for_the_same_project_and_data_dir(tmp_path):
    data_dir = tmp_path / "data"
    staged = data_dir / "build" / "warehouse.duckdb"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"x")
    assert not keep_staged(staged, data_dir)  # never marked: built by nobody knows what
    assert not staged.exists()
    staged.write_bytes(b"x")
    mark_staged(staged, data_dir)
    assert keep_staged(staged, data_dir)
    assert not keep_staged(staged, data_dir)  # kept, but not trusted again until a dbt build succeeds on it
    staged.write_bytes(b"x")
    mark_staged(staged, data_dir)
    assert not keep_staged(staged, tmp_path / "elsewhere")  # landing file paths are stored: another dir rebuilds
    staged.write_bytes(b"x")
    mark_staged(staged, data_dir)
    assert not keep_staged(staged, data_dir, full_refresh=True) and not staged.exists()


RUN_MAY = "20240510T020000Z-dddddd"
SECTION = {"ord": 1, "level": 1, "heading": "一、主要举措和成效", "text": "复查后的正文。"}
METRIC = {
    "metric": "行政复议_收到",
    "value": 21.0,
    "unit": "件",
    "scope": "全区",
    "sentence": "收到21件",
    "section": None,
}


def _later_crawl(data_dir: Path, ids: dict[str, dict]) -> dict[str, str]:
    """A May crawl that changes what some reports are built from and leaves the others alone; returns
    {report_id: what happened}."""
    landing = Landing(data_dir)
    # A new version of 110000's canonical page: the same URL, other text, one section instead of two.
    edited = report(
        "110000",
        ids["110000"]["canonical"]["url"],
        body=BODY + " 修订版",
        publish_date="2024-04-01",
        fetched_at="2024-05-10T02:00:00",
        sections=[SECTION],
        run_id=RUN_MAY,
    )
    # A re-check of 110112's only version: the same record_id (same government, URL and text) landed again by a
    # newer extractor, now with a section and a figure where the first landing had none.
    undated = ids["110112"]["undated"]
    recheck = {
        **undated,
        "run_id": RUN_MAY,
        "fetched_at": "2024-05-10T02:00:00",
        "extractor_version": "test-2",
        "sections": [SECTION],
        "metrics": [METRIC],
    }
    assert recheck["record_id"] == undated["record_id"]
    # A report for a year nobody had: 110102's first.
    first = report("110102", "https://xc.example/2024/t20240420_1.html", publish_date="2024-04-20", run_id=RUN_MAY)
    landing.write_rows("reports", RUN_MAY, "110000", [edited])
    landing.write_rows("reports", RUN_MAY, "110112", [recheck])
    landing.write_rows("reports", RUN_MAY, "110102", [first])
    return {"110000:2023": "new version", "110112:2023": "re-checked", "110102:2023": "new report"}


def test_incremental_marts_rebuild_only_the_reports_that_changed_and_equal_a_full_refresh(tmp_path):
    """annual_reports, report_sections and report_metrics are incremental per report: after a crawl that edits one
    page, re-checks another, adds a report and a registry edit that drops a government, the incremental build
    re-derives exactly those reports (a sentinel written into every other row survives) and every table equals a
    full refresh row for row."""
    data_dir, registry = tmp_path / "data", tmp_path / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    ids = write_fixture(data_dir)
    # Two reports the May crawl leaves alone, one with a section and a figure, one with neither.
    Landing(data_dir).write_rows(
        "reports",
        RUN_APRIL,
        "110105",
        [report("110105", "https://cy.example/2024/a.html", sections=[SECTION], metrics=[METRIC])],
    )
    Landing(data_dir).write_rows("reports", RUN_APRIL, "110106", [report("110106", "https://ft.example/2024/a.html")])
    incremental = data_dir / "build" / "incremental.duckdb"
    first = run_dbt(data_dir, registry, AS_OF, incremental)
    assert first.success, first.describe()
    before = _report_ids(incremental)
    assert {"110000:2023", "110101:2023", "110112:2023", "110105:2023", "110106:2023"} <= before

    changed = _later_crawl(data_dir, ids)
    # 110101 leaves the registry: its report must leave the marts too.
    registry.write_text(
        "\n".join(line for line in REGISTRY.splitlines() if '"110101"' not in line and "dc.example/list" not in line),
        encoding="utf-8",
    )
    # The sentinel: a copy whose unchanged rows are marked; an incremental build must leave the marks alone.
    probe = data_dir / "build" / "probe.duckdb"
    shutil.copyfile(incremental, probe)
    con = duckdb.connect(str(probe))
    try:
        con.execute("update marts.annual_reports set body = 'SENTINEL'")
        con.execute("update marts.report_sections set text = 'SENTINEL'")
        con.execute("update marts.report_metrics set sentence = 'SENTINEL'")
    finally:
        con.close()
    second = run_dbt(data_dir, registry, dt.date(2024, 5, 15), incremental)
    assert second.success, second.describe()
    again = run_dbt(data_dir, registry, dt.date(2024, 5, 15), probe)
    assert again.success, again.describe()
    full = data_dir / "build" / "full.duckdb"
    fresh = run_dbt(data_dir, registry, dt.date(2024, 5, 15), full)
    assert fresh.success, fresh.describe()

    diffs = _differences(incremental, full)
    assert "intermediate.annual_reports__built_from" in diffs and "intermediate.report_sections__built_from" in diffs
    assert {name: d for name, d in diffs.items() if d[:2] != (0, 0)} == {}

    after = _report_ids(incremental)
    assert after == (before - {"110101:2023"}) | {"110102:2023"}
    con = duckdb.connect(str(probe), read_only=True)
    try:
        rebuilt = {
            r for (r,) in con.execute("select report_id from marts.annual_reports where body <> 'SENTINEL'").fetchall()
        }
        kept = {
            r for (r,) in con.execute("select report_id from marts.annual_reports where body = 'SENTINEL'").fetchall()
        }
        sections = dict(
            con.execute(
                "select report_id, list(text order by section_index) from marts.report_sections group by 1"
            ).fetchall()
        )
        metrics = dict(con.execute("select report_id, list(sentence) from marts.report_metrics group by 1").fetchall())
    finally:
        con.close()
    assert rebuilt == set(changed), changed
    assert kept == after - set(changed) and {"110105:2023", "110106:2023"} <= kept
    assert sections["110000:2023"] == [SECTION["text"]]  # two sections before, one now: the old ones are gone
    assert sections["110112:2023"] == [SECTION["text"]]  # none before: a report without rows is still remembered
    assert metrics["110112:2023"] == [METRIC["sentence"]]
    assert sections["110105:2023"] == ["SENTINEL"] and metrics["110105:2023"] == ["SENTINEL"]  # left alone


def _report_ids(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r for (r,) in con.execute("select report_id from marts.annual_reports").fetchall()}
    finally:
        con.close()
