"""Every question the coverage page asks of the published warehouse, as read-only SQL in one place (the integrator
adjusts a mart's columns here and nowhere else). Nothing is decided here: statuses, reasons and figures are the
marts', as dbt built them for the warehouse's as-of day.

Each function takes an open connection (``scrapers.warehouse.connect.reading``) and returns plain rows. A table
that an older (or newer) warehouse does not hold reads as ``None``, never as an error, so one absent mart costs
its own panel only.
"""

from __future__ import annotations

from typing import Any

import duckdb

from scrapers.warehouse.connect import rows

__all__ = [
    "METRICS_LIMIT",
    "SEARCH_LIMIT",
    "cell_governments",
    "government",
    "government_years",
    "heatmap",
    "metric_catalog",
    "metrics",
    "missing",
    "provinces",
    "quarantine",
    "quarantined_rows",
    "report",
    "report_metrics",
    "report_quarantined_rows",
    "search",
    "summary",
    "validation_runs",
]

SEARCH_LIMIT = 50  # results per search: a list longer than this is read by narrowing the words, not by scrolling
METRICS_LIMIT = 5000  # figures per answer: the table beyond that is read by choosing a metric or a government
SNIPPET_CHARS = 60  # characters kept on each side of the first match


def _optional(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict] | None:
    """``rows``, or None when a table (or column) the query names is not in this warehouse."""
    try:
        return rows(con, sql, params)
    except (duckdb.CatalogException, duckdb.BinderException):
        return None


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """As-of day, counts of governments and reports, and (government, year) rows per status."""
    (as_of,) = con.execute("select max(as_of) from marts.report_coverage").fetchone()
    (governments,) = con.execute("select count(*) from marts.governments").fetchone()
    (reports,) = con.execute("select count(*) from marts.annual_reports").fetchone()
    statuses = dict(con.execute("select status, count(*) from marts.report_coverage group by status").fetchall())
    return {"as_of": as_of, "governments": governments, "annual_reports": reports, "status_counts": statuses}


