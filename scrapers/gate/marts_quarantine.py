"""Row-level quarantine on the marts: a figure or a section that fails a ``row`` expectation is taken out of the
staged warehouse before publish and kept, with its government, URL and sentence, in ``marts.quarantined_rows``.

A misread figure (出庭率 150%) is a fact about one row of one report, not about coverage: blocking the whole build
for it would stop every missing-report alert in the country until someone fixed it. Only what makes coverage
untrustworthy (report_coverage, annual_reports, completeness) still blocks publishing.

A suite opts in with ``meta.quarantine`` (see expectations/README.md): the mart its rows are taken out of, the
query that names each row's government, report URL and sentence, and the count column of ``marts.annual_reports``
that counts the mart's rows per report.

The marts it applies to are incremental per report (dbt_project/macros/canonical_incremental.sql). Taking a row
out of the staged file would otherwise last for ever: dbt re-derives a report only when what it was built from
changes, so a relaxed rule would never bring the figure back. Taking a row out therefore also makes dbt forget that
report's built-from memory, so the next build re-derives the whole report and the gate decides about the row
again: still wrong, quarantined again; fixed (a new extraction, a corrected rule), published.

The history is ``DATA_DIR/gx/quarantined_rows.jsonl``, rewritten by each published build (not by what-if builds),
one line per row, landed version and expectation: when it was first and last taken out, and when it was released.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scrapers.gate.suites import Outcome, Suite, SuiteError, _plain
from scrapers.landing import atomic_write_bytes, iso

TABLE = "marts.quarantined_rows"
ROWS_NAMED = 20  # rows a notice or a gate summary names; the rest are counted (all are in marts.quarantined_rows)

# The columns of marts.quarantined_rows, in order: ids, strings, numbers, booleans, timestamps.
COLUMNS: dict[str, str] = {
    "quarantine_id": "VARCHAR",  # sha256(table_name|row_id|record_id|expectation)
    "table_name": "VARCHAR",  # the mart the row was taken out of: report_metrics, report_sections
    "row_id": "VARCHAR",  # the row's key in that mart (metric_id, section_id)
    "report_id": "VARCHAR",  # government_id:report_year; the report itself stays published
    "record_id": "VARCHAR",  # the landed version the row was read from
    "government_id": "VARCHAR",
    "government_name": "VARCHAR",
    "url": "VARCHAR",  # the report's page
    "field": "VARCHAR",  # what the row is: the figure's Chinese label (负责人出庭应诉_出庭率) or the section heading
    "sentence": "VARCHAR",  # the source sentence the figure was read from (a section: its first characters)
    "value": "VARCHAR",  # the value the expectation checked, as text
    "column_name": "VARCHAR",  # the column the expectation checked (rate_value, value, has_content)
    "expectation": "VARCHAR",  # GX type(column)
    "suite": "VARCHAR",
    "reason": "VARCHAR",  # the expectation's meta.reason
    "report_year": "INTEGER",
    "is_current": "BOOLEAN",  # held back from this warehouse; false once released or superseded
    "first_quarantined_at": "TIMESTAMP",  # UTC
    "last_quarantined_at": "TIMESTAMP",  # UTC: the last build that took it out
    "released_at": "TIMESTAMP",  # UTC: the first build that no longer took it out (passed, or its report changed)
    "as_of": "DATE",  # the as-of day of the last build that took it out
}

CONTEXT_COLUMNS = ("row_id", "report_id", "record_id", "government_id", "government_name", "report_year", "url",
                   "field", "sentence")  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """A suite's ``meta.quarantine``: where its failing rows live and how to name them."""

    table: str  # marts.<mart>
    context: str  # a query returning CONTEXT_COLUMNS for every row of the mart
    counted_by: str | None  # the column of marts.annual_reports that counts the mart's rows per report


