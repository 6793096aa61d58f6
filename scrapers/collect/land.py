"""What a crawl lands for one judged page: the ``reports`` record (a new version only when the text changed), the
``links`` row every decision writes, and the state entry that lets the next run skip, re-check or revisit it."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from scrapers.extract import EXTRACTOR_VERSION
from scrapers.extract.metrics import extract_metrics
from scrapers.landing import sha256_hex, utcnow


def report_record(gov_id: str, run_id: str, list_url: str, resp, page, verdict, publish_date, content_hash: str,
                  raw_sha: str) -> dict[str, Any]:  # fmt: skip
    """The ``landing/reports`` row of one report version; its id is stable per (government, URL, text)."""
    body = page.body or ""
    sections = list(page.sections or [])
    return {
        "record_id": sha256_hex(f"{gov_id}\x1f{resp.url}\x1f{content_hash}"),
        "run_id": run_id,
        "government_id": gov_id,
        "list_url": list_url,
        "url": resp.url,
        "title": verdict.title,
        "report_year": verdict.report_year,
        "publish_date": publish_date,
        "source": page.source,
        "issuer": page.issuer,
        "body": body,
        "char_count": len(body),
        "content_hash": content_hash,
        "raw_sha256": raw_sha,
        "is_annual_report": True,
        "decision_reason": verdict.reason,
        "attachments": list(page.attachments or []),
        "sections": sections,
        "metrics": extract_metrics(body, sections),
        "http_status": resp.status,
        "etag": resp.etag,
        "last_modified": resp.last_modified,
        "extractor_version": EXTRACTOR_VERSION,
        "fetched_at": utcnow(),
    }


def state_report(resp, list_url: str, list_date, verdict, content_hash: str) -> dict[str, Any]:
    """The crawl state's memory of a landed report: what the revisit's conditional GET and the dedupe need."""
    return {
        "url": resp.url,
        "list_url": list_url,
        "title": verdict.title,
        # the list's date: a re-check of the page must not lose the publication day when the page states none
        "list_date": list_date.isoformat() if isinstance(list_date, dt.date) else list_date,
        "report_year": verdict.report_year,
        "content_hash": content_hash,
        "etag": resp.etag,
        "last_modified": resp.last_modified,
        "checked_at": time.time(),
        "gone": False,
    }


def link_row(run_id: str, gov_id: str, list_url, url, title, decision, reason, year, status=None) -> dict[str, Any]:
    """One ``landing/links`` row: a link's decision and its reason."""
    return {
        "run_id": run_id,
        "government_id": gov_id,
        "list_url": list_url,
        "url": url,
        "title": title,
        "decision": decision,
        "reason": reason,
        "report_year": year,
        "http_status": status,
        "seen_at": utcnow(),
    }
