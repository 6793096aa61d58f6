"""Atomic publish on real DuckDB files, including a real process SIGKILLed in the middle of publishing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scrapers.warehouse.publish import PublishError, previous_path, publish

pytestmark = pytest.mark.gates

REPO = Path(__file__).resolve().parents[2]


def make_warehouse(path: Path, version: int, rows: int = 20_000) -> Path:
    """A warehouse whose marts.build says which version it is, with enough rows to make the copy take a while."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute("create or replace table marts.build as select ? as version", [version])
    con.execute(
        f"create or replace table marts.filler as select range as i, md5(range::varchar) as h from range({rows})"
    )
    con.close()
    return path


def version_of(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select version from marts.build").fetchone()[0]
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_replaces_and_keeps_previous(tmp_path):
    published = make_warehouse(tmp_path / "warehouse.duckdb", 1)
    old = sha(published)
    staged = make_warehouse(tmp_path / "build" / "warehouse.duckdb", 2)
    publish(staged, published)
    assert version_of(published) == 2
    assert version_of(previous_path(published)) == 1
    assert sha(previous_path(published)) == old
    assert not list(tmp_path.glob(".*publishing"))


def test_first_publish_without_previous(tmp_path):
    staged = make_warehouse(tmp_path / "build" / "warehouse.duckdb", 7)
    publish(staged, tmp_path / "warehouse.duckdb")
    assert version_of(tmp_path / "warehouse.duckdb") == 7
    assert not previous_path(tmp_path / "warehouse.duckdb").exists()


def test_uncheckpointed_staged_data_is_published(tmp_path):
    """Rows still in the staged file's WAL (a writer that did not checkpoint) must reach the published copy."""
    staged = tmp_path / "build" / "warehouse.duckdb"
    staged.parent.mkdir()
    con = duckdb.connect(str(staged))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("create schema marts")
    con.execute("create table marts.build as select 3 as version")
    con.close()
    assert staged.with_name(staged.name + ".wal").stat().st_size > 0  # the rows are only in the WAL
    publish(staged, tmp_path / "warehouse.duckdb")
    assert version_of(tmp_path / "warehouse.duckdb") == 3


def test_reader_of_the_old_file_keeps_working(tmp_path):
    published = make_warehouse(tmp_path / "warehouse.duckdb", 1)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        publish(make_warehouse(tmp_path / "build" / "warehouse.duckdb", 2), published)
        assert reader.execute("select version from marts.build").fetchone()[0] == 1
        assert reader.execute("select count(*) from marts.filler").fetchone()[0] == 20_000
    finally:
        reader.close()
    assert version_of(published) == 2


def test_missing_or_broken_staged_file_is_refused(tmp_path):
    published = make_warehouse(tmp_path / "warehouse.duckdb", 1)
    before = sha(published)
    with pytest.raises(PublishError):
        publish(tmp_path / "build" / "nothing.duckdb", published)
    broken = tmp_path / "build" / "broken.duckdb"
    broken.parent.mkdir(exist_ok=True)
    broken.write_bytes(b"not a duckdb file" * 1000)
    with pytest.raises(duckdb.Error):
        publish(broken, published)
    assert sha(published) == before
    assert not list(tmp_path.glob(".*publishing"))


@pytest.mark.parametrize("stage", ["copying", "before_replace"])
def test_kill_during_publish_leaves_a_usable_warehouse(tmp_path, stage):
    published = make_warehouse(tmp_path / "warehouse.duckdb", 1)
    before = sha(published)
    staged = make_warehouse(tmp_path / "build" / "warehouse.duckdb", 2, rows=200_000)
    env = {**os.environ, "FZZF_TEST_PUBLISH_PAUSE": f"{stage}:60", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapers.warehouse.publish", str(staged), str(published)],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()  # blocks until the publisher reaches the pause (or dies)
        assert f"publish paused at {stage}" in line, line + proc.stderr.read()
        temps = list(tmp_path.glob(".warehouse.duckdb.*.publishing"))
        assert temps, "the publisher should be half-way: a temp copy exists"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()

    # The published warehouse is the old one, byte for byte, and it opens and answers.
    assert sha(published) == before
    assert version_of(published) == 1
    # The next publish cleans up after the killed one and succeeds.
    publish(staged, published)
    assert version_of(published) == 2
    assert not list(tmp_path.glob(".*publishing"))


def test_only_schema_marts_is_published(tmp_path):
    """The staged warehouse keeps its staging and intermediate tables (dbt's incremental memory among them); the
    published file holds the marts alone, their rows whole, and the staged file is left as it was."""
    staged = make_warehouse(tmp_path / "build" / "warehouse.duckdb", 4)
    con = duckdb.connect(str(staged))
    for schema in ("staging", "intermediate"):
        con.execute(f"create schema {schema}")
        con.execute(f"create table {schema}.kept as select 1 as x")
    con.execute("create view staging.a_view as select * from staging.kept")
    con.execute("create table intermediate.annual_reports__built_from as select 'r' as report_id")
    con.execute("create view marts.latest as select version from marts.build")
    con.close()
    published = publish(staged, tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(published), read_only=True)
    try:
        listed = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables order by all"
        ).fetchall()
        assert con.execute("select count(*), count(distinct h) from marts.filler").fetchone() == (20_000, 20_000)
        assert con.execute("select version from marts.latest").fetchone() == (4,)
    finally:
        con.close()
    assert listed == [
        ("marts", "build", "BASE TABLE"),
        ("marts", "filler", "BASE TABLE"),
        ("marts", "latest", "VIEW"),
    ]
    con = duckdb.connect(str(staged), read_only=True)
    try:
        assert con.execute("select count(*) from intermediate.annual_reports__built_from").fetchone() == (1,)
    finally:
        con.close()


def test_a_marts_view_reading_outside_marts_is_refused(tmp_path):
    published = make_warehouse(tmp_path / "warehouse.duckdb", 1)
    before = sha(published)
    staged = make_warehouse(tmp_path / "build" / "warehouse.duckdb", 2)
    con = duckdb.connect(str(staged))
    con.execute("create schema intermediate")
    con.execute("create table intermediate.kept as select 1 as x")
    con.execute("create view marts.leaky as select * from intermediate.kept")
    con.close()
    with pytest.raises(PublishError, match="marts.leaky"):
        publish(staged, published)
    assert sha(published) == before
    assert not list(tmp_path.glob(".*publishing*"))
