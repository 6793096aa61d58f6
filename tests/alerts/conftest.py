"""A real HTTP webhook receiver on 127.0.0.1 and a real (small) published warehouse for the alert tests."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from .receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


MISSING_COLUMNS = "government_id, name, province, level, report_year, due_date, days_overdue"


def publish_warehouse(
    data_dir: Path,
    missing: list[tuple],
    coverage: list[tuple],
    reasons: list[tuple] | None = None,
    crawl_runs: list[tuple] | None = None,
) -> Path:
    """Write DATA_DIR/warehouse.duckdb the way publish does: build aside, then rename over the old one.

    ``reasons``: (government_id, report_year, reason) rows of marts.coverage_explained; None leaves the table out,
    as in a warehouse built before it existed. ``crawl_runs``: (government_id, last_run_id) rows of
    marts.crawl_health (None leaves it out)."""
    staged = data_dir / "build" / "warehouse.duckdb"
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.unlink(missing_ok=True)
    con = duckdb.connect(str(staged))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.missing_reports (government_id varchar, name varchar, province varchar, "
            "level varchar, report_year integer, due_date date, days_overdue integer, parent_id varchar, "
            "grace_days integer, grace_end_date date, list_url varchar)"
        )
        con.execute(
            "create table marts.report_coverage (government_id varchar, report_year integer, status varchar, "
            "name varchar, province varchar, level varchar, due_date date, grace_end_date date, days_overdue integer, "
            "status_reason varchar, as_of date)"
        )
        if missing:
            con.executemany(
                f"insert into marts.missing_reports ({MISSING_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)", missing
            )
        if coverage:
            for row in coverage:  # (id, year, status) or those plus name, province, level, due, grace end, days, reason
                cols = (
                    "government_id, report_year, status, name, province, level, due_date, grace_end_date, "
                    "days_overdue, status_reason"
                )
                names = ", ".join(cols.split(", ")[: len(row)])
                con.execute(f"insert into marts.report_coverage ({names}) values ({', '.join('?' * len(row))})", row)
        if reasons is not None:
            con.execute(
                "create table marts.coverage_explained (government_id varchar, report_year integer, reason varchar, "
                "status varchar, reason_kind varchar)"
            )
            for row in reasons:  # (id, year, reason) or those plus status and reason_kind
                names = ", ".join(["government_id", "report_year", "reason", "status", "reason_kind"][: len(row)])
                con.execute(f"insert into marts.coverage_explained ({names}) values ({', '.join('?' * len(row))})", row)
        if crawl_runs is not None:
            con.execute("create table marts.crawl_health (government_id varchar, last_run_id varchar)")
            if crawl_runs:
                con.executemany("insert into marts.crawl_health values (?, ?)", crawl_runs)
    finally:
        con.close()
    published = data_dir / "warehouse.duckdb"
    os.replace(staged, published)
    return published
