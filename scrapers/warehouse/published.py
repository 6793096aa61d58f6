"""Read-only questions the CLI asks of a built warehouse file: the published one (``paths.published_path``) or a
what-if build's. Nothing here decides a status: dbt did, as of the day the file was built for.

Connections come from ``scrapers.warehouse.connect``, which tolerates the handle a dbt run in this process still holds.
"""

from __future__ import annotations

import datetime as dt
import errno
from pathlib import Path
from typing import Any

import duckdb

from scrapers.landing import Landing
from scrapers.warehouse.connect import reading, rows

__all__ = ["coverage_summary", "missing_reports", "require_built", "stale_warning"]

_MISSING_COLUMNS = """
    government_id, name, report_year, due_date, days_overdue, province, level, parent_id, grace_days,
    grace_end_date, list_url
"""


def require_built(warehouse: Path, consequence: str) -> Path:
    """``warehouse`` as a Path; ``FileNotFoundError`` naming it and what to run when it was never built, so a
    mistyped ``--data-dir`` reads as an error, never as an empty answer."""
    path = Path(warehouse)
    if not path.exists():
        raise FileNotFoundError(
            errno.ENOENT,
            f"no built warehouse here, so {consequence}; run `fzzf crawl` and `fzzf build` for this data "
            "directory, or pass the --data-dir that holds the published warehouse",
            str(path),
        )
    return path


def missing_reports(warehouse: Path) -> list[dict[str, Any]]:
    """``marts.missing_reports`` of a warehouse file, oldest due first: the published one (``published_path``), or
    a what-if build's for another day (``run_build(..., what_if=True)``); dbt decided what is missing as of the day
    that warehouse was built for, so nothing is recomputed here.

    An absent warehouse is ``FileNotFoundError`` naming the path and what to run, never "no missing reports": a
    mistyped ``--data-dir`` or a data directory that was never built must not read as an all-clear.
    """
    path = require_built(warehouse, "nothing can be said about missing reports")
    with reading(path) as con:
        return rows(
            con,
            f"select {_MISSING_COLUMNS} from marts.missing_reports order by due_date, government_id, report_year",
        )


def coverage_summary(path: Path) -> dict[str, Any]:
    """A small summary of a warehouse file for the CLI: status counts, reports per year, missing count."""
    with reading(Path(path)) as con:
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
    return {
        "as_of": as_of,
        "governments": governments,
        "annual_reports": reports,
        "status_counts": status_counts,
        "missing": status_counts.get("missing", 0),
        "per_year": per_year,
    }


def stale_warning(data_dir: Path, warehouse: Path) -> str | None:
    """A warning when a crawl landed after ``warehouse`` was built (its newest crawl run is older than the newest
    run in ``DATA_DIR/landing/crawl_log/``), naming the build's date; None when it is current."""
    runs = Landing(data_dir).landing_dir / "crawl_log"
    landed = max((p.name for p in runs.iterdir() if p.is_dir()), default=None) if runs.is_dir() else None
    if landed is None:
        return None
    with reading(warehouse) as con:
        try:
            (built_from,) = con.execute("select max(last_run_id) from marts.crawl_health").fetchone()
        except duckdb.CatalogException:
            built_from = None  # a warehouse without crawl_health says nothing of its crawls: compare file times
        (as_of,) = con.execute("select max(as_of) from marts.report_coverage").fetchone()
    built = dt.datetime.fromtimestamp(Path(warehouse).stat().st_mtime, dt.UTC)
    if built_from is not None and built_from >= landed:
        return None
    if built_from is None and built >= dt.datetime.fromtimestamp((runs / landed).stat().st_mtime, dt.UTC):
        return None
    return (
        f"warning: {warehouse} was built {built:%Y-%m-%d %H:%M} UTC (as of {as_of}), before the last crawl landed "
        f"(run {landed}); its answer does not include that crawl: run `fzzf build` to bring it up to date"
    )
