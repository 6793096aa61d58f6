"""Judging the links of one government's list pages and landing the reports among them (used by ``crawl``).

Each link gets one decision with its reason (landing stream ``links``): ``report``, ``skipped`` (look-alike, off the
site, duplicate text), ``known`` (judged in an earlier run), ``gone`` (collected before, now 404/410) or ``error``.
The title decides first; only a title that is a report or ambiguous costs a request for the page itself.

A link that got no usable answer (HTTP error, timeout, an error or WAF page where the report should be) is never
judged for good: it stays in the state's ``pending`` and is asked again on later runs with a backoff
(``crawl_state.next_attempt_at``), whether or not its list page changed. Its rows carry the year of its title, so
coverage can say ``unknown`` for that year rather than ``missing``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapers.classify import CLASSIFIER_VERSION, classify, title_verdict
from scrapers.collect import state as crawl_state
from scrapers.collect.discover import Link, normalise_url
from scrapers.collect.fetch import Fetcher, FetchError, Response, same_site
from scrapers.landing import Landing, sha256_hex, utcnow

log = logging.getLogger("fzzf.crawl")
GONE_STATUSES = (404, 410)
TRUNCATED = ("...", "…", "..")
MIN_REPORT_TEXT = 20  # fewer characters of body: the page holds no report text at all
MIN_PAGE_BODY = 300  # fewer characters beside a PDF/DOCX link: the page is a cover, the report is the attachment


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


def _core(name: str) -> str:
    return _NOISE.sub("", name)


def issued_elsewhere(gov, issuer: str | None) -> str | None:
    """A reason when the page is signed by another government (a repost), else None.

    Only a *government* signature counts against a page: a department signing a government's report is usually
    the drafting 司法局. A department's site reposting its government's report is caught by level.
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


