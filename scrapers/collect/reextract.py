"""Re-read the raw pages already landed with the current extractor, once per extractor version, before a build.

Landed records carry the ``extractor_version`` that read them and the ``raw_sha256`` of the bytes it read. When the
extractor changes (a bump of ``scrapers.extract.EXTRACTOR_VERSION``), the next build re-extracts the latest landing
of every page from its raw bytes and lands a new row wherever the record changes (title, date, body, ...), so the
warehouse shows what the current extractor reads without fetching anything again. Nothing is lost: a page whose raw
bytes are gone, whose government left the registry, or that the current extractor no longer reads as a report keeps
its landed record and is counted in the summary.

A re-extracted row is the same fetch read again: it keeps the fetch's HTTP facts and list URL, and its ``fetched_at``
is the fetch's plus one second, so that the canonical-report rule (latest landing of a page first) takes it over the
row it corrects, while every crawl event after that fetch still comes after it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from scrapers.collect import land
from scrapers.collect.judge import MIN_PAGE_BODY, judge_page
from scrapers.extract import EXTRACTOR_VERSION, extract_page, title
from scrapers.landing import Landing, atomic_write_bytes, new_run_id, sha256_hex

log = logging.getLogger(__name__)

STAMP = Path("build") / "extracted_with"  # the extractor version the landed pages were last re-read with
_AFTER_FETCH = dt.timedelta(seconds=1)
# What a re-extraction can change; a record whose fields all stay is not landed again.
_NO_RAW = "raw page not kept"
_COMPARED = ("title", "report_year", "publish_date", "source", "issuer", "body", "attachments", "sections")


@dataclass
class Reextraction:
    version: str
    checked: int = 0  # latest landings of pages read by an older extractor
    landed: int = 0  # new rows: the record changed
    unchanged: int = 0
    no_raw: int = 0  # raw bytes not kept (or never landed): nothing to re-read, the record stands
    kept: list[str] = field(default_factory=list)  # why a page kept its old record
    skipped: bool = False  # the landed pages were already re-read with this version

    def describe(self) -> str:
        if self.skipped:
            return f"re-extraction: landed pages already read with extractor {self.version}"
        line = (
            f"re-extraction with extractor {self.version}: {self.checked} page(s) read by an older extractor, "
            f"{self.landed} corrected, {self.unchanged} unchanged, {len(self.kept) + self.no_raw} kept as landed"
            f" ({self.no_raw} without raw bytes)"
        )
        return line + "".join(f"\n  kept: {why}" for why in self.kept[:10])


def reextract_landed(data_dir: Path, registry) -> Reextraction:
    """Re-extract, with the current extractor, the latest landing of each page read by an older one (see module)."""
    landing = Landing(data_dir)
    result = Reextraction(EXTRACTOR_VERSION)
    stamp = Path(data_dir) / STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == EXTRACTOR_VERSION:
        result.skipped = True
        return result
    latest: dict[tuple[str, str], dict] = {}
    for row in landing.read_rows("reports"):
        key = (row.get("government_id") or "", row.get("url") or "")
        if key not in latest or (row.get("fetched_at") or "") >= (latest[key].get("fetched_at") or ""):
            latest[key] = row
    governments = {gov.id: gov for gov in registry}
    run_id = new_run_id()
    rows_by_gov: dict[str, list[dict]] = {}
    for (gov_id, url), old in sorted(latest.items()):
        if old.get("extractor_version") == EXTRACTOR_VERSION:
            continue
        result.checked += 1
        new, why = _reread(landing, governments.get(gov_id), old, run_id)
        if new is None and why == _NO_RAW:
            result.no_raw += 1
        elif new is None:
            result.kept.append(f"{gov_id} {url}: {why}")
        elif all(new.get(k) == old.get(k) for k in _COMPARED):
            result.unchanged += 1
        else:
            rows_by_gov.setdefault(gov_id, []).append(new)
            result.landed += 1
    for gov_id, rows in rows_by_gov.items():
        landing.write_rows("reports", run_id, gov_id, rows)
    atomic_write_bytes(stamp, EXTRACTOR_VERSION.encode("utf-8"))
    return result


def _reread(landing: Landing, gov, old: dict, run_id: str) -> tuple[dict | None, str]:
    """The record the current extractor makes of ``old``'s raw page, or None and why it keeps ``old``."""
    if gov is None:
        return None, "government not in the registry"
    sha = old.get("raw_sha256")
    if not sha or not landing.raw_path(sha).is_file():
        return None, _NO_RAW
    url = old["url"]
    page = extract_page(landing.read_raw(sha), url=url)
    landed_body = old.get("body") or ""
    if page.body_in_attachment or len(page.body or "") < MIN_PAGE_BODY <= len(landed_body):
        # a cover page: the landed text came from its attachment, whose bytes the record does not name. Keep it.
        page.body, page.sections, page.issuer = landed_body, list(old.get("sections") or []), old.get("issuer")
    publish_date = page.publish_date or _date(old.get("publish_date"))
    verdict = judge_page(gov, page, _title_to_keep(old.get("title"), page.title), publish_date, url)
    if verdict.decision != "report":
        return None, f"the current extractor does not read it as a report ({verdict.reason})"
    content_hash = sha256_hex(page.body or "")
    resp = SimpleNamespace(url=url, status=old.get("http_status"), etag=old.get("etag"),
                           last_modified=old.get("last_modified"))  # fmt: skip
    new = land.report_record(gov.id, run_id, old.get("list_url"), resp, page, verdict, publish_date, content_hash, sha)
    new["fetched_at"] = dt.datetime.fromisoformat(old["fetched_at"]) + _AFTER_FETCH
    return _comparable(new), ""


def _title_to_keep(landed: str | None, page_title: str | None) -> str | None:
    """The landed title stays (usually the list's link text, which the crawler prefers) unless it is one the
    current extractor would never give: markup in it, or only the site's name. Then the page's title is used."""
    if landed and title.plain(landed) == landed and not title.is_site_name(landed, {}):
        return landed
    return page_title or landed


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _comparable(record: dict) -> dict:
    """Dates as the landing JSON holds them, so a new record compares equal to an unchanged landed one."""
    out = dict(record)
    if isinstance(out.get("publish_date"), dt.date):
        out["publish_date"] = out["publish_date"].isoformat()
    return out
