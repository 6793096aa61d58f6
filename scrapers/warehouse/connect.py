"""DuckDB connections to a warehouse file that may still be open in this very process.

After ``dbtRunner`` ran, dbt-duckdb keeps its database instance (read-write, default configuration) alive in the
process; DuckDB then refuses a ``read_only`` connection to the same file ("different configuration") but hands a
plain connection the same instance. So readers try read-only first (the safe choice in a fresh process, e.g. an
Airflow task after the dbt task) and fall back to a plain connection only for that error.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect_rw(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to an existing warehouse file (never creates one by accident)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist")
    return duckdb.connect(str(path))


def connect_read(path: Path) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException as exc:
        if "configuration" not in str(exc):
            raise
        return duckdb.connect(str(path))


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """The result of ``sql`` as one dict per row, keyed by column name."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
