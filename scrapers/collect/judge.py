"""Is this link, and then the page behind it, one of this government's annual reports? Every crawl decision on
a candidate is made here; fetching and landing are elsewhere (``report_page``, ``land``).

Two moments:

- ``screen_link``, before any request: off the government's sites, or a look-alike by its title → skipped.
  ``fzzf links`` shows the same verdicts, so what it prints is what the crawl does.
- ``list_refusal``, on a list or discovery page that answered: an error/WAF page or a page the parser cut is a
  failed read, never a list without links.
- ``judge_page``, on the extracted page: no text, an error/WAF page or a page the parser cut → ``error`` (asked
  again later, never judged for good on a refusal), not a report by its title and text (``classify``) or signed
  by another government (``issued_elsewhere``) → ``skipped``, else ``report``; ``page_rules`` fingerprints what
  such a skip was decided with, so it is judged again when that changes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapers.classify import CLASSIFIER_VERSION, classify, title_verdict
from scrapers.collect.discover import Link, ListPage
from scrapers.collect.fetch import same_site

# Bump when judge_page's own rules change (error pages, reposts): page-level skips are then judged again.
PAGE_RULES_VERSION = "1"
TRUNCATED = ("...", "…", "..")
MIN_REPORT_TEXT = 20  # fewer characters of body: the page holds no report text at all
MIN_PAGE_BODY = 300  # fewer characters beside a PDF/DOCX link: the page is a cover, the report is the attachment
MIN_LIST_TEXT = 40  # fewer characters of text and no link: a script challenge or a blank answer, not an empty column
MAX_LINKS_ON_ERROR_PAGE = 2  # a WAF or 404 page may carry a link or two (返回首页); a list saying 拦截 has more

# An answer in place of the report that only says the portal refused or failed: a WAF challenge, a rate limit, a
# "page not found" served with HTTP 200. Judging the link "not a report" on it would lose the report for good.
SOFT_ERROR = re.compile(
    r"访问受限|访问被拒绝|访问过于频繁|请求过于频繁|安全验证|人机验证|请输入验证码|滑动验证|防火墙|拦截|"
    r"页面不存在|页面未找到|找不到页面|您访问的页面|文章不存在|信息不存在|已被删除|系统繁忙|服务器繁忙|"
    r"Not Found|Access Denied|Forbidden|Too Many Requests|Service Unavailable|Bad Gateway|Request Rejected",
    re.IGNORECASE,
)
_GOVERNMENT_SUFFIX = re.compile(r"(人民政府|政府|街道办事处|办事处)$")
_NOISE = re.compile(r"中共\S*?委(员会)?|人民政府|政府|办事处|\s")


def screen_link(link: Link, allowed: set[str]) -> tuple[str, str] | None:
    """The decision on a new link before any request is spent on it: ``(state decision, reason)`` when it is
    skipped (off the government's sites, or a look-alike by its title), None when its page must be fetched."""
    if not same_site(link.url, allowed):
        return "skipped-offsite", f"off-site: {urlsplit(link.url).hostname} is not this government's site"
    if title_verdict(link.title) is False:
        return "skipped-title", f"title: {classify(link.title, None, link.date).reason}"
    return None


def title_year(title: str | None) -> int | None:
    """The year a link's title reports on, when the title reads as an annual report (so that a year whose only
    candidate could not be fetched is known to have one); None for titles that do not."""
    if not title or title_verdict(title) is not True:
        return None
    return classify(title).report_year


@dataclass(frozen=True)
class PageVerdict:
    """What one fetched page is. ``decision``: ``report``, ``skipped`` (final: the state remembers it) or
    ``error`` (no usable answer: the link stays pending). ``title`` is the one the link row and the record carry."""

    decision: str
    reason: str
    title: str | None
    report_year: int | None
    crawl_note: str | None = None  # for an error: the crawl-log line (names the page)


def judge_page(gov, page, list_title: str | None, publish_date, url: str) -> PageVerdict:
    """The verdict on an extracted page (``page.body`` already taken from an attachment where the page is a cover);
    ``publish_date`` is the page's own date, else the list's."""
    body = page.body or ""
    if len(body.strip()) < MIN_REPORT_TEXT:
        # Binary junk served as text/html, a script-only shell, a broken page: a report row with no text would
        # hide the government's report from coverage. An error is retried on later runs instead.
        what = f"{len(body.strip())} characters" if body.strip() else "no text"
        return PageVerdict("error", f"no report text on the page ({what})", list_title, title_year(list_title),
                           f"report page {url}: {what} after extraction (binary, broken or empty page)")  # fmt: skip
    # The list title is what the portal files the link under; a truncated one gives way to the page's own.
    title = list_title if list_title and not list_title.endswith(TRUNCATED) else (page.title or list_title)
    refused = page.cut or error_page(page, body, title_verdict(list_title or "") is True)
    if refused:
        # The answer is an error or WAF page, not the report: any decision made on it would be final.
        return PageVerdict("error", f"error page in place of the report ({refused})", list_title,
                           title_year(list_title), f"report page {url}: an error page, not the report ({refused})")  # fmt: skip
    decision = classify(title, body, publish_date)
    if not decision.is_annual_report:
        return PageVerdict("skipped", f"page: {decision.reason}", title, decision.report_year)
    elsewhere = issued_elsewhere(gov, page.issuer)
    if elsewhere:
        return PageVerdict("skipped", elsewhere, title, decision.report_year)
    return PageVerdict("report", decision.reason, title, decision.report_year)


def page_rules(gov) -> str:
    """A fingerprint of what a page-level skip (look-alike by its text, repost, duplicate) was decided with: the
    rules (``classify`` and this module) and the names the government signs with. The crawl state keeps it per
    source; when it changes, those skips are judged again (a report signed with a former name, skipped as a
    repost, lands once the registry gains that name in ``aliases``)."""
    parts = [CLASSIFIER_VERSION, PAGE_RULES_VERSION, gov.name, gov.level, *sorted(gov.aliases)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def duplicate_of(reports: dict, key: str, content_hash: str) -> str | None:
    """The URL of another live report of this government with the same text, or None (a repost within the site)."""
    for other_key, other in reports.items():
        if other_key != key and other.get("content_hash") == content_hash and not other.get("gone"):
            return other["url"]
    return None


def error_page(page, body: str, title_says_report: bool) -> str | None:
    """Why the answer looks like an error page rather than a report, or None. A short page that says it refused
    (访问受限, 页面不存在, …) is one; so is a page of a few lines and no attachment behind a link titled as a report."""
    said = soft_error(page.title, body)
    if said:
        return said
    if len(body) >= MIN_PAGE_BODY * 2:
        return None
    if title_says_report and len(body) < MIN_PAGE_BODY and not page.attachments:
        return f"{len(body)} characters of text and no attachment"
    return None


def soft_error(title: str | None, text: str) -> str | None:
    """``says '…'`` when a short page (title and visible text) says the portal refused or failed, else None: the
    one rule for report, list and discovery pages. A long page may mention 防火墙 or 已被删除 in passing."""
    if len(text) >= MIN_PAGE_BODY * 2:
        return None
    match = SOFT_ERROR.search(f"{title or ''}\n{text[:500]}")
    return f"says {match.group(0)!r}" if match else None


def list_refusal(page: ListPage) -> str | None:
    """Why a list page that answered is no list of the column, or None. Such a page is a failed read, as an error
    page in place of a report is (``error_page``): reading it as a list with no links would turn every year the
    column holds ``missing``. It is one the parser cut (``extract.tree``), an error or WAF page (``soft_error``)
    with at most a couple of links, or a page with no links, no pager and next to no text (a script challenge)."""
    if page.cut:
        return page.cut
    if page.text is None:
        return None  # a JSON or XML answer (gkmlpt, Hanweb): its records are the list, however few
    said = soft_error(page.title, page.text)
    if said and len(page.links) <= MAX_LINKS_ON_ERROR_PAGE:
        return f"an error page, not the list ({said})"
    if not page.links and not page.next_pages and len(page.text) < MIN_LIST_TEXT:
        return f"no list on the page ({len(page.text)} characters of text, no links)"
    return None


def _core(name: str) -> str:
    return _NOISE.sub("", name)


def issued_elsewhere(gov, issuer: str | None) -> str | None:
    """A reason when the page is signed by another government (a repost), else None.

    Only a *government* signature counts against a page: a department signing a government's report is usually
    the drafting 司法局. A department's site reposting its government's report is caught by level.
    Reads ``gov.name``, ``gov.aliases`` and ``gov.level`` only: dbt's ``int_reports__issuers`` passes registry
    rows with just those, so a rule that needs more must add it there too.
    """
    if not issuer or not _GOVERNMENT_SUFFIX.search(issuer):
        return None
    mine = [_core(n) for n in (gov.name, *gov.aliases) if _core(n)]
    theirs = _core(issuer)
    if gov.level == "department":
        if any(theirs == m for m in mine):
            return None
    elif any(theirs in m or m in theirs for m in mine):
        return None
    return f"repost: signed by {issuer}, not by {gov.name}"
