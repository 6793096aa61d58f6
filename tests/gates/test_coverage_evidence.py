"""A landed report is never `missing`, first-seen is a Beijing day, a gone link ends `unknown`, every `unknown` has
a reason category, old landing files build (issue 20, items 3, 7, 8, 12), on real builds (landing gate, dbt, marts
gate, publish).

One data directory, as of 2025-06-30 (the 2024 reports were due 2025-04-01, grace ended 2025-05-01), each
government with one situation for its 2024 report, landed as the crawler lands it. Another holds files in the shape
of the release before ``crawl_log.discovery`` existed (commit acb4e96^), and rows without any optional key.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from scrapers.landing import Landing, new_run_id
from scrapers.warehouse.build import run_build

from .helpers import record, write_registry

pytestmark = [pytest.mark.gates, pytest.mark.integration]

AS_OF = dt.date(2025, 6, 30)
# landing.STREAMS["crawl_log"] before `discovery` was added (git show acb4e96^:scrapers/landing.py)
OLD_CRAWL_LOG_KEYS = ("run_id", "government_id", "list_url", "status", "pages_fetched", "requests", "links_seen",
                      "reports_found", "reports_new", "links_skipped", "errors", "error", "started_at", "finished_at")  # fmt: skip
GOVERNMENTS = ["od", "dh", "bj", "gn", "gs", "rb", "ok"]


def _crawl_log_row(gid: str, run_id: str, when: dt.datetime) -> dict:
    """A successful crawl-log row in the previous release's shape (no `discovery`)."""
    row = {"run_id": run_id, "government_id": gid, "list_url": f"http://{gid}.example.gov.cn/fzzf/", "status": "ok",
           "pages_fetched": 1, "requests": 2, "links_seen": 1, "reports_found": 0, "reports_new": 0,
           "links_skipped": 0, "errors": 0, "error": None, "started_at": when.isoformat(),
           "finished_at": when.isoformat()}  # fmt: skip
    assert tuple(row) == OLD_CRAWL_LOG_KEYS
    return row


def _write_jsonl(data, stream: str, run_id: str, gid: str, rows: list[dict]) -> None:
    """A landing file written as an older release wrote it: exactly these keys, nothing filled in."""
    path = data / "landing" / stream / run_id / f"{gid}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows), encoding="utf-8")


def _link_rows(data, gid: str, year: int, answers: list[tuple[dt.datetime, int | None, str]]) -> None:
    """A report link's judgements over several runs, as the collector lands them (error rows carry the title's
    year and the HTTP status; re-checks say `re-check N:`)."""
    url = f"http://{gid}.example.gov.cn/fzzf/{year}.html"
    for n, (when, status, reason) in enumerate(answers):
        run_id = new_run_id(when)
        note = f"re-check {n}: " if n else ""
        Landing(data).write_rows("links", run_id, gid, [{
            "run_id": run_id, "government_id": gid, "list_url": f"http://{gid}.example.gov.cn/fzzf/", "url": url,
            "title": f"测试{gid}{year}年法治政府建设年度报告", "decision": "error", "reason": note + reason,
            "report_year": year, "http_status": status, "seen_at": when,
        }])  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evidence")
    data = tmp / "data"
    registry = write_registry(tmp / "registry.yaml", GOVERNMENTS, reports_from=2024)
    Landing(data).ensure()
    # od: the 2024 report, first seen 2025-03-20, states 2025-07-15: after the as-of day (20.3a).
    od = record("od", report_year=2024, publish_date=dt.date(2025, 7, 15))
    od["fetched_at"] = dt.datetime(2025, 3, 20, 2)
    # dh: the 2024 report dated 2024-12-28, before its year ended: the landing gate holds it back (20.3b).
    dh = record("dh", report_year=2024, publish_date=dt.date(2024, 12, 28))
    # bj: no stated date, first seen 2025-04-01 20:00 UTC = 04-02 04:00 in Beijing: a day after the due date (20.7).
    bj = {**record("bj", report_year=2024), "publish_date": None, "fetched_at": dt.datetime(2025, 4, 1, 20)}
    # ok: an ordinary on-time report, to show the rest is untouched.
    ok = record("ok", report_year=2024, publish_date=dt.date(2025, 3, 25))
    for rec in (od, dh, bj, ok):
        Landing(data).write_rows("reports", new_run_id(rec["fetched_at"]), rec["government_id"], [rec])
    # gn: its 2024 link answered 404 on re-checks spanning 19 days: gone (20.12). gs: 404 for 8 days only.
    # rb: robots.txt forbids the link.
    _link_rows(
        data, "gn", 2024, [(dt.datetime(2025, 5, d, 3), 404, "report page answered HTTP 404") for d in (1, 8, 20)]
    )
    _link_rows(data, "gs", 2024, [(dt.datetime(2025, 6, d, 3), 404, "report page answered HTTP 404") for d in (20, 28)])
    _link_rows(
        data,
        "rb",
        2024,
        [(dt.datetime(2025, 6, 28, 3), None, "http://rb.example.gov.cn/fzzf/2024.html: disallowed by robots.txt")],
    )
    for gid in GOVERNMENTS:
        run_id = new_run_id(dt.datetime(2025, 6, 29, 2))
        Landing(data).write_rows("crawl_log", run_id, gid, [_crawl_log_row(gid, run_id, dt.datetime(2025, 6, 29, 2))])
    con = _publish(data, registry)
    try:
        coverage = _rows(con, "select * from marts.report_coverage where report_year = 2024")
        explained = _rows(con, "select * from marts.coverage_explained where report_year = 2024")
        canonical = {g for (g,) in con.execute("select government_id from marts.annual_reports").fetchall()}
    finally:
        con.close()
    return {"coverage": coverage, "explained": explained, "canonical": canonical, "data": data}


