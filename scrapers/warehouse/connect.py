"""DuckDB connections to a warehouse file that may still be open in this very process.

After ``dbtRunner`` ran, dbt-duckdb keeps its database instance (read-write, default configuration) alive in the
process; DuckDB then refuses a ``read_only`` connection to the same file ("different configuration") but hands a
plain connection the same instance. So readers try read-only first (the safe choice in a fresh process, e.g. an
Airflow task after the dbt task) and fall back to a plain connection only for that error.

A file another process holds open read-write (an analyst's notebook) cannot be opened at all, and a damaged file
fails on open or on the first query: readers wait ``FZZF_WAREHOUSE_WAIT`` seconds for a lock to go, then raise
``WarehouseUnreadable``, whose message names the file and what to do, instead of DuckDB's traceback.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

LOCK_POLL = 0.5  # seconds between tries while another process holds the file


class WarehouseUnreadable(OSError):
    """A warehouse file that cannot be read now: locked by another process, or damaged. An ``OSError`` so that
    every CLI command reports it as one line naming the file (exit 1), never as a traceback."""

    def __init__(self, path: Path, problem: str):
        super().__init__(errno.EIO, problem, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def _unreadable(path: Path, exc: duckdb.Error, waited: float) -> WarehouseUnreadable:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Conflicting lock" in text:
        holder = text.partition("Conflicting lock is held in ")[2].split(". See also")[0] or "another process"
        return WarehouseUnreadable(
            path,
            f"held open read-write by another process ({holder}) for {waited:.0f} s; nothing can read it until "
            "that connection closes (open it with read_only=True, or query a copy), then run the command again",
        )
    return WarehouseUnreadable(
        path, f"not a readable DuckDB warehouse ({text}); run `fzzf build` to build and publish it again"
    )


def connect_rw(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to an existing warehouse file (never creates one by accident)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist")
    return duckdb.connect(str(path))


def connect_read(path: Path, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection; waits up to ``wait`` seconds (default ``FZZF_WAREHOUSE_WAIT``, 30) for another
    process's lock to go; ``WarehouseUnreadable`` for a file still locked or damaged."""
    from scrapers.settings import _env_float

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist")
    wait = _env_float("FZZF_WAREHOUSE_WAIT", 30.0) if wait is None else wait
    start = time.monotonic()
    while True:
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.ConnectionException as exc:
            if "configuration" not in str(exc):
                raise _unreadable(path, exc, time.monotonic() - start) from None
            return duckdb.connect(str(path))
        except duckdb.Error as exc:
            waited = time.monotonic() - start
            if "Conflicting lock" in str(exc) and waited < wait:
                time.sleep(LOCK_POLL)
                continue
            raise _unreadable(path, exc, waited) from None


@contextmanager
def reading(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """``connect_read`` for a block of queries: a damaged file that fails only on a query is ``WarehouseUnreadable``
    too, naming the file; the connection is closed either way."""
    con = connect_read(path)
    try:
        yield con
    except duckdb.Error as exc:
        raise _unreadable(Path(path), exc, 0) from None
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """The result of ``sql`` as one dict per row, keyed by column name."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
