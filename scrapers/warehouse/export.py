"""A mart of a built warehouse written out as CSV or Parquet for tools that do not read DuckDB (``fzzf export``).

DuckDB's own ``COPY`` writes the file (types, quoting and nested columns handled by the engine), from a read-only
connection. It writes to a temporary file beside the target and renames it, so an export that fails half-way never
leaves a truncated file where an earlier complete one was.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from scrapers.warehouse.connect import reading
from scrapers.warehouse.published import require_built

__all__ = ["FORMATS", "UnknownMart", "export_mart"]

FORMATS = ("csv", "parquet")
_COPY_OPTIONS = {"csv": "format csv, header true", "parquet": "format parquet"}


class UnknownMart(LookupError):
    """A name that is not a table of schema ``marts``; the message lists the valid ones."""


def export_mart(warehouse: Path, mart: str, fmt: str = "csv", out: Path | None = None) -> tuple[Path, int]:
    """Write ``marts.<mart>`` to ``out`` (default ``./<mart>.<fmt>``); the path written and its row count."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    path = require_built(warehouse, "no mart can be exported")
    out = Path(out) if out is not None else Path(f"{mart}.{fmt}")
    if not out.parent.is_dir():  # checked here: inside `reading`, DuckDB's error would read as a damaged warehouse
        raise FileNotFoundError(errno.ENOENT, "no such directory to export into", str(out.parent))
    tmp = out.with_name(f".{out.name}.exporting")
    with reading(path) as con:
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_type = 'BASE TABLE' order by table_name"
            ).fetchall()
        ]
        if mart not in marts:
            raise UnknownMart(f"{path}: {mart!r} is not a table of schema marts; valid: {', '.join(marts)}")
        # The name is one of the schema's own tables (checked above) and COPY takes no parameter for its target,
        # so both are spliced in: the path with its quotes doubled.
        target = str(tmp).replace("'", "''")
        try:
            con.execute(f"copy marts.\"{mart}\" to '{target}' ({_COPY_OPTIONS[fmt]})")
            (count,) = con.execute(f'select count(*) from marts."{mart}"').fetchone()
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    return out, count
