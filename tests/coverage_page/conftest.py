"""The demo's data, built once per test session as ``fzzf demo`` builds it but without Airflow (its DAG tasks are one
call each into the same functions): the bundled demo portal on 127.0.0.1 crawled by ``run_crawl``, then
``run_build`` for today with alerts on, so the alert state records what the channel (the outbox file) was told.
Beside it, a small real build whose marts gate holds back one figure (the demo holds back none)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from farm.demo import build_demo
from gates.helpers import land, record, write_registry
from gates.test_marts_quarantine import AS_OF, BAD_SENTENCE, g2_report

from scrapers.coverage_page.server import CoveragePage
from scrapers.warehouse.build import run_build
from scrapers.warehouse.paths import published_path

MISSING_GOV = "231282"  # 肇东市: the demo portal has no report for its latest due year


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    build_demo(data, send_alerts=True)
    return data


@pytest.fixture(scope="session")
def demo_facts(demo_data) -> dict:
    """What the demo's warehouse holds, read with DuckDB directly: what the page must show."""
    con = duckdb.connect(str(published_path(demo_data)), read_only=True)
    try:
        (missing,) = con.execute(
            """
            select struct_pack(
                government_id := m.government_id, name := m.name, province := m.province,
                report_year := m.report_year, due_date := m.due_date, reason := e.reason
            )
            from marts.missing_reports as m
            inner join marts.coverage_explained as e using (government_id, report_year)
            """
        ).fetchall()
        (report,) = con.execute(
            "select struct_pack(government_id, report_year, title, url, body) from marts.annual_reports "
            "order by government_id, report_year limit 1"
        ).fetchone()
        label = con.execute(
            "select labels.label from marts.report_metrics join marts.metric_labels as labels using (metric) limit 1"
        ).fetchone()
    finally:
        con.close()
    return {"missing": missing[0], "report": report, "metric_label": label[0] if label else None}


@pytest.fixture(scope="session")
def quarantined_data(tmp_path_factory) -> Path:
    """A real build (dbt, GX) of two governments whose g2 states a 出庭率 of 150 %: the marts gate takes the figure
    out and publishes the rest, as tests/gates/test_marts_quarantine.py's first build does."""
    data = tmp_path_factory.mktemp("marts_quarantine")
    registry = write_registry(data / "registry.yaml", ["g1", "g2"], reports_from=2022)
    land(data, [record("g1", "003"), g2_report(150.0, BAD_SENTENCE)])
    build = run_build(data, registry, AS_OF, send_alerts=False)
    assert build.published, build.describe()
    return data


@pytest.fixture(scope="session")
def demo_page(demo_data) -> Iterator[CoveragePage]:
    """``fzzf serve``'s server over the demo's data directory, on 127.0.0.1 and a free port."""
    with CoveragePage(demo_data, host="127.0.0.1", port=0) as page:
        yield page
