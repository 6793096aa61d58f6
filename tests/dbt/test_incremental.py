"""Incremental dbt builds equal full refreshes: real dbt builds on real DuckDB files, every table compared.

The landing streams are loaded once per landing file (macros/landing_incremental.sql); everything else is rebuilt
each build, so a later crawl, a quarantine decided later, a new as-of day and even a landing file that vanished
must all leave an incrementally built warehouse identical to one built from scratch.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from test_warehouse_build import REGISTRY, RUN_APRIL, RUN_MARCH, write_fixture

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