def heatmap(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """(province, year, status, governments) for every status present: the heat map's cells, counted by dbt's
    status, never re-derived."""
    return rows(
        con,
        """
        select province, report_year, status, count(*) as governments
        from marts.report_coverage
        group by province, report_year, status
        order by province, report_year, status
        """,
    )


_YEAR_ROW = """
    coverage.government_id, coverage.name, coverage.province, coverage.level, coverage.report_year,
    coverage.status, coverage.status_reason, coverage.due_date, coverage.grace_end_date, coverage.days_late,
    coverage.days_overdue, coverage.publish_date, coverage.title, coverage.url,
    explained.reason, explained.reason_kind, explained.evidence_url, explained.evidence_title
"""
_YEAR_FROM = """
    from marts.report_coverage as coverage
    left join marts.coverage_explained as explained
        on explained.government_id = coverage.government_id and explained.report_year = coverage.report_year
"""
# coverage_explained is newer than report_coverage: without it the same rows, with no reason column filled.
_YEAR_ROW_NO_REASON = _YEAR_ROW.split("explained.reason,")[0] + (
    "null as reason, null as reason_kind, null as evidence_url, null as evidence_title"
)


def _years(con: duckdb.DuckDBPyConnection, where: str, order: str, params: list) -> list[dict]:
    found = _optional(con, f"select {_YEAR_ROW} {_YEAR_FROM} where {where} order by {order}", params)
    if found is not None:
        return found
    return rows(
        con,
        f"select {_YEAR_ROW_NO_REASON} from marts.report_coverage as coverage where {where} order by {order}",
        params,
    )


def cell_governments(con: duckdb.DuckDBPyConnection, province: str, year: int) -> list[dict]:
    """Every government of one heat-map cell with its status, due date and reason; the gaps first."""
    return _years(
        con,
        "coverage.province = ? and coverage.report_year = ?",
        "coverage.is_published, coverage.status, coverage.level, coverage.government_id",
        [province, year],
    )


def government(con: duckdb.DuckDBPyConnection, government_id: str) -> dict | None:
    found = rows(
        con,
        """
        select government_id, name, province, level, parent_id, url_status, home_url, list_urls, due, grace_days
        from marts.governments where government_id = ?
        """,
        [government_id],
    )
    return found[0] if found else None


def government_years(con: duckdb.DuckDBPyConnection, government_id: str) -> list[dict]:
    """One row per report year of the government: status, due date, reason (coverage_explained's), report title."""
    return _years(con, "coverage.government_id = ?", "coverage.report_year desc", [government_id])


def report(con: duckdb.DuckDBPyConnection, government_id: str, year: int) -> dict | None:
    """The canonical report of one (government, year): metadata and clean text."""
    found = rows(
        con,
        """
        select reports.report_id, reports.government_id, governments.name, governments.province,
            reports.report_year, reports.title, reports.url, reports.list_url, reports.source_name, reports.issuer,
            reports.publish_date, reports.first_seen_at, reports.fetched_at, reports.is_online,
            reports.last_gone_at, reports.char_count, reports.version_count, reports.body
        from marts.annual_reports as reports
        inner join marts.governments as governments on governments.government_id = reports.government_id
        where reports.government_id = ? and reports.report_year = ?
        """,
        [government_id, year],
    )
    return found[0] if found else None


_METRIC_ROW = """
    metrics.government_id, governments.name, governments.province, metrics.report_year, metrics.metric,
    coalesce(labels.label, metrics.metric) as label, labels.topic, coalesce(metrics.unit, labels.unit) as unit,
    metrics.value, metrics.sentence, metrics.section
"""
_METRIC_FROM = """
    from marts.report_metrics as metrics
    inner join marts.governments as governments on governments.government_id = metrics.government_id
    left join marts.metric_labels as labels on labels.metric = metrics.metric
"""


def report_metrics(con: duckdb.DuckDBPyConnection, government_id: str, year: int) -> list[dict] | None:
    """The figures of one report with their Chinese labels, in report order; None without the marts."""
    return _optional(
        con,
        f"select {_METRIC_ROW} {_METRIC_FROM} where metrics.government_id = ? and metrics.report_year = ? "
        "order by metrics.metric_index",
        [government_id, year],
    )


def metric_catalog(con: duckdb.DuckDBPyConnection) -> list[dict] | None:
    """Every metric code with its label, topic, unit and how many figures the warehouse holds of it."""
    return _optional(
        con,
        """
        select labels.metric, labels.label, labels.topic, labels.unit, count(metrics.metric) as figures
        from marts.metric_labels as labels
        left join marts.report_metrics as metrics on metrics.metric = labels.metric
        group by all
        order by figures desc, labels.topic, labels.metric
        """,
    )


def metrics(
    con: duckdb.DuckDBPyConnection, metric: str | None, province: str | None, government_id: str | None
) -> list[dict] | None:
    """Figures by government and year, filtered by metric code, province and government (each optional)."""
    where, params = ["true"], []
    for column, value in (("metrics.metric", metric), ("governments.province", province),
                          ("metrics.government_id", government_id)):  # fmt: skip
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    return _optional(
        con,
        f"select {_METRIC_ROW} {_METRIC_FROM} where {' and '.join(where)} "
        "order by governments.province, metrics.government_id, metrics.report_year, metrics.metric_index "
        f"limit {METRICS_LIMIT + 1}",  # one more than shown: the page says when it cut the list
        params,
    )


def provinces(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [p for (p,) in con.execute("select distinct province from marts.governments order by province").fetchall()]


def missing(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """``marts.missing_reports`` with coverage_explained's reason, oldest due first (as ``fzzf missing`` lists it)."""
    found = _optional(
        con,
        """
        select missing.government_id, missing.name, missing.province, missing.level, missing.report_year,
            missing.due_date, missing.grace_end_date, missing.days_overdue, missing.list_url, explained.reason,
            explained.reason_kind
        from marts.missing_reports as missing
        left join marts.coverage_explained as explained
            on explained.government_id = missing.government_id and explained.report_year = missing.report_year
        order by missing.due_date, missing.government_id, missing.report_year
        """,
    )
    if found is not None:
        return found
    return rows(
        con,
        """
        select government_id, name, province, level, report_year, due_date, grace_end_date, days_overdue, list_url,
            null as reason, null as reason_kind
        from marts.missing_reports order by due_date, government_id, report_year
        """,
    )


def search(con: duckdb.DuckDBPyConnection, words: list[str], limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    """Reports whose clean text holds every word (plain substrings: Chinese has no spaces to tokenise on, and a scan
    of the text column is fast enough for every report of every government), newest first, each with the text
    around its first word."""
    if not words:
        return {"total": 0, "results": []}
    match = " and ".join("contains(reports.body, ?)" for _ in words)
    (total,) = con.execute(f"select count(*) from marts.annual_reports as reports where {match}", words).fetchone()
    found = rows(
        con,
        f"""
        select reports.government_id, governments.name, governments.province, reports.report_year, reports.title,
            reports.url,
            substr(reports.body, greatest(1, strpos(reports.body, ?) - {SNIPPET_CHARS}),
                   {2 * SNIPPET_CHARS} + length(?)) as snippet,
            strpos(reports.body, ?) > {SNIPPET_CHARS + 1} as snippet_cut
        from marts.annual_reports as reports
        inner join marts.governments as governments on governments.government_id = reports.government_id
        where {match}
        order by reports.report_year desc, reports.government_id
        limit {int(limit)}
        """,
        [words[0], words[0], words[0], *words],
    )
    return {"total": total, "results": found}


def validation_runs(con: duckdb.DuckDBPyConnection) -> list[dict] | None:
    """Every gate result the published warehouse carries (``scrapers.gate.runs``), oldest first."""
    return _optional(
        con,
        """
        select validated_at, suite, success, evaluated, failed, critical_failed, warnings, rows, unexpected_rows,
            quarantined, as_of, seconds, failures
        from marts.validation_runs order by validated_at, rowid
        """,
    )


def quarantine(con: duckdb.DuckDBPyConnection) -> list[dict] | None:
    """The rows the published build's landing gate held back, and why; None when the warehouse has no such table."""
    return _optional(
        con,
        "select stream, record_id, reason, expectation, quarantined_at from marts.quarantine "
        "order by quarantined_at, stream, record_id",
    )


_QUARANTINED_ROW = """
    quarantine_id, table_name, row_id, report_id, record_id, government_id, government_name, url, field, sentence,
    value, column_name, expectation, suite, reason, report_year, is_current, first_quarantined_at,
    last_quarantined_at, released_at, as_of
"""


def quarantined_rows(con: duckdb.DuckDBPyConnection) -> list[dict] | None:
    """The marts' rows the published build's gate took out (``marts.quarantined_rows``): those still held back first,
    then the released ones, newest first; None when the warehouse is older than the row-level quarantine."""
    return _optional(
        con,
        f"select {_QUARANTINED_ROW} from marts.quarantined_rows "
        "order by is_current desc, coalesce(released_at, last_quarantined_at) desc, government_id, report_year, "
        "table_name, field",
    )


def report_quarantined_rows(con: duckdb.DuckDBPyConnection, government_id: str, year: int) -> list[dict] | None:
    """The rows of one report held back from the published warehouse now (figures, sections); None without the
    table."""
    return _optional(
        con,
        f"select {_QUARANTINED_ROW} from marts.quarantined_rows "
        "where is_current and government_id = ? and report_year = ? order by table_name, field, row_id",
        [government_id, year],
    )
