"""Issue 20 items 11 and 13: a published warehouse that cannot be read (an analyst holds it open read-write in
another process, or the file is damaged) or does not exist is a clear error naming the file, never a traceback or
a false "no missing reports"; the alert state is untouched, and the digest goes out once the file can be read."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading

import pytest

from scrapers import cli

from .conftest import publish_warehouse

AS_OF = dt.date(2027, 6, 1)
ZJ = ("zj", "浙江省人民政府", "浙江省", "province", 2026, dt.date(2027, 4, 1), 61)
HZ = ("zj-hz", "杭州市人民政府", "浙江省", "city", 2026, dt.date(2027, 4, 1), 61)
HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('holding', flush=True); sys.stdin.read()"


@pytest.fixture
def data_dir(tmp_path, monkeypatch, receiver):
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    monkeypatch.setenv("FZZF_TODAY", AS_OF.isoformat())
    monkeypatch.setenv("FZZF_WAREHOUSE_WAIT", "1")
    return tmp_path / "data"


def cov(rows):
    return [(r[0], r[4], "missing") for r in rows]


def hold_read_write(path):
    """A second process with the DuckDB file open read-write, as an analyst's notebook would have it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"holding\n"
    return holder


def release(holder):
    holder.stdin.close()
    holder.wait(timeout=30)


def test_a_warehouse_held_open_read_write_is_a_clear_error_and_alerts_wait_for_it(data_dir, receiver, capsys):
    published = publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    assert cli.main(["alert", "--data-dir", str(data_dir)]) == 0
    state = (data_dir / "alerts" / "state.json").read_bytes()
    publish_warehouse(data_dir, [ZJ, HZ], cov([ZJ, HZ]))  # the next build: 杭州 newly missing
    capsys.readouterr()

    holder = hold_read_write(published)
    try:
        assert cli.main(["alert", "--data-dir", str(data_dir)]) == 1
        err = capsys.readouterr().err
        assert f"{published}: held open read-write by another process" in err and "Traceback" not in err
        assert (data_dir / "alerts" / "state.json").read_bytes() == state
        assert len(receiver.posts) == 1
        assert cli.main(["missing", "--data-dir", str(data_dir)]) == 1
        out, err = capsys.readouterr()
        assert "no missing reports" not in out and f"{published}: held open read-write" in err

    finally:
        release(holder)
    assert cli.main(["alert", "--data-dir", str(data_dir)]) == 0
    assert len(receiver.posts) == 2 and "杭州市人民政府 [zj-hz]" in receiver.messages()[1]


def test_the_reader_waits_for_a_lock_that_goes_away(data_dir, receiver, monkeypatch):
    published = publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    monkeypatch.setenv("FZZF_WAREHOUSE_WAIT", "20")
    holder = hold_read_write(published)
    timer = threading.Timer(1.0, release, [holder])
    timer.start()
    try:
        assert cli.main(["alert", "--data-dir", str(data_dir)]) == 0
    finally:
        timer.join()
    assert len(receiver.posts) == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_published_warehouse_is_a_clear_error_and_the_state_is_untouched(data_dir, receiver, capsys, damage):
    published = publish_warehouse(data_dir, [ZJ], cov([ZJ]))
    assert cli.main(["alert", "--data-dir", str(data_dir)]) == 0
    state = (data_dir / "alerts" / "state.json").read_bytes()
    data = published.read_bytes()
    published.write_bytes(b"not a duckdb file " * 100 if damage == "garbage" else data[: len(data) // 3])
    capsys.readouterr()

    for command in ("alert", "missing"):
        assert cli.main([command, "--data-dir", str(data_dir)]) == 1
        out, err = capsys.readouterr()
        assert f"{published}: not a readable DuckDB warehouse" in err and "fzzf build" in err
        assert "Traceback" not in err and "no missing reports" not in out
    assert (data_dir / "alerts" / "state.json").read_bytes() == state


def test_fzzf_missing_without_a_warehouse_is_an_error_not_an_all_clear(tmp_path, capsys):
    mistyped = tmp_path / "dta"
    assert cli.main(["missing", "--data-dir", str(mistyped)]) == 1
    out, err = capsys.readouterr()
    assert "no missing reports" not in out
    assert str(mistyped / "warehouse.duckdb") in err and "fzzf build" in err


def test_fzzf_missing_warns_when_a_crawl_landed_after_the_build(data_dir, capsys):
    publish_warehouse(data_dir, [ZJ], cov([ZJ]), crawl_runs=[("zj", "20270601T020000Z-aaaaaa")])
    run = data_dir / "landing" / "crawl_log" / "20270601T020000Z-aaaaaa"
    run.mkdir(parents=True)
    (run / "zj.jsonl").write_text("{}\n", encoding="utf-8")
    assert cli.main(["missing", "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert "1 missing report(s)" in out and "warning" not in err  # built from the last crawl: no warning

    later = data_dir / "landing" / "crawl_log" / "20270602T020000Z-bbbbbb"
    later.mkdir()
    (later / "zj.jsonl").write_text("{}\n", encoding="utf-8")
    assert cli.main(["missing", "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert "1 missing report(s)" in out
    built = dt.datetime.fromtimestamp((data_dir / "warehouse.duckdb").stat().st_mtime, dt.UTC)
    assert f"was built {built:%Y-%m-%d %H:%M} UTC" in err and "before the last crawl landed" in err
    assert "20270602T020000Z-bbbbbb" in err and "fzzf build" in err
