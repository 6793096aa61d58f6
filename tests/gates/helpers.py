"""Small, real data directories for the gate tests: a registry file, landed report records and crawl-log rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import yaml

from scrapers.demo.seeds import load_seeds
from scrapers.extract.metrics import extract_metrics
from scrapers.landing import Landing, new_run_id, sha256_hex

SEEDS = {s.seed_id[:3]: s for s in load_seeds()}
FETCHED = dt.datetime(2024, 4, 20, 8, 0, 0)


def write_registry(path: Path, government_ids: list[str], reports_from: int = 2021) -> Path:
    governments = [
        {
            "id": gid,
            "name": f"测试{gid}",
            "level": "county",
            "province": "四川省",
            "list_urls": [f"http://{gid}.example.gov.cn/fzzf/"],
            "reports_from": reports_from,
        }
        for gid in government_ids
    ]
    path.write_text(yaml.safe_dump({"governments": governments}, allow_unicode=True), encoding="utf-8")
    return path


def record(
    government_id: str,
    seed: str = "003",
    *,
    body: str | None = None,
    title: str | None = None,
    report_year: int | None = None,
    publish_date: dt.date | None = None,
    metrics: list[dict] | None = None,
    url: str | None = None,
) -> dict:
    """A landing record as the crawler writes it, built from a clean seed report unless told otherwise."""
    s = SEEDS[seed]
    body = s.body if body is None else body
    url = url or f"http://{government_id}.example.gov.cn/fzzf/{seed}_{sha256_hex(body)[:8]}.html"
    content_hash = sha256_hex(body)
    return {
        "record_id": sha256_hex(f"{government_id}|{url}|{content_hash}"),
        "government_id": government_id,
        "list_url": f"http://{government_id}.example.gov.cn/fzzf/",
        "url": url,
        "title": s.title if title is None else title,
        "report_year": s.report_year if report_year is None else report_year,
        "publish_date": s.publish_date if publish_date is None else publish_date,
        "source": s.source,
        "issuer": s.issuer,
        "body": body,
        "char_count": len(body),
        "content_hash": content_hash,
        "raw_sha256": sha256_hex(url),
        "is_annual_report": True,
        "decision_reason": "title names 法治政府建设 and a year",
        "attachments": [],
        "sections": [],
        "metrics": extract_metrics(body) if metrics is None else metrics,
        "http_status": 200,
        "extractor_version": "test",
        "fetched_at": FETCHED,
    }


def land(data_dir: Path, records: list[dict], run_id: str | None = None) -> str:
    """Land ``records`` in one crawl run, with an ok crawl-log row per government."""
    landing = Landing(data_dir).ensure()
    run_id = run_id or new_run_id()
    by_gov: dict[str, list[dict]] = {}
    for r in records:
        by_gov.setdefault(r["government_id"], []).append({**r, "run_id": run_id})
    for gid, rows in by_gov.items():
        landing.write_rows("reports", run_id, gid, rows)
        landing.write_rows(
            "crawl_log",
            run_id,
            gid,
            [
                {
                    "run_id": run_id,
                    "government_id": gid,
                    "list_url": rows[0]["list_url"],
                    "status": "ok",
                    "pages_fetched": 1,
                    "requests": 1 + len(rows),
                    "links_seen": len(rows),
                    "reports_found": len(rows),
                    "reports_new": len(rows),
                    "links_skipped": 0,
                    "errors": 0,
                    "error": None,
                    "started_at": FETCHED,
                    "finished_at": FETCHED,
                }
            ],
        )
    return run_id


def query(path: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` on the DuckDB file ``path``, opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
