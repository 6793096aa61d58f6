"""What ``fzzf demo`` prints at the end: reports per year, coverage, missing reports, and where to query."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from scrapers.warehouse.paths import published_path

TRY_SQL = (
    "select province, report_year, status, count(*) as governments "
    "from marts.report_coverage group by all order by all;"
)


def print_summary(data_dir: Path, as_of: dt.date) -> None:
    path = published_path(data_dir)
    print(f"\n==> summary as of {as_of}")
    if not path.exists():
        print(f"no published warehouse at {path}: the build did not publish (see the warehouse DAG log above)")
        return
    with duckdb.connect(str(path), read_only=True) as con:
        per_year = con.sql("select report_year, count(*) from marts.annual_reports group by 1 order by 1").fetchall()
        print("reports found per year: " + (", ".join(f"{y}: {n}" for y, n in per_year) or "none"))
        coverage = con.sql(
            "select status, count(*) from marts.report_coverage group by 1 order by 2 desc, 1"
        ).fetchall()
        print("coverage: " + ", ".join(f"{s} {n}" for s, n in coverage))
        missing = con.sql(
            "select government_id, name, report_year, due_date, days_overdue "
            "from marts.missing_reports order by report_year, government_id"
        ).fetchall()
        print(f"missing reports: {len(missing)}")
        for gid, name, year, due, days in missing:
            print(f"  {gid}  {name}  {year}年度报告  due {due}  {days} days overdue")
    outbox = Path(data_dir) / "alerts" / "outbox.jsonl"
    if outbox.exists():
        print(f"alerts (no channel configured, so written to a file): {outbox}")
    print(f"quality-gate results: {Path(data_dir) / 'gx' / 'validation_runs.jsonl'} (every run; marts.validation_runs)")
    print(f"\nwarehouse: {path}")
    print(
        f"try:  .venv/bin/python -c \"import duckdb; duckdb.connect('{path}', read_only=True).sql('{TRY_SQL}').show()\""
    )
    print("open: make serve (the coverage page, http://127.0.0.1:8765/), make docs (dbt docs), make airflow (the UI)")