def _publish(data, registry) -> duckdb.DuckDBPyConnection:
    """Build and publish as of AS_OF (pinned as today: not a what-if); the published warehouse, read-only."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FZZF_TODAY", AS_OF.isoformat())
        build = run_build(data, registry, AS_OF, send_alerts=False)
    assert build.published, build.describe()
    return duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)


def _rows(con, sql: str) -> dict[str, dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return {row["government_id"]: row for row in (dict(zip(names, t, strict=True)) for t in cur.fetchall())}


# Keys a row can lack and still be a row (required ones are the landing gate's not-null expectations).
OPTIONAL = {
    "reports": ("list_url", "publish_date", "source", "issuer", "char_count", "raw_sha256", "decision_reason",
                "attachments", "sections", "metrics", "http_status", "etag", "last_modified", "extractor_version"),
    "links": ("list_url", "title", "reason", "report_year", "http_status"),
}  # fmt: skip


def test_old_landing_files_build_and_read_missing_keys_as_null(tmp_path):
    data = tmp_path / "data"
    registry = write_registry(tmp_path / "registry.yaml", ["old"], reports_from=2024)
    Landing(data).ensure()
    when = dt.datetime(2025, 3, 20, 2)
    run_id = new_run_id(when)
    _write_jsonl(data, "crawl_log", run_id, "old", [_crawl_log_row("old", run_id, when)])
    full = {**record("old", report_year=2024), "run_id": run_id, "fetched_at": when.isoformat()}
    _write_jsonl(data, "reports", run_id, "old", [{k: v for k, v in full.items() if k not in OPTIONAL["reports"]}])
    link = {"run_id": run_id, "government_id": "old", "url": "http://old.example.gov.cn/fzzf/x.html",
            "decision": "skipped", "seen_at": when.isoformat()}  # fmt: skip
    _write_jsonl(data, "links", run_id, "old", [link])
    con = _publish(data, registry)
    try:
        status, first_seen = con.execute(
            "select status, effective_publish_date from marts.report_coverage where report_id = 'old:2024'"
        ).fetchone()
        read = con.execute("select last_run_status, last_success_at from marts.crawl_health").fetchall()
    finally:
        con.close()
    # the report without its optional keys (no stated date) counts from its first-seen day
    assert (status, first_seen) == ("on_time", dt.date(2025, 3, 20))
    assert read == [("ok", when)]  # the old crawl-log row is a successful read


def test_a_report_dated_after_the_as_of_day_is_unknown_not_missing(world):
    row = world["coverage"]["od"]
    assert "od" in world["canonical"]  # canonical in annual_reports ...
    assert (row["status"], row["status_reason_kind"]) == ("unknown", "odd_date")  # ... and never `missing`
    reason = "report found, but its stated date 2025-07-15 is after the as-of day (first seen 2025-03-20)"
    assert row["status_reason"] == reason
    assert (world["explained"]["od"]["reason"], world["explained"]["od"]["reason_kind"]) == (reason, "odd_date")


def test_a_report_held_back_for_its_date_is_unknown_with_the_reason(world):
    row = world["coverage"]["dh"]
    assert (row["status"], row["status_reason_kind"]) == ("unknown", "held_back")
    assert (
        row["status_reason"] == "report found but held back by the landing gate: published before the report year ended"
    )
    assert not world["explained"]["dh"]["reason"].startswith("no link")


def test_first_seen_counts_on_the_beijing_day(world):
    row = world["coverage"]["bj"]
    assert row["effective_publish_date"] == dt.date(2025, 4, 2)
    assert (row["status"], row["days_late"]) == ("late", 1)


def test_a_link_gone_for_14_days_ends_unknown_as_missing_with_since(world):
    gone = world["coverage"]["gn"]
    assert gone["status"] == "missing" and gone["status_reason_kind"] is None
    explained = world["explained"]["gn"]
    assert (explained["reason_kind"], explained["reason"]) == (
        "listed_gone",
        "listed but the page is gone since 2025-05-01",
    )
    # 404 for 8 days only: still a failing link, `unknown`, retrying
    short = world["coverage"]["gs"]
    assert (short["status"], short["status_reason_kind"]) == ("unknown", "link_failed")
    assert short["status_reason"].startswith("link found, could not be fetched on 2 run(s) since 2025-06-20")


def test_every_unknown_row_has_a_reason_category(world):
    con = duckdb.connect(str(world["data"] / "warehouse.duckdb"), read_only=True)
    try:
        kinds = dict(con.execute(
            "select government_id, status_reason_kind from marts.report_coverage where status = 'unknown'"
            " and report_year = 2024"
        ).fetchall())  # fmt: skip
        unlabelled = con.execute(
            "select count(*) from marts.report_coverage where (status = 'unknown') <> (status_reason_kind is not null)"
        ).fetchone()[0]
    finally:
        con.close()
    assert kinds == {"od": "odd_date", "dh": "held_back", "gs": "link_failed", "rb": "robots"}
    assert unlabelled == 0
