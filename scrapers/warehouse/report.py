"""One government's report for one year, as an analyst reads it: the clean text and what the warehouse knows about
it (title, URL, dates, coverage status), from a built warehouse file opened read-only (``fzzf report``).

Nothing is decided here: the report is ``marts.annual_reports``' canonical one and the status is
``marts.report_coverage``'s, as dbt built them for the warehouse's as-of day.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapers.warehouse.connect import reading, rows
from scrapers.warehouse.published import require_built

__all__ = ["NoReport", "UnknownGovernment", "read_report", "render_text"]


class UnknownGovernment(LookupError):
    """The warehouse has no government with this id (a usage error: a mistyped id, or another data directory)."""


class NoReport(LookupError):
    """The government is known but the warehouse holds no report of it for this year; the message says its status."""


_REPORT = """
    select report_id, title, url, list_url, source_name, issuer, publish_date, first_seen_at, fetched_at,
        last_gone_at, char_count, section_count, metric_count, version_count, is_online, is_attachment, body
    from marts.annual_reports where government_id = ? and report_year = ?
"""
_COVERAGE = """
    select status, status_reason, due_date, days_late, days_overdue, as_of
    from marts.report_coverage where government_id = ? and report_year = ?
"""


def read_report(warehouse: Path, government_id: str, year: int) -> dict[str, Any]:
    """The report and its metadata as one dict (``coverage`` is None for a year the coverage does not span, e.g.
    before the government's ``reports_from``). ``UnknownGovernment``/``NoReport`` name the warehouse file."""
    path = require_built(warehouse, "no report can be read")
    with reading(path) as con:
        governments = rows(
            con, "select government_id, name, province, level from marts.governments where government_id = ?",
            [government_id],
        )  # fmt: skip
        if not governments:
            raise UnknownGovernment(f"{path}: no government with id {government_id!r} in marts.governments")
        coverage = rows(con, _COVERAGE, [government_id, year])
        reports = rows(con, _REPORT, [government_id, year])
        reason = rows(
            con, "select reason from marts.coverage_explained where government_id = ? and report_year = ?",
            [government_id, year],
        )  # fmt: skip
    gov = governments[0]
    status = coverage[0] if coverage else None
    if not reports:
        said = f"coverage status {status['status']}" if status else "the year is outside its coverage"
        why = f": {reason[0]['reason']}" if reason else ""
        raise NoReport(
            f"{path}: no {year} report of {gov['name']} ({government_id}); {said}{why} "
            f"(`fzzf explain {government_id} {year}` says what the crawler saw)"
        )
    return {"government": gov, "report_year": year, **reports[0], "coverage": status, "warehouse": str(path)}


def _line(label: str, value: Any) -> str:
    return f"{label + ':':<14}{'-' if value is None else value}"


def render_text(report: dict[str, Any]) -> str:
    """The metadata block, a blank line, then the clean text."""
    gov, cov = report["government"], report["coverage"]
    if cov is None:
        coverage = "not in the coverage (a year before reports_from or after the as-of year)"
    else:
        late = f", {cov['days_late']} days late" if (cov["days_late"] or 0) > 0 else ""
        coverage = f"{cov['status']}{late} (as of {cov['as_of']}; due {cov['due_date']})"
    lines = [
        f"{gov['name']} ({gov['government_id']}, {gov['province']}, {gov['level']}) — {report['report_year']} report",
        _line("title", report["title"]),
        _line("url", report["url"]),
        _line("list page", report["list_url"]),
        _line("source", report["source_name"]),
        _line("issuer", report["issuer"]),
        _line("published", report["publish_date"]),
        _line("first seen", report["first_seen_at"]),
        _line("last fetched", report["fetched_at"]),
        _line("online", "yes" if report["is_online"] else f"no (gone since {report['last_gone_at']})"),
        _line("coverage", coverage),
        _line(
            "size",
            f"{report['char_count']} characters, {report['section_count']} sections, "
            f"{report['metric_count']} figures, {report['version_count']} version(s)",
        ),  # fmt: skip
        _line("warehouse", report["warehouse"]),
        "",
        report["body"] or "",
    ]
    return "\n".join(lines)