def spec_of(suite: Suite) -> Spec | None:
    """The suite's quarantine spec, or None when its ``row`` failures block like critical ones."""
    raw = (suite.document.get("meta") or {}).get("quarantine")
    if raw is None:
        return None
    where = f"{suite.path}: meta.quarantine"
    if not isinstance(raw, dict) or not raw.get("table") or not raw.get("context"):
        raise SuiteError(f"{where} needs 'table' (marts.<mart>) and 'context' (a query naming each row)")
    if not str(raw["table"]).startswith("marts.") or len(suite.key) != 1:
        raise SuiteError(f"{where}: 'table' must be a marts.<mart> and meta.key one column (the mart's row id)")
    return Spec(table=raw["table"], context=raw["context"], counted_by=raw.get("counted_by"))


def history_path(data_dir: Path) -> Path:
    return Path(data_dir) / "gx" / "quarantined_rows.jsonl"


def _quarantine_id(table: str, row_id: str, record_id: str | None, expectation: str) -> str:
    return hashlib.sha256(f"{table}|{row_id}|{record_id}|{expectation}".encode()).hexdigest()


def take_out(con, suite: Suite, spec: Spec, failed: list[Outcome], at: dt.datetime, as_of: dt.date) -> list[dict]:
    """Delete the rows ``failed`` names from ``spec.table`` in the staged warehouse (``con``, read-write) and make
    dbt forget their reports; returns one quarantine row per (row, expectation), named by ``spec.context``."""
    key = suite.key[0]
    failures = [(o, row) for o in failed for row in o.rows if row.get(key) is not None]
    ids = sorted({str(row[key]) for _, row in failures})
    if not ids:
        return []
    con.register("quarantine_ids", pd.DataFrame({"row_id": ids}))
    try:
        context = {
            r[0]: dict(zip(CONTEXT_COLUMNS, r, strict=True))
            for r in con.execute(
                f"select {', '.join(CONTEXT_COLUMNS)} from ({spec.context}) "
                "where row_id in (select row_id from quarantine_ids)"
            ).fetchall()
        }
        mart = spec.table.split(".", 1)[1]
        memory = f"intermediate.{mart}__built_from"
        con.execute("begin transaction")
        con.execute(f"delete from {spec.table} where {key} in (select row_id from quarantine_ids)")
        # The report is re-derived by the next dbt build, so the gate decides again (module docstring).
        if con.execute(
            "select count(*) from information_schema.tables where table_schema = 'intermediate' and table_name = ?",
            [f"{mart}__built_from"],
        ).fetchone()[0]:
            reports = sorted({c["report_id"] for c in context.values() if c.get("report_id")})
            con.executemany(f"delete from {memory} where report_id = ?", [[r] for r in reports])
        con.execute("commit")
    finally:
        con.unregister("quarantine_ids")
    stamp = iso(at)
    rows = []
    for outcome, failing in failures:
        row_id = str(failing[key])
        ctx = context.get(row_id) or {"row_id": row_id}
        column = outcome.column
        rows.append(
            {
                "quarantine_id": _quarantine_id(spec.table, row_id, ctx.get("record_id"), outcome.label),
                "table_name": spec.table.split(".", 1)[1],
                **{c: _plain(ctx.get(c)) for c in CONTEXT_COLUMNS},
                "value": None if failing.get(column) is None else str(_plain(failing.get(column))),
                "column_name": column,
                "expectation": outcome.label,
                "suite": suite.name,
                "reason": outcome.reason or outcome.why,
                "is_current": True,
                "first_quarantined_at": stamp,
                "last_quarantined_at": stamp,
                "released_at": None,
                "as_of": as_of.isoformat(),
            }
        )
    return rows


def sync_counts(con, spec: Spec) -> None:
    """Make ``marts.annual_reports.<counted_by>`` count the rows ``spec.table`` publishes per report: rows taken
    out are not counted, and a released row counts again even when annual_reports itself was not re-derived."""
    if not spec.counted_by:
        return
    col = spec.counted_by
    con.execute(
        f"""
        update marts.annual_reports set {col} = counted.n
        from (
            select a.report_id, count(t.report_id) as n
            from marts.annual_reports a left join {spec.table} t on t.report_id = a.report_id
            group by a.report_id
        ) counted
        where counted.report_id = annual_reports.report_id and annual_reports.{col} is distinct from counted.n
        """
    )


