"""Atomic publish of the audited staging warehouse: analysts see the old file or the whole new one, never a part.

The published file holds schema ``marts`` only (the marts, ``validation_runs`` and ``quarantine``): the staging and
intermediate tables, and the incremental memory of the marts (``intermediate.<mart>__built_from``), stay in the
staged warehouse, dbt's working file kept between builds (``paths.staged_path``). Nothing reads them from the
published file, and analysts should not find 27 build tables beside the dozen they query.

``publish(staged, published)``:

1. checkpoint the staged database, so the file alone holds everything (no data left in its ``.wal``);
2. write its ``marts`` tables into a new DuckDB file beside the published one (same filesystem, so the rename is
   atomic), which DuckDB checkpoints on detach; fsync;
3. open the copy and query it: a copy that does not open, or holds no table, is never published;
4. keep the current published file as ``warehouse.previous.duckdb`` (a hard link: no copy, no window);
5. ``os.replace`` the temp file over the published one and fsync the directory.

A reader that opened the old file keeps its inode and goes on reading the old data. A crash or kill before step 5
leaves the old file untouched (and a temp file the next publish removes); after step 5 the new file is complete.

For tests only: ``FZZF_TEST_PUBLISH_PAUSE=<stage>:<seconds>`` sleeps at ``copying`` (half the tables written) or
``before_replace``, so a test can SIGKILL a real publishing process at that point.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sys
import time
from pathlib import Path

import duckdb
from filelock import FileLock

log = logging.getLogger(__name__)

TEMP_GLOB = ".{stem}*.publishing"  # temps of the published file and of its .previous link


class PublishError(RuntimeError):
    """The staged warehouse could not be published; the published one is unchanged."""


def previous_path(published: Path) -> Path:
    published = Path(published)
    return published.with_name(published.stem + ".previous" + published.suffix)


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _test_pause(stage: str) -> None:
    spec = os.environ.get("FZZF_TEST_PUBLISH_PAUSE", "")
    if spec.partition(":")[0] == stage:
        print(f"publish paused at {stage}", file=sys.stderr, flush=True)  # the test waits for this line, then kills
        time.sleep(float(spec.partition(":")[2] or 30))


PUBLISHED_SCHEMA = "marts"


def _write_marts(staged: Path, dst: Path) -> int:
    """Checkpoint ``staged`` and write its schema ``marts`` into the new file ``dst``; returns the tables written.

    Plain connection: in the process that ran dbtRunner this shares dbt's open instance (see warehouse.connect).
    The marts are plain tables (no constraints, comments or indexes: dbt's contracts and persist_docs are off), so
    ``create table … as`` carries all there is; a view in marts is re-created from its SQL, and fails loudly if it
    reads outside marts.
    """
    con = duckdb.connect(str(staged))
    try:
        con.execute("checkpoint")
        wal = staged.with_name(staged.name + ".wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise PublishError(f"{wal} still holds data after a checkpoint; another process is writing {staged}")
        (source,) = con.execute("select current_database()").fetchone()
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by 1",
                [source, PUBLISHED_SCHEMA],
            ).fetchall()
        ]
        views = con.execute(
            "select view_name, sql from duckdb_views() where database_name = ? and schema_name = ? "
            "and not internal order by 1",
            [source, PUBLISHED_SCHEMA],
        ).fetchall()
        # As dbt writes them (profiles.yml): no row order is relied on, and keeping it made the copy of the
        # 10,000-report bench's marts take 3.4 s instead of 2.5 s.
        con.execute("set preserve_insertion_order = false")
        quoted = str(dst).replace("'", "''")
        con.execute(f"attach '{quoted}' as fzzf_publish")
        try:
            con.execute(f"create schema fzzf_publish.{PUBLISHED_SCHEMA}")
            for i, table in enumerate(tables):
                if i == len(tables) // 2:
                    _test_pause("copying")
                con.execute(
                    f'create table fzzf_publish.{PUBLISHED_SCHEMA}."{table}" as '
                    f'select * from "{source}".{PUBLISHED_SCHEMA}."{table}"'
                )
            con.execute("use fzzf_publish")  # a view's SQL names its tables without a database
            for name, sql in views:
                try:
                    con.execute(sql)
                except duckdb.Error as exc:
                    raise PublishError(f"view {PUBLISHED_SCHEMA}.{name} cannot be published alone: {exc}") from exc
        finally:
            con.execute(f'use "{source}"')
            con.execute("detach fzzf_publish")  # checkpoints the new file: it holds everything, no .wal beside it
    finally:
        con.close()
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return len(tables)


def _verify(path: Path) -> int:
    """Open the copy on its own and count its tables: proof it is a whole DuckDB database."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from information_schema.tables").fetchone()[0]
    finally:
        con.close()


def _keep_previous(published: Path) -> None:
    """Hard-link the current file as ``.previous`` (atomically, via a temp name); a nicety, never a reason to fail."""
    previous = previous_path(published)
    tmp = previous.with_name(f".{previous.name}.{secrets.token_hex(4)}.publishing")
    try:
        os.link(published, tmp)
        os.replace(tmp, previous)
    except OSError as exc:  # a filesystem without hard links
        log.warning("could not keep %s as %s: %s", published, previous, exc)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def remove_stale_temps(published: Path) -> int:
    """Temp files a killed publish left behind (never the published or previous file)."""
    published = Path(published)
    removed = 0
    for stale in published.parent.glob(TEMP_GLOB.format(stem=published.stem)):
        for p in (stale, stale.with_name(stale.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed += 1
    return removed


def publish(staged: Path, published: Path, keep_previous: bool = True) -> Path:
    """Publish ``staged`` as ``published`` atomically; returns ``published``."""
    staged, published = Path(staged), Path(published)
    if not staged.exists():
        raise PublishError(f"nothing to publish: {staged} does not exist")
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(published)

    tmp = published.with_name(f".{published.name}.{secrets.token_hex(4)}.publishing")
    try:
        _write_marts(staged, tmp)
        tables = _verify(tmp)
        if tables == 0:
            raise PublishError(
                f"{staged} has no table in schema {PUBLISHED_SCHEMA}; refusing to publish an empty warehouse"
            )
        _test_pause("before_replace")
        if keep_previous and published.exists():
            _keep_previous(published)
        stale_wal = published.with_name(published.name + ".wal")
        if stale_wal.exists():
            # The published file is read-only for everyone; a WAL beside it belongs to the old file and must not be
            # replayed into the new one.
            log.warning("removing %s left beside the published warehouse", stale_wal)
            stale_wal.unlink()
        os.replace(tmp, published)
    except BaseException:
        for p in (tmp, tmp.with_name(tmp.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        raise
    _fsync_dir(published.parent)
    log.debug("published %s (%d tables) as %s", staged, tables, published)  # the build logs its own line
    return published


def build_lock(data_dir: Path, timeout: float = 600.0) -> FileLock:
    """The lock that serializes builds of one data directory (``DATA_DIR/locks/build.lock``)."""
    path = Path(data_dir) / "locks" / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path, timeout=timeout)


if (
    __name__ == "__main__"
):  # python -m scrapers.warehouse.publish STAGED PUBLISHED (the kill-during-publish test runs this)
    publish(Path(sys.argv[1]), Path(sys.argv[2]))
