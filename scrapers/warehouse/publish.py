"""Atomic publish of the audited staging warehouse: analysts see the old file or the whole new one, never a part.

``publish(staged, published)``:

1. checkpoint the staged database, so the file alone holds everything (no data left in its ``.wal``);
2. copy it to a temp file in the published file's directory (same filesystem, so the rename is atomic), fsync;
3. open the copy and query it: a copy that does not open is never published;
4. keep the current published file as ``warehouse.previous.duckdb`` (a hard link: no copy, no window);
5. ``os.replace`` the temp file over the published one and fsync the directory.

A reader that opened the old file keeps its inode and goes on reading the old data. A crash or kill before step 5
leaves the old file untouched (and a temp file the next publish removes); after step 5 the new file is complete.

For tests only: ``FZZF_TEST_PUBLISH_PAUSE=<stage>:<seconds>`` sleeps at ``copying`` (half the bytes written) or
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

CHUNK = 4 * 1024 * 1024
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


def _checkpoint(staged: Path) -> None:
    # Plain connection: in the process that ran dbtRunner this shares dbt's open instance (see warehouse.connect).
    con = duckdb.connect(str(staged))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def _copy(src: Path, dst: Path) -> None:
    """Copy in two halves (the test pause sits between them), then fsync.

    ``os.copy_file_range`` lets the kernel copy without the bytes passing through Python: on the 1 GB staged
    warehouse of bench/warehouse.py's 100k build (measured 2026-12-04) it copied in 0.27 s plus 0.41 s of fsync,
    where the 4 MB read/write loop took 3.45 s with its fsync. Where the kernel call is missing or refuses (not
    Linux, another filesystem), the loop does it.
    """
    size = src.stat().st_size
    with src.open("rb") as fin, dst.open("xb") as fout:
        _copy_range(fin, fout, size // 2)
        fout.flush()
        _test_pause("copying")
        _copy_range(fin, fout, size - size // 2)
        fout.flush()
        os.fsync(fout.fileno())
    copied = dst.stat().st_size
    if copied != size:
        raise PublishError(f"copied {copied} of {size} bytes of {src} to {dst}")


def _copy_range(fin, fout, count: int) -> None:
    """Copy ``count`` bytes from ``fin``'s position to ``fout``'s; both positions advance."""
    kernel = getattr(os, "copy_file_range", None)
    while count > 0:
        if kernel is not None:
            try:
                done = kernel(fin.fileno(), fout.fileno(), count)
            except OSError:  # EXDEV, ENOSYS, EINVAL...: copy this and the rest in Python
                kernel = None
                continue
        else:
            chunk = fin.read(min(CHUNK, count))
            fout.write(chunk)
            done = len(chunk)
        if done == 0:
            raise PublishError(f"{fin.name} ended {count} bytes early while it was being copied")
        count -= done


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
    _checkpoint(staged)
    wal = staged.with_name(staged.name + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise PublishError(f"{wal} still holds data after a checkpoint; another process is writing {staged}")

    tmp = published.with_name(f".{published.name}.{secrets.token_hex(4)}.publishing")
    try:
        _copy(staged, tmp)
        tables = _verify(tmp)
        if tables == 0:
            raise PublishError(f"the copy of {staged} has no tables; refusing to publish an empty warehouse")
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
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
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
