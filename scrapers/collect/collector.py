"""One government's crawl, link by link: judge (``judge``), fetch and read (``report_page``), land (``land``), and
keep the incremental state current (used by ``crawl``).

Each link gets one decision with its reason (landing stream ``links``): ``report``, ``skipped`` (look-alike, off the
site, duplicate text), ``known`` (judged in an earlier run), ``gone`` (collected before, now 404/410) or ``error``.
The title decides first; only a title that is a report or ambiguous costs a request for the page itself.

A link that got no usable answer (HTTP error, timeout, an error or WAF page where the report should be) is never
judged for good: it stays in the state's ``pending`` and is asked again on later runs with a backoff
(``state.next_attempt_at``), whether or not its list page changed. Its rows carry the year of its title, so
coverage can say ``unknown`` for that year rather than ``missing``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from typing import Any

from scrapers.classify import CLASSIFIER_VERSION
from scrapers.collect import land, report_page
from scrapers.collect import state as crawl_state
from scrapers.collect.discover import Link, normalise_url
from scrapers.collect.fetch import Fetcher, FetchError, Response, same_site
from scrapers.collect.judge import duplicate_of, judge_page, page_rules, screen_link, title_year
from scrapers.collect.source_stats import SourceStats
from scrapers.landing import Landing, sha256_hex

log = logging.getLogger("fzzf.crawl")
GONE_STATUSES = (404, 410)


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
        self.page_rules = page_rules(gov)  # what page-level skips are judged with (judge.page_rules)

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
        elif known in ("skipped", "duplicate") and self._rejudge(key, list_url, known):
            known = None  # skipped on its page by other rules or names, or the original it copied is gone
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

    def _rejudge(self, key: str, list_url: str, known: str) -> bool:
        """Whether a page-level skip is judged again: its source was judged with other rules, names or aliases
        (``judge.page_rules``), or it is a duplicate whose original is gone (a moved report: the copy is now the
        report, not the dead URL)."""
        if (self.state["sources"].get(list_url) or {}).get("page_rules") != self.page_rules:
            return True
        if known != "duplicate":
            return False
        of = (self.state.get("duplicates") or {}).get(key, {}).get("of")
        if of is None:  # judged before duplicates named their original: judged again once a report is gone
            return any(r.get("gone") for r in self.state["reports"].values())
        return of not in self.state["reports"] or bool(self.state["reports"][of].get("gone"))

    def _release_duplicates(self, original: str, why: str) -> None:
        """The copies of a report that is gone become pending, due at once: asked again even when their list page
        answers 304, they land as the report (``duplicate_of`` ignores gone reports)."""
        duplicates = self.state.setdefault("duplicates", {})
        for key, dup in list(duplicates.items()):
            if dup.get("of") != original:
                continue
            del duplicates[key]
            if self.state["links"].get(key) == "duplicate":
                del self.state["links"][key]
                row = {**dup, "reason": f"duplicate of {original}, which {why}: judged again"}
                self.state["pending"][key] = crawl_state.pending_entry(row, attempts=1, now=0)

    def _attempt(self, key: str, link: Link, list_url: str, stats: SourceStats, on_event) -> int:
        """Fetch and decide one report link, or, while a pending link's backoff runs, say so; 1 when new."""
        pending = self.state["pending"].get(key)
        if pending is not None and pending.get("next_at", 0) > time.time():
            when = dt.datetime.fromtimestamp(pending["next_at"], dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            self._link(list_url, link.url, link.title, "error",
                       f"pending: {pending.get('last_reason')}; {pending.get('attempts')} attempt(s), next after {when}",
                       title_year(link.title), pending.get("last_status"))  # fmt: skip
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
                       title_year(link.title))  # fmt: skip
        finally:
            self._note = None
        if key in self.state["links"]:
            self.state["pending"].pop(key, None)
        else:
            # No usable answer: asked again on a later run (state.next_attempt_at), never given up.
            last = self.links[-1] if len(self.links) > rows_before else {"reason": "no answer"}
            entry = crawl_state.pending_entry(
                {**last, "url": link.url, "list_url": list_url, "title": link.title,
                 "date": link.date.isoformat() if link.date else None, "report_year": title_year(link.title)},
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
            resp = self.fetcher.fetch(link.url, allowed_hosts=self.allowed, reads="report")
        except FetchError as exc:
            stats.requests += exc.requests_made
            on_event("requests", exc.requests_made)
            stats.note(f"report page {exc}")
            self._link(list_url, link.url, link.title, "error", str(exc), title_year(link.title))
            return
        stats.requests += resp.requests
        on_event("requests", resp.requests)
        self._fetched.add(key)
        if not resp.ok:
            stats.note(f"report page {link.url}: HTTP {resp.status}")
            self._link(list_url, link.url, link.title, "error", f"report page answered HTTP {resp.status}",
                       title_year(link.title), resp.status)  # fmt: skip
            return
        self._land(key, link.title, link.date, list_url, resp, stats, on_event)

    def _land(self, key, list_title, list_date, list_url, resp: Response, stats, on_event) -> None:
        page, raw_sha = report_page.read(resp, self.landing, self.fetcher, self.allowed, stats, on_event)
        publish_date = page.publish_date or list_date
        verdict = judge_page(self.gov, page, list_title, publish_date, resp.url)
        if verdict.decision == "error":
            stats.note(verdict.crawl_note)
            self._link(list_url, resp.url, verdict.title, "error", verdict.reason, verdict.report_year, resp.status)
            return
        if verdict.decision == "skipped":
            self.state["links"][key] = "skipped"
            stats.links_skipped += 1
            self._link(list_url, resp.url, verdict.title, "skipped", verdict.reason, verdict.report_year, resp.status)
            return
        content_hash = sha256_hex(page.body or "")
        duplicate = duplicate_of(self.state["reports"], key, content_hash)
        if duplicate:
            self.state["links"][key] = "duplicate"
            # the original it copies: when that one is gone (404/410), this copy is judged again (_release_duplicates)
            of = next((k for k, r in self.state["reports"].items() if k != key and r.get("url") == duplicate), None)
            self.state.setdefault("duplicates", {})[key] = {
                "of": of or normalise_url(duplicate), "url": resp.url, "list_url": list_url, "title": list_title,
                "date": list_date.isoformat() if isinstance(list_date, dt.date) else list_date,
                "report_year": verdict.report_year,
            }  # fmt: skip
            stats.links_skipped += 1
            self._link(list_url, resp.url, verdict.title, "skipped", f"duplicate: same text as {duplicate}",
                       verdict.report_year, resp.status)  # fmt: skip
            return
        previous = self.state["reports"].get(key)
        stats.reports_found += 1
        if previous is None or previous.get("content_hash") != content_hash:
            stats.reports_new += 1
            on_event("reports", 1)
            self.reports.append(land.report_record(self.gov.id, self.run_id, list_url, resp, page, verdict,
                                                   publish_date, content_hash, raw_sha))  # fmt: skip
        self.state["links"][key] = "report"
        self.state["reports"][key] = land.state_report(resp, list_url, list_date, verdict, content_hash)
        self._link(list_url, resp.url, verdict.title, "report", verdict.reason, verdict.report_year, resp.status)

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
                                          allowed_hosts=self.allowed, reads="report")  # fmt: skip
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
                self._release_duplicates(key, f"answered HTTP {resp.status}")
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
        row = land.link_row(self.run_id, self.gov.id, list_url, url, title, decision, reason, year, status)
        self.links.append(row)
        return row
