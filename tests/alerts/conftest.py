"""A real HTTP webhook receiver on 127.0.0.1 and a real (small) published warehouse for the alert tests."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest


class Receiver:
    """Collects JSON POSTs; ``status`` is what it answers, so a test can make the channel fail for real."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if receiver.status == 200:
                    receiver.posts.append({"path": self.path, "json": json.loads(raw.decode("utf-8"))})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


MISSING_COLUMNS = "government_id, name, province, level, report_year, due_date, days_overdue"


def publish_warehouse(data_dir: Path, missing: list[tuple], coverage: list[tuple]) -> Path:
    """Write DATA_DIR/warehouse.duckdb the way publish does: build aside, then rename over the old one."""
    staged = data_dir / "build" / "warehouse.duckdb"
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.unlink(missing_ok=True)
    con = duckdb.connect(str(staged))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.missing_reports (government_id varchar, name varchar, province varchar, "
            "level varchar, report_year integer, due_date date, days_overdue integer)"
        )
        con.execute("create table marts.report_coverage (government_id varchar, report_year integer, status varchar)")
        if missing:
            con.executemany(
                f"insert into marts.missing_reports ({MISSING_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)", missing
            )
        if coverage:
            con.executemany("insert into marts.report_coverage values (?, ?, ?)", coverage)
    finally:
        con.close()
    published = data_dir / "warehouse.duckdb"
    os.replace(staged, published)
    return published