def read_history(data_dir: Path) -> list[dict]:
    path = history_path(data_dir)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and row.get("quarantine_id"):
            rows.append(row)
    return rows


def merge(history: list[dict], taken: list[dict], still_held, at: dt.datetime) -> tuple[list[dict], list[dict]]:
    """The history after this build, and the rows first taken out in it (the ones the notice names).

    ``still_held(row) -> bool``: for a row current before and not taken out now, whether the staged warehouse
    still holds it back (taken out by an earlier gate on this same staged file, its version still canonical).
    """
    stamp = iso(at)
    by_id = {r["quarantine_id"]: dict(r) for r in history}
    new = []
    now_ids = set()
    for row in taken:
        now_ids.add(row["quarantine_id"])
        old = by_id.get(row["quarantine_id"])
        if old is None or not old.get("is_current"):
            new.append(row)
        merged = dict(row)
        if old is not None:
            merged["first_quarantined_at"] = old["first_quarantined_at"]
        by_id[row["quarantine_id"]] = merged
    for qid, row in by_id.items():
        if qid not in now_ids and row.get("is_current") and not still_held(row):
            row["is_current"] = False
            row["released_at"] = stamp
    ordered = sorted(by_id.values(), key=lambda r: (r["first_quarantined_at"], r["quarantine_id"]))
    return ordered, new


def write_history(data_dir: Path, rows: list[dict]) -> None:
    text = "".join(json.dumps({c: r.get(c) for c in COLUMNS}, ensure_ascii=False) + "\n" for r in rows)
    path = history_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))


def still_held_in(con, keys: dict[str, str]):
    """``merge``'s ``still_held`` for the staged warehouse ``con``: the row is absent from its mart while the
    version it was read from is still the report's canonical one. ``keys``: mart name -> its row-id column."""

    def held(row: dict) -> bool:
        table, key = f"marts.{row['table_name']}", keys.get(row["table_name"])
        if key is None:
            return False  # no suite quarantines that mart any more
        try:
            present = con.execute(f"select count(*) from {table} where {key} = ?", [row["row_id"]]).fetchone()[0]
            canonical = con.execute(
                "select count(*) from marts.annual_reports where report_id = ? and record_id = ?",
                [row.get("report_id"), row.get("record_id")],
            ).fetchone()[0]
        except Exception:  # a mart renamed since: nothing there holds it back any more
            return False
        return not present and bool(canonical)

    return held


def load(con, rows: list[dict]) -> None:
    """(Re)create ``marts.quarantined_rows`` in the staged warehouse from ``rows``."""
    con.execute("create schema if not exists marts")
    cols = ", ".join(f"{name} {typ}" for name, typ in COLUMNS.items())
    con.execute(f"create or replace table {TABLE} ({cols})")
    if rows:
        con.executemany(
            f"insert into {TABLE} values ({', '.join('?' for _ in COLUMNS)})",
            [[r.get(c) for c in COLUMNS] for r in rows],
        )


def describe_rows(rows: list[dict]) -> list[str]:
    """``describe_row`` for the first ``ROWS_NAMED`` rows, then how many more: an extractor bug that misreads a
    figure in every report must not turn one notice into thousands of lines."""
    lines = [describe_row(r) for r in rows[:ROWS_NAMED]]
    if len(rows) > ROWS_NAMED:
        lines.append(f"... and {len(rows) - ROWS_NAMED} more row(s): select * from {TABLE} where is_current")
    return lines


def describe_row(row: dict) -> str:
    """One quarantined row for a person: government name and id, year, URL, what was read, from which sentence,
    and the expectation it failed."""
    return (
        f"{row.get('government_name') or '?'} ({row.get('government_id')}) {row.get('report_year')} "
        f"{row.get('url') or '(no url)'}\n"
        f"    {row['table_name']} {row['row_id']}: {row.get('field') or ''} {row.get('column_name')}={row.get('value')}"
        f" failed {row['expectation']} ({row.get('reason')})\n"
        f"    sentence: {row.get('sentence') or '(none)'}"
    )
