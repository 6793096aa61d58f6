"""The landing zone: atomic immutable files that DuckDB reads with the declared columns."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from scrapers.landing import STREAMS, Landing, new_run_id


def columns_sql(stream: str) -> str:
    return "{" + ", ".join(f"'{c}': '{t}'" for c, t in STREAMS[stream].items()) + "}"


def read(landing: Landing, stream: str):
    sql = (
        f"select * from read_json('{landing.glob(stream)}', format='newline_delimited', columns={columns_sql(stream)})"
    )
    return duckdb.sql(sql).fetchall()


def test_empty_streams_are_readable_before_the_first_crawl(tmp_path):
    landing = Landing(tmp_path).ensure()
    for stream in STREAMS:
        assert read(landing, stream) == []


def test_rows_land_once_and_read_back_typed(tmp_path):
    landing = Landing(tmp_path).ensure()
    run = new_run_id()
    row = {
        "record_id": "r1",
        "run_id": run,
        "government_id": "510705",
        "title": "2022年法治政府建设年度报告",
        "report_year": 2022,
        "publish_date": dt.date(2023, 1, 30),
        "fetched_at": dt.datetime(2023, 2, 1, 8, 0, tzinfo=dt.UTC),
        "attachments": [{"name": "报告.pdf", "url": "http://x/报告.pdf"}],
        "sections": [{"ord": 1, "level": 1, "heading": "一、主要举措", "text": "正文"}],
        "metrics": [],
    }
    path = landing.write_rows("reports", run, "510705", [row])
    assert path is not None and path.name == "510705.jsonl"
    rows = read(landing, "reports")
    assert len(rows) == 1
    got = dict(zip(STREAMS["reports"], rows[0], strict=True))
    assert got["publish_date"] == dt.date(2023, 1, 30)
    assert got["fetched_at"] == dt.datetime(2023, 2, 1, 8, 0)
    assert got["attachments"][0]["name"] == "报告.pdf"
    with pytest.raises(FileExistsError):
        landing.write_rows("reports", run, "510705", [row])
    assert landing.write_rows("reports", run, "x", []) is None


def test_unknown_column_is_refused(tmp_path):
    landing = Landing(tmp_path).ensure()
    with pytest.raises(ValueError, match="no column"):
        landing.write_rows("links", new_run_id(), "1", [{"url": "u", "colour": "red"}])


def test_raw_store_is_content_addressed(tmp_path):
    landing = Landing(tmp_path).ensure()
    a = landing.store_raw("<html>同一页</html>".encode())
    b = landing.store_raw("<html>同一页</html>".encode())
    assert a == b
    assert landing.read_raw(a) == "<html>同一页</html>".encode()
    assert len(list((tmp_path / "raw").rglob("*.gz"))) == 1


def test_no_temp_files_left_and_state_round_trips(tmp_path):
    landing = Landing(tmp_path).ensure()
    landing.save_state("../etc", {"known": {"u": "h"}})
    assert landing.load_state("../etc") == {"known": {"u": "h"}}
    assert not list(tmp_path.rglob("*.tmp"))
    assert all(p.is_relative_to(tmp_path) for p in tmp_path.rglob("*"))
