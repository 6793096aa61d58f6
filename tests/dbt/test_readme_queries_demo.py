"""Every SQL query in the README's "Query the warehouse" section returns rows on the demo's warehouse.

The demo's data is built as ``fzzf demo`` builds it, without Airflow (its DAG tasks are one call each into the same
functions): the bundled demo portal on 127.0.0.1 crawled by ``run_crawl``, then ``run_build`` for today.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from farm.demo import build_demo

from scrapers.warehouse.paths import published_path

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def analyst_queries() -> list[tuple[str, str]]:
    """(the line of prose before it, the SQL) for each ```sql block of the README's "Query the warehouse" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Query the warehouse\n", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"([^\n]+)\n\n```sql\n(.*?)```", section, re.S)
    assert found, "no ```sql block in the README's Query the warehouse section"
    return [(title.strip().rstrip(":"), sql) for title, sql in found]


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    build_demo(data)
    return published_path(data)


def _cases() -> list:
    return [pytest.param(title, sql, id=title.split(" (")[0]) for title, sql in analyst_queries()]


@pytest.mark.parametrize(("title", "sql"), _cases())
def test_readme_query_returns_rows_on_the_demo(demo_warehouse, title, sql):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows, f"README query {title!r} returns no rows on the demo warehouse"
    assert all(value is not None for row in rows for value in row[:2]), f"README query {title!r}: a null key column"
