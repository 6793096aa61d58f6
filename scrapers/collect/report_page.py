"""Fetch one report page and read it: the raw bytes kept, the page extracted, and, where the page is only a cover
for a PDF/DOCX, the text taken from the attachment. Problems are counted on the source (``SourceStats``), never
raised: the caller decides what a page with no usable text means (``judge.judge_page``)."""

from __future__ import annotations

from scrapers.collect.fetch import FetchError, Response, same_site
from scrapers.collect.judge import MIN_PAGE_BODY
from scrapers.collect.source_stats import SourceStats
from scrapers.extract import AttachmentError, extract_page, page_from_attachment
from scrapers.extract.chrome import TEXT_ATTACHMENT
from scrapers.landing import Landing


def read(resp: Response, landing: Landing, fetcher, allowed: set[str], stats: SourceStats, on_event):
    """``(page, raw_sha256)``: the extracted page behind ``resp``, its raw bytes landed first (so a page the
    extractor chokes on is kept); attachments are fetched only from ``allowed`` hosts."""
    raw_sha = landing.store_raw(resp.content)
    page = extract_page(resp.content, url=resp.url)
    if not page.body_in_attachment and len(page.body or "") < MIN_PAGE_BODY:
        # A cover page whose few lines (title, "附件：…pdf") pass the extractor's own threshold.
        page.body_in_attachment = [a["url"] for a in page.attachments if TEXT_ATTACHMENT.search(a.get("url", ""))]
    if page.body_in_attachment:
        page = _from_attachment(page, landing, fetcher, allowed, stats, on_event)
    return page, raw_sha


def _from_attachment(page, landing: Landing, fetcher, allowed: set[str], stats: SourceStats, on_event):
    """A page that is only a cover for a PDF/DOCX: the report text is the attachment's."""
    for url in page.body_in_attachment:
        if not same_site(url, allowed):
            stats.note(f"attachment {url} is off the site; not fetched")
            continue
        try:
            resp = fetcher.fetch(url, allowed_hosts=allowed)
        except FetchError as exc:
            stats.requests += exc.requests_made
            stats.note(f"attachment {exc}")
            continue
        stats.requests += resp.requests
        on_event("requests", resp.requests)
        if not resp.ok:
            stats.note(f"attachment {url}: HTTP {resp.status}")
            continue
        landing.store_raw(resp.content)
        try:
            return page_from_attachment(page, resp.content, url)
        except AttachmentError as exc:
            stats.note(f"attachment {url}: {exc}")
    return page
