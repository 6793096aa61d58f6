"""Read-only questions the CLI asks of a built warehouse file: the published one (``paths.published_path``) or a
what-if build's. Nothing here decides a status: dbt did, as of the day the file was built for.

Connections come from ``scrapers.warehouse.connect``, which tolerates the handle a dbt run in this process still holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapers.warehouse.connect import connect_read, rows

__all__ = ["coverage_summary", "missing_reports"]

_MISSING_COLUMNS = """
    government_id, name, report_year, due_date, days_overdue, province, level, parent_id, grace_days,
    grace_end_date, list_url
"""


def missing_reports(warehouse: Path) -> list[dict[str, Any]]:
    """``marts.missing_reports`` of a warehouse file, oldest due first: the published one (``published_path``), or
    a what-if build's for another day (``run_build(..., what_if=True)``); dbt decided what is missing as of the day
    that warehouse was built for, so nothing is recomputed here.

    An absent warehouse (nothing published yet) has no missing reports.
    """
    path = Path(warehouse)
    if not path.exists():
        return []
    con = connect_read(path)
    try:
        return rows(
            con,
            f"select {_MISSING_COLUMNS} from marts.missing_reports order by due_date, government_id, report_year",
        )
    finally:
        con.close()


def coverage_summary(path: Path) -> dict[str, Any]:
    """A small summary of a warehouse file for the CLI: status counts, reports per year, missing count."""
    con = connect_read(Path(path))
    try:
        status_counts = dict(
            con.execute("select status, count(*) from marts.report_coverage group by status order by status").fetchall()
        )
        per_year = {
            int(year): {"published": published, "expected": expected}
            for year, published, expected in con.execute(
                """
                select report_year, count(*) filter (where is_published), count(*)
                from marts.report_coverage group by report_year order by report_year
                """
            ).fetchall()
        }
        (as_of,) = con.execute("select max(as_of) from marts.report_coverage").fetchone()
        (reports,) = con.execute("select count(*) from marts.annual_reports").fetchone()
        (governments,) = con.execute("select count(*) from marts.governments").fetchone()
    finally:
        con.close()
    return {
        "as_of": as_of,
        "governments": governments,
        "annual_reports": reports,
        "status_counts": status_counts,
        "missing": status_counts.get("missing", 0),
        "per_year": per_year,
    }