@dataclass
class SourceStats:
    """Counts for one list URL in one run: becomes one ``crawl_log`` row."""

    list_url: str
    started_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    status: str = "ok"
    pages_fetched: int = 0
    requests: int = 0
    links_seen: int = 0
    reports_found: int = 0
    reports_new: int = 0
    links_skipped: int = 0
    errors: int = 0
    error: str | None = None

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.errors += 1
        self.error = self.error or message

    def note(self, message: str, count: bool = True) -> None:
        """A problem that loses part of the source, not all of it."""
        self.errors += int(count)
        self.error = self.error or message
        if self.status == "ok":
            self.status = "partial"

    def settle(self) -> None:
        if self.status == "ok" and self.errors:
            self.status = "partial"
        self.finished_at = self.finished_at or utcnow()

    def row(self, run_id: str, government_id: str) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "government_id": government_id,
            "list_url": self.list_url,
            "status": self.status,
            "pages_fetched": self.pages_fetched,
            "requests": self.requests,
            "links_seen": self.links_seen,
            "reports_found": self.reports_found,
            "reports_new": self.reports_new,
            "links_skipped": self.links_skipped,
            "errors": self.errors,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class ReportCollector:
    """Per government and run: judges links, fetches and lands reports, keeps the incremental state current."""

    def __init__(
        self, gov, landing: Landing, fetcher: Fetcher, state: dict, run_id: str, allowed: set[str], politeness
    ):
        self.gov, self.landing, self.fetcher, self.state = gov, landing, fetcher, state
        self.run_id, self.allowed, self.politeness = run_id, allowed, politeness
        self.reports: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self._seen: set[str] = set()  # links judged this run (a link on two list pages is judged once)
        self._fetched: set[str] = set()  # report pages fetched this run (no re-check needed)
        self._note: str | None = None  # prefix of the reasons written while a pending link is asked again

    # list links -------------------------------------------------------------------------------------------------
    def judge(self, link: Link, list_url: str, stats: SourceStats, on_event) -> int:
        """Decide one list link; returns 1 when the link was new to the state (drives the incremental stop)."""
        key = normalise_url(link.url)
        if key in self._seen:
            return 0
        self._seen.add(key)
        stats.links_seen += 1
        known = self.state["links"].get(key)
        if known == "skipped-title" and self.state.get("classifier_version") != CLASSIFIER_VERSION:
            known = None  # judged on its title by older rules: judge it again (costs no request unless it passes)
        elif known == "skipped-offsite" and same_site(link.url, self.allowed):
            known = None  # the registry now declares that host (extra_hosts): judge it again
        if known is not None:
            report = self.state["reports"].get(key)
            if known == "report" and report and not report.get("gone"):
                stats.reports_found += 1
            self._link(list_url, link.url, link.title, "known", f"judged before: {known}",
                       report.get("report_year") if report else None)  # fmt: skip
            return 0
        skip = screen_link(link, self.allowed)
        if skip is not None:
            self._skip(key, list_url, link, skip[1], decision=skip[0])
            stats.links_skipped += 1
            return 1
        return self._attempt(key, link, list_url, stats, on_event)

    def _attempt(self, key: str, link: Link, list_url: str, stats: SourceStats, on_event) -> int:
        """Fetch and decide one report link, or, while a pending link's backoff runs, say so; 1 when new."""
        pending = self.state["pending"].get(key)
        if pending is not None and pending.get("next_at", 0) > time.time():
            when = dt.datetime.fromtimestamp(pending["next_at"], dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            self._link(list_url, link.url, link.title, "error",
                       f"pending: {pending.get('last_reason')}; {pending.get('attempts')} attempt(s), next after {when}",
                       _title_year(link.title), pending.get("last_status"))  # fmt: skip
            return 0
        attempt = int((pending or {}).get("attempts", 0)) + 1
        self._note = f"re-check {attempt - 1}" if pending is not None else None
        rows_before = len(self.links)
        try:
            self._fetch_report(key, link, list_url, stats, on_event)
        except Exception as exc:  # noqa: BLE001 - one page the extractor chokes on must not lose the rest
            log.exception("%s: %s", self.gov.id, link.url)
            stats.note(f"crawler error on {link.url}: {type(exc).__name__}: {exc}")
            self._link(list_url, link.url, link.title, "error", f"crawler error: {type(exc).__name__}: {exc}",
                       _title_year(link.title))  # fmt: skip
        finally:
            self._note = None
        if key in self.state["links"]:
            self.state["pending"].pop(key, None)
        else:
            # No usable answer: asked again on a later run (crawl_state.next_attempt_at), never given up.
            last = self.links[-1] if len(self.links) > rows_before else {"reason": "no answer"}
            entry = crawl_state.pending_entry(
                {**last, "url": link.url, "list_url": list_url, "title": link.title,
                 "date": link.date.isoformat() if link.date else None, "report_year": _title_year(link.title)},
                attempts=attempt,
            )  # fmt: skip
            entry["first_failed_at"] = (pending or {}).get("first_failed_at") or time.time()
            self.state["pending"][key] = entry
        # A link that failed before is not news: it must not keep the incremental crawl paging on every run.
        return 0 if pending is not None else 1

    def retry_pending(self, sources: list[SourceStats], on_event) -> None:
        """Ask again every pending link that is due and was not on a list page read this run (a 304, a list page
        that failed, the incremental stop): the list being unchanged says nothing about the report behind it."""
        by_list = {s.list_url: s for s in sources}
        now = time.time()
        for key, entry in list(self.state["pending"].items()):
            if key in self._seen or entry.get("next_at", 0) > now or not entry.get("url"):
                continue
            self._seen.add(key)
            stats = by_list.get(entry.get("list_url")) or sources[0]
            date = None
            with contextlib.suppress(TypeError, ValueError):
                date = dt.date.fromisoformat(entry["date"]) if entry.get("date") else None
            link = Link(url=entry["url"], title=entry.get("title") or "", date=date)
            self._attempt(key, link, entry.get("list_url") or stats.list_url, stats, on_event)

    def _fetch_report(self, key: str, link: Link, list_url: str, stats: SourceStats, on_event) -> None:
        try:
            resp = self.fetcher.fetch(link.url, allowed_hosts=self.allowed)
        except FetchError as exc:
            stats.requests += exc.requests_made
            on_event("requests", exc.requests_made)
            stats.note(f"report page {exc}")
            self._link(list_url, link.url, link.title, "error", str(exc), _title_year(link.title))
            return
        stats.requests += resp.requests
        on_event("requests", resp.requests)
        self._fetched.add(key)
        if not resp.ok:
            stats.note(f"report page {link.url}: HTTP {resp.status}")
            self._link(list_url, link.url, link.title, "error", f"report page answered HTTP {resp.status}",
                       _title_year(link.title), resp.status)  # fmt: skip
            return
        self._land(key, link.title, link.date, list_url, resp, stats, on_event)

    def _land(self, key, list_title, list_date, list_url, resp: Response, stats, on_event) -> None:
        from scrapers.extract import EXTRACTOR_VERSION, extract_page
        from scrapers.extract.chrome import TEXT_ATTACHMENT
        from scrapers.extract.metrics import extract_metrics

        raw_sha = self.landing.store_raw(resp.content)
        page = extract_page(resp.content, url=resp.url)
        if not page.body_in_attachment and len(page.body or "") < MIN_PAGE_BODY:
            # A cover page whose few lines (title, "附件：…pdf") pass the extractor's own threshold.
            page.body_in_attachment = [a["url"] for a in page.attachments if TEXT_ATTACHMENT.search(a.get("url", ""))]
        if page.body_in_attachment:
            page = self._from_attachment(page, stats, on_event)
        body = page.body or ""
        if len(body.strip()) < MIN_REPORT_TEXT:
            # Binary junk served as text/html, a script-only shell, a broken page: a report row with no text would
            # hide the government's report from coverage. An error is retried on later runs instead.
            what = f"{len(body.strip())} characters" if body.strip() else "no text"
            stats.note(f"report page {resp.url}: {what} after extraction (binary, broken or empty page)")
            self._link(list_url, resp.url, list_title, "error", f"no report text on the page ({what})",
                       _title_year(list_title), resp.status)  # fmt: skip
            return
        sections = list(page.sections or [])
        # The list title is what the portal files the link under; a truncated one gives way to the page's own.
        title = list_title if list_title and not list_title.endswith(TRUNCATED) else (page.title or list_title)
        publish_date = page.publish_date or list_date
        refused = _error_page(page, body, title_verdict(list_title or "") is True)
        if refused:
            # The answer is an error or WAF page, not the report: any decision made on it would be final.
            stats.note(f"report page {resp.url}: an error page, not the report ({refused})")
            self._link(list_url, resp.url, list_title, "error", f"error page in place of the report ({refused})",
                       _title_year(list_title), resp.status)  # fmt: skip
            return
        decision = classify(title, body, publish_date)
        if not decision.is_annual_report:
            self.state["links"][key] = "skipped"
            stats.links_skipped += 1
            self._link(list_url, resp.url, title, "skipped", f"page: {decision.reason}", decision.report_year,
                       resp.status)  # fmt: skip
            return
        elsewhere = issued_elsewhere(self.gov, page.issuer)
        if elsewhere:
            self.state["links"][key] = "skipped"
            stats.links_skipped += 1
            self._link(list_url, resp.url, title, "skipped", elsewhere, decision.report_year, resp.status)
            return
        content_hash = sha256_hex(body)
        for other_key, other in self.state["reports"].items():
            if other_key != key and other.get("content_hash") == content_hash and not other.get("gone"):
                self.state["links"][key] = "duplicate"
                stats.links_skipped += 1
                self._link(list_url, resp.url, title, "skipped", f"duplicate: same text as {other['url']}",
                           decision.report_year, resp.status)  # fmt: skip
                return
        previous = self.state["reports"].get(key)
        stats.reports_found += 1
        if previous is None or previous.get("content_hash") != content_hash:
            stats.reports_new += 1
            on_event("reports", 1)
            record_id = sha256_hex(f"{self.gov.id}\x1f{resp.url}\x1f{content_hash}")
            self.reports.append(
                {
                    "record_id": record_id,
                    "run_id": self.run_id,
                    "government_id": self.gov.id,
                    "list_url": list_url,
                    "url": resp.url,
                    "title": title,
                    "report_year": decision.report_year,
                    "publish_date": publish_date,
                    "source": page.source,
                    "issuer": page.issuer,
                    "body": body,
                    "char_count": len(body),
                    "content_hash": content_hash,
                    "raw_sha256": raw_sha,
                    "is_annual_report": True,
                    "decision_reason": decision.reason,
                    "attachments": list(page.attachments or []),
                    "sections": sections,
                    "metrics": extract_metrics(body, sections),
                    "http_status": resp.status,
                    "etag": resp.etag,
                    "last_modified": resp.last_modified,
                    "extractor_version": EXTRACTOR_VERSION,
                    "fetched_at": utcnow(),
                }
            )
        self.state["links"][key] = "report"
        self.state["reports"][key] = {
            "url": resp.url,
            "list_url": list_url,
            "title": title,
            # the list's date: a re-check of the page must not lose the publication day when the page states none
            "list_date": list_date.isoformat() if isinstance(list_date, dt.date) else list_date,
            "report_year": decision.report_year,
            "content_hash": content_hash,
            "etag": resp.etag,
            "last_modified": resp.last_modified,
            "checked_at": time.time(),
            "gone": False,
        }
        self._link(list_url, resp.url, title, "report", decision.reason, decision.report_year, resp.status)

    def _from_attachment(self, page, stats, on_event):
        """A page that is only a cover for a PDF/DOCX: the report text is the attachment's."""
        from scrapers.extract import AttachmentError, page_from_attachment

        for url in page.body_in_attachment:
            if not same_site(url, self.allowed):
                stats.note(f"attachment {url} is off the site; not fetched")
                continue
            try:
                resp = self.fetcher.fetch(url, allowed_hosts=self.allowed)
            except FetchError as exc:
                stats.requests += exc.requests_made
                stats.note(f"attachment {exc}")
                continue
            stats.requests += resp.requests
            on_event("requests", resp.requests)
            if not resp.ok:
                stats.note(f"attachment {url}: HTTP {resp.status}")
                continue
            self.landing.store_raw(resp.content)
            try:
                return page_from_attachment(page, resp.content, url)
            except AttachmentError as exc:
                stats.note(f"attachment {url}: {exc}")
        return page

    # re-checks of known reports -------------------------------------------------------------------------------
    def revisit_known(self, sources: list[SourceStats], cutoff: float) -> int:
        """Re-check reports last checked before ``cutoff`` (conditional GET): changed → new version, 404/410 → gone."""
        made = 0
        by_list = {s.list_url: s for s in sources}
        for key, rep in list(self.state["reports"].items()):
            if rep.get("gone") or key in self._fetched or rep.get("checked_at", 0) > cutoff:
                continue
            stats = by_list.get(rep.get("list_url")) or sources[0]
            try:
                resp = self.fetcher.fetch(rep["url"], etag=rep.get("etag"), last_modified=rep.get("last_modified"),
                                          allowed_hosts=self.allowed)  # fmt: skip
            except FetchError as exc:
                stats.requests += exc.requests_made
                made += exc.requests_made
                stats.note(f"re-check {exc}")
                self._link(rep.get("list_url"), rep["url"], rep.get("title"), "error", f"re-check: {exc}",
                           rep.get("report_year"))  # fmt: skip
                continue
            stats.requests += resp.requests
            made += resp.requests
            if resp.not_modified:
                rep["checked_at"] = time.time()
                continue
            if resp.status in GONE_STATUSES:
                rep["gone"], rep["gone_at"] = True, time.time()
                self._link(rep.get("list_url"), rep["url"], rep.get("title"), "gone",
                           f"HTTP {resp.status}: collected before, no longer online", rep.get("report_year"),
                           resp.status)  # fmt: skip
                continue
            if not resp.ok:
                stats.note(f"re-check {rep['url']}: HTTP {resp.status}")
                self._link(rep.get("list_url"), rep["url"], rep.get("title"), "error",
                           f"re-check answered HTTP {resp.status}", rep.get("report_year"), resp.status)  # fmt: skip
                continue
            list_date = None
            with contextlib.suppress(TypeError, ValueError):
                list_date = dt.date.fromisoformat(rep["list_date"]) if rep.get("list_date") else None
            self._land(key, rep.get("title"), list_date, rep.get("list_url"), resp, stats, lambda _k, _n: None)
        return made

    # rows -------------------------------------------------------------------------------------------------------
    def _skip(self, key: str, list_url: str, link: Link, reason: str, decision: str = "skipped") -> None:
        self.state["links"][key] = decision  # "skipped-title": re-judged when the classifier's rules change
        self._link(list_url, link.url, link.title, "skipped", reason, None)

    def _link(self, list_url, url, title, decision, reason, year, status=None) -> dict[str, Any]:
        if self._note:
            reason = f"{self._note}: {reason}"
        row = {
            "run_id": self.run_id,
            "government_id": self.gov.id,
            "list_url": list_url,
            "url": url,
            "title": title,
            "decision": decision,
            "reason": reason,
            "report_year": year,
            "http_status": status,
            "seen_at": utcnow(),
        }
        self.links.append(row)
        return row


def screen_link(link: Link, allowed: set[str]) -> tuple[str, str] | None:
    """The decision on a new link before any request is spent on it: ``(state decision, reason)`` when it is
    skipped (off the government's sites, or a look-alike by its title), None when its page must be fetched.
    ``ReportCollector.judge`` and ``fzzf links`` both use it, so what ``links`` shows is what the crawl does."""
    if not same_site(link.url, allowed):
        return "skipped-offsite", f"off-site: {urlsplit(link.url).hostname} is not this government's site"
    if title_verdict(link.title) is False:
        return "skipped-title", f"title: {classify(link.title, None, link.date).reason}"
    return None


def _title_year(title: str | None) -> int | None:
    """The year a link's title reports on, when the title reads as an annual report (so that a year whose only
    candidate could not be fetched is known to have one); None for titles that do not."""
    if not title or title_verdict(title) is not True:
        return None
    return classify(title).report_year


def _error_page(page, body: str, title_says_report: bool) -> str | None:
    """Why the answer looks like an error page rather than a report, or None. A short page that says it refused
    (访问受限, 页面不存在, …) is one; so is a page of a few lines and no attachment behind a link titled as a report."""
    if len(body) >= MIN_PAGE_BODY * 2:
        return None
    match = SOFT_ERROR.search(f"{page.title or ''}\n{body[:500]}")
    if match:
        return f"says {match.group(0)!r}"
    if title_says_report and len(body) < MIN_PAGE_BODY and not page.attachments:
        return f"{len(body)} characters of text and no attachment"
    return None
