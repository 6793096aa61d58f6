"""Page bytes to the report: clean body (one paragraph per line), metadata, sections and attachments.

``extract_page`` decodes the bytes itself (GBK pages declaring gb2312, wrong or missing charsets), repairs markup
that stops lxml early, finds the body container, drops the chrome a CMS puts around and inside it, and classifies
the page. When the body is only an attachment, ``Page.body_in_attachment`` lists the document URLs; the crawler
fetches one and calls ``extract_attachment``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from scrapers.classify import classify, report_year
from scrapers.extract import body as _body
from scrapers.extract import meta as _meta
from scrapers.extract import title as _title
from scrapers.extract.attachments import AttachmentError, attachment_paragraphs, extract_attachment
from scrapers.extract.chrome import TEXT_ATTACHMENT
from scrapers.extract.decode import decode_html, repair_markup
from scrapers.extract.sections import split_sections

__all__ = ["EXTRACTOR_VERSION", "AttachmentError", "Page", "extract_attachment", "extract_page", "page_from_attachment"]

# Bump when output for the same bytes changes: landed records carry it, so re-extraction can be targeted.
# 1.2.0: plain titles, the article's own title over the site name, named date labels; deeply nested pages read
# whole (extract.tree), ``cut`` when they are not
EXTRACTOR_VERSION = "1.2.0"

# Less body text than this, beside a PDF/DOCX link, means the report is the attachment.
_MIN_BODY_CHARS = 30
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Page:
    title: str | None
    body: str
    publish_date: dt.date | None
    source: str | None
    issuer: str | None
    report_year: int | None
    is_annual_report: bool
    decision_reason: str
    attachments: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    body_in_attachment: list[str] = field(default_factory=list)
    encoding: str | None = None
    body_method: str = "none"  # marker | selector | structural | attachment | none: how the body was found
    cut: str | None = None  # why the parser left part of the page out (too deeply nested): not the whole report
    extractor_version: str = EXTRACTOR_VERSION

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "body": self.body,
            "publish_date": self.publish_date.isoformat() if self.publish_date else None,
            "source": self.source,
            "issuer": self.issuer,
            "report_year": self.report_year,
            "is_annual_report": self.is_annual_report,
            "decision_reason": self.decision_reason,
            "attachments": [dict(a) for a in self.attachments],
            "sections": [dict(s) for s in self.sections],
            "body_in_attachment": list(self.body_in_attachment),
            "encoding": self.encoding,
            "body_method": self.body_method,
            "cut": self.cut,
            "extractor_version": self.extractor_version,
        }


def _finish(page: Page, paragraphs: list[str]) -> Page:
    page.body = "\n".join(paragraphs)
    page.sections = split_sections(paragraphs)
    page.issuer = _meta.issuer_of(paragraphs)
    page.report_year, _ = report_year(page.title or "", page.body, page.publish_date)
    decision = classify(page.title or "", page.body or None, page.publish_date)
    page.is_annual_report, page.decision_reason = decision.is_annual_report, decision.reason
    return page


def extract_page(content: bytes, url: str | None = None) -> Page:
    """Extract one report page. Never raises on bad HTML: an unreadable page gives an empty body."""
    text, encoding = decode_html(content)
    text = repair_markup(text)
    root, cut = _body.parse_html_whole(text)
    tags = _meta.meta_tags(root)
    for el in root.iter("script", "style"):
        el.text = None  # keep the elements (tails are text) but not their code, which is not metadata
    title = _title.title_of(root, tags)
    info = _meta.info_lines(text)
    page = Page(
        title=title,
        body="",
        publish_date=_meta.publish_date_of(info, tags, url),
        source=_meta.source_of(info, tags),
        issuer=None,
        report_year=None,
        is_annual_report=False,
        decision_reason="",
        attachments=_meta.attachments_of(root, url),
        encoding=encoding,
        cut=cut,
    )
    paragraphs, page.body_method = _body.body_with_method(root, text, title)
    joined = "".join(paragraphs)
    if len(joined) < 4 * _MIN_BODY_CHARS and len(_CJK.findall(joined)) < _MIN_BODY_CHARS:
        documents = [a["url"] for a in page.attachments if TEXT_ATTACHMENT.search(a["url"])]
        if documents:
            page.body_in_attachment = documents
            paragraphs = []
            page.body_method = "none"
    return _finish(page, paragraphs)


def page_from_attachment(page: Page, content: bytes, filename_or_url: str) -> Page:
    """The page completed with the text of its attachment (the crawler calls this after fetching it)."""
    page.body_method = "attachment"
    return _finish(page, attachment_paragraphs(content, filename_or_url))
