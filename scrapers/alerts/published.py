"""What the published warehouse says: the missing reports (with their one-line reasons) and every
(government, year)'s coverage status. Read-only; an older warehouse without a table still gives the digest."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapers.alerts.state import report_key
from scrapers.warehouse.connect import reading, rows

log = logging.getLogger("fzzf.alerts")


def read_warehouse(warehouse: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Missing rows and {key: coverage status} from the published warehouse."""
    with reading(warehouse) as con:
        missing = rows(
            con,
            "select government_id, name, province, level, report_year, due_date, days_overdue "
            "from marts.missing_reports order by province, level, government_id, report_year",
        )
        reasons = _reasons(con)
        for row in missing:
            row["reason"] = reasons.get(report_key(row))
        try:
            coverage = {
                report_key(r): str(r["status"])
                for r in rows(con, "select government_id, report_year, status from marts.report_coverage")
            }
        except Exception as exc:  # an older warehouse without the table: resolved lines need it, the digest does not
            log.warning("cannot read marts.report_coverage (%s); resolved lines are skipped this run", exc)
            coverage = {}
    return missing, coverage


def _reasons(con) -> dict[str, str]:
    """{key: one-line reason} from marts.coverage_explained; empty for an older warehouse without it (the digest
    still goes out, without reasons: a missing reason must never cost the alert)."""
    try:
        explained = rows(con, "select government_id, report_year, reason from marts.coverage_explained")
    except Exception as exc:  # noqa: BLE001 - duckdb raises CatalogException for a missing table
        log.warning("cannot read marts.coverage_explained (%s); digest lines go without their reason", exc)
        return {}
    return {report_key(r): r["reason"] for r in explained if r["reason"]}


def read_unknown(warehouse: Path) -> list[dict[str, Any]]:
    """Every ``unknown`` (government, year) with what the warehouse says about why: report_coverage's row (with
    ``status_reason``, and ``status_reason_kind`` where the warehouse has it) and coverage_explained's ``reason``
    and ``reason_kind`` (null in an older warehouse without that table)."""
    with reading(warehouse) as con:
        coverage = rows(con, "select * from marts.report_coverage where status = 'unknown'")
        reasons: dict[str, dict[str, Any]] = {}
        try:
            for r in rows(con, "select * from marts.coverage_explained where status = 'unknown'"):
                reasons[report_key(r)] = r
        except Exception as exc:  # noqa: BLE001 - an older warehouse: group by report_coverage's reason alone
            log.warning("cannot read marts.coverage_explained (%s); unknown rows grouped by status_reason", exc)
    for row in coverage:
        explained = reasons.get(report_key(row), {})
        row["reason"] = explained.get("reason")
        row["reason_kind"] = explained.get("reason_kind")
    return sorted(coverage, key=lambda r: (r["province"] or "", r["government_id"], r["report_year"]))
