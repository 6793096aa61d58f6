"""Every validation result, kept: ``DATA_DIR/gx/validation_runs.jsonl``, loaded into the warehouse as
``marts.validation_runs`` before publish so analysts can see which checks the data they read passed.

The JSON Lines file is an append-only log outside any warehouse: a failed build, whose staged warehouse is never
published, still leaves its record there, and the next published warehouse carries it. It is the gate's history
(the coverage page's gate page reads it from the warehouse); GX Data Docs are not built: they showed only the
last build process's runs and loaded bootstrap, jQuery and vega from CDNs, so they rendered blank offline.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from scrapers.landing import iso, utcnow

COLUMNS: dict[str, str] = {
    "validated_at": "TIMESTAMP",  # UTC
    "suite": "VARCHAR",  # landing_reports, marts_report_coverage, …, or a step such as dbt_build
    "success": "BOOLEAN",  # no critical expectation failed
    "evaluated": "INTEGER",  # expectations evaluated
    "failed": "INTEGER",  # expectations that failed, any severity
    "critical_failed": "INTEGER",
    "warnings": "INTEGER",  # warning-level expectations that failed
    "rows": "BIGINT",  # rows validated
    "unexpected_rows": "BIGINT",  # rows named by failed expectations (a row may count once per expectation)
    "quarantined": "BIGINT",  # records held back by this validation (landing only)
    "as_of": "DATE",
    "seconds": "DOUBLE",
    "failures": "VARCHAR[]",  # one readable line per failed expectation
}


def runs_path(data_dir: Path) -> Path:
    return Path(data_dir) / "gx" / "validation_runs.jsonl"


def record_suite_run(data_dir: Path, run, as_of: dt.date | None, **extra: Any) -> dict[str, Any]:
    """``record_validation`` for one ``SuiteRun``: its counts as both gates report them (``extra``: quarantined,
    seconds, ... where a gate knows better)."""
    failed = run.failed()
    fields: dict[str, Any] = {
        "critical_failed": len(run.failed("critical")),
        "warnings": len(run.failed("warning")),
        "rows": run.rows,
        "unexpected_rows": sum(o.unexpected_count for o in failed),
        "seconds": run.seconds,
        "failures": [o.summary() for o in failed],
        **extra,
    }
    return record_validation(data_dir, run.suite.name, run.success, len(run.outcomes), len(failed), as_of, **fields)


def record_validation(
    data_dir: Path,
    suite: str,
    success: bool,
    evaluated: int,
    failed: int,
    as_of: dt.date | None,
    *,
    critical_failed: int | None = None,
    warnings: int = 0,
    rows: int | None = None,
    unexpected_rows: int | None = None,
    quarantined: int | None = None,
    seconds: float | None = None,
    failures: list[str] | None = None,
    validated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Append one validation result to ``DATA_DIR/gx/validation_runs.jsonl``; returns the row written."""
    row = {
        "validated_at": iso(validated_at or utcnow()),
        "suite": suite,
        "success": bool(success),
        "evaluated": int(evaluated),
        "failed": int(failed),
        "critical_failed": int(critical_failed if critical_failed is not None else (0 if success else failed)),
        "warnings": int(warnings),
        "rows": rows,
        "unexpected_rows": unexpected_rows,
        "quarantined": quarantined,
        "as_of": as_of.isoformat() if as_of else None,
        "seconds": round(seconds, 3) if seconds is not None else None,
        "failures": list(failures or []),
    }
    path = runs_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
    # Appends on an O_APPEND descriptor: a crash leaves whole lines and at most one torn last one, which readers
    # skip. A torn line left by an earlier crash is ended first, so it cannot swallow this one.
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        view = memoryview(line)
        while view:
            # write() may take only part of the line (a file-size limit, a signal): write the rest, or raise
            written = os.write(fd, view)
            if written <= 0:
                raise OSError(f"{path}: write() took none of the {len(view)} bytes left of a validation record")
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    return row


def read_validation_runs(data_dir: Path) -> list[dict[str, Any]]:
    rows = []
    path = runs_path(data_dir)
    if not path.exists():
        return rows
    for line in path.read_bytes().split(b"\n"):
        try:
            row = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue  # a line torn by a crash mid-append (even inside a multi-byte character)
        if isinstance(row, dict):
            rows.append(row)
    return rows


def load_validation_runs(data_dir: Path, warehouse_path: Path) -> int:
    """(Re)create ``marts.validation_runs`` in ``warehouse_path`` from the log; returns the number of rows.

    Call it on the *staged* warehouse, before publish, in the process that ran dbt or in another one.
    """
    from scrapers.warehouse.connect import connect_rw

    rows = read_validation_runs(data_dir)
    con = connect_rw(warehouse_path)
    try:
        con.execute("create schema if not exists marts")
        cols = ", ".join(f"{name} {typ}" for name, typ in COLUMNS.items())
        con.execute(f"create or replace table marts.validation_runs ({cols})")
        if rows:
            placeholders = ", ".join("?" for _ in COLUMNS)
            con.executemany(
                f"insert into marts.validation_runs values ({placeholders})",
                [[row.get(c) for c in COLUMNS] for row in rows],
            )
        # Fold the WAL into the file now: publish copies the file, and a checkpoint here keeps that copy whole.
        con.execute("checkpoint")
    finally:
        con.close()
    return len(rows)
