"""One government end to end (list pages → report pages → landing), and many governments at once.

Portal problems never raise: they become crawl-log rows (per source and run) and link rows (per link, with the
reason). Re-runs are incremental: list pages are asked for with their validators (a 304 ends the source), paging
stops at the first page holding only links already known, known report pages are not fetched again until they are
due for a re-check (``FZZF_REVISIT_DAYS``, default 7), and a report lands again only when its text changed.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import filelock

from scrapers.classify import CLASSIFIER_VERSION
from scrapers.collect import state as crawl_state
from scrapers.collect.collector import ReportCollector
from scrapers.collect.contact import require_contact
from scrapers.collect.discover import Link, PageRequest, normalise_url, parse_list_page
from scrapers.collect.fetch import Fetcher, FetchError, site_host
from scrapers.collect.judge import list_refusal
from scrapers.collect.progress import Progress
from scrapers.collect.source_plan import SourcePlan
from scrapers.collect.source_stats import SourceStats
from scrapers.landing import Landing, new_run_id, utcnow
from scrapers.registry.governments import Government
from scrapers.settings import Politeness

__all__ = ["CrawlSummary", "GovernmentResult", "crawl_government", "run_crawl"]

log = logging.getLogger("fzzf.crawl")
LANE_WORKERS = 2  # governments of one host crawled at once (see run_crawl)
GOV_LOCK_WAIT = float(os.environ.get("FZZF_GOV_LOCK_WAIT", "30"))  # seconds to wait for another crawl of a government


def revisit_after() -> float:
    return float(os.environ.get("FZZF_REVISIT_DAYS", "7")) * 86400


def relist_after() -> float:
    """Seconds after which a source's whole list is read again, without validators or the incremental stop: a
    portal that files a new report on page 2 (lists not sorted by date) or edits page 3 is caught within a week."""
    return float(os.environ.get("FZZF_RELIST_DAYS", "7")) * 86400


@dataclass
class GovernmentResult:
    government_id: str
    run_id: str
    status: str = "ok"  # ok | partial | failed | locked | skipped (no URL to read)
    sources: list[SourceStats] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    report_years: list[int] = field(default_factory=list)  # years of the reports seen on the portal this run
    decisions: dict[str, int] = field(default_factory=dict)  # links judged this run, by decision (landing ``links``)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.sources)

    @property
    def reports_found(self) -> int:
        return self.total("reports_found")

    @property
    def reports_new(self) -> int:
        return self.total("reports_new")

    @property
    def requests(self) -> int:
        return self.total("requests")

    @property
    def pages_fetched(self) -> int:
        return self.total("pages_fetched")

    def describe(self, label: str | None = None) -> str:
        """What this crawl did, in a few lines (the Airflow task log): outcome, pages read, links judged, years."""
        head = f"{label or self.government_id}: {self.status} in {self.seconds:.1f} s, {self.requests} request(s)"
        if self.error:
            head += f"; {self.error}"
        decisions = ", ".join(f"{n} {d}" for d, n in sorted(self.decisions.items(), key=lambda kv: -kv[1]))
        years = ", ".join(str(y) for y in self.report_years) or "none"
        lines = [
            head,
            f"  list pages read: {self.pages_fetched} from {len(self.sources)} source(s)",
            f"  links judged: {sum(self.decisions.values())}" + (f" ({decisions})" if decisions else ""),
            f"  reports: {self.reports_found} found, {self.reports_new} new or changed; years found: {years}",
        ]
        return "\n".join(lines)


@dataclass
class CrawlSummary:
    run_id: str
    results: list[GovernmentResult]
    seconds: float
    requests: int
    requests_by_host: dict[str, int] = field(default_factory=dict)  # host:port -> HTTP requests this run
    skipped: str | None = None  # governments not crawled because no URL is known, and how many

    @property
    def all_failed(self) -> bool:
        return bool(self.results) and all(r.status in ("failed", "locked") for r in self.results)

    def describe(self) -> str:
        by_status: dict[str, int] = {}
        for r in self.results:
            by_status[r.status] = by_status.get(r.status, 0) + 1
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
        lines = [
            f"crawl {self.run_id}: {len(self.results)} governments ({statuses}) in {self.seconds:.1f} s; "
            f"{self.requests} requests, {sum(r.pages_fetched for r in self.results)} list pages, "
            f"{sum(r.reports_found for r in self.results)} reports found, "
            f"{sum(r.reports_new for r in self.results)} new or changed"
        ]
        if self.skipped:
            lines.append(f"  skipped: {self.skipped}")
        for r in self.results:
            if r.status != "ok":
                lines.append(f"  {r.government_id}: {r.status}: {r.error}")
        return "\n".join(lines)


def crawl_government(
    gov: Government,
    data_dir: Path,
    politeness: Politeness,
    run_id: str | None = None,
    *,
    fetcher: Fetcher | None = None,
    on_event: Callable[[str, int], None] | None = None,
) -> GovernmentResult:
    """Crawl every list URL of ``gov`` and land what was found; never raises for portal problems."""
    data_dir = Path(data_dir)
    run_id = run_id or new_run_id()
    landing = Landing(data_dir).ensure()
    result = GovernmentResult(gov.id, run_id)
    started = time.monotonic()
    if not gov.crawl_urls:
        result.status, result.error = "skipped", "no list or report URL known for this government"
        return result
    if (landing.landing_dir / "crawl_log" / run_id / f"{gov.id}.jsonl").exists():
        # An Airflow retry of a task that already landed: the run's files are complete, do not crawl twice.
        result.error = f"already crawled in run {run_id}"
        return result
    lock_path = data_dir / "locks" / f"gov-{gov.id}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path), timeout=GOV_LOCK_WAIT)
    try:
        lock.acquire()
    except filelock.Timeout:
        result.status = "locked"
        result.error = (
            f"another crawl of {gov.id} has held {lock_path} for over {GOV_LOCK_WAIT:.0f} s; not crawled this time "
            "(wait for it to finish, or remove the lock file if no crawl is running)"
        )
        log.warning("%s: %s", gov.id, result.error)
        return result
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(politeness, data_dir)
    try:
        _crawl_locked(gov, landing, politeness, run_id, fetcher, result, on_event or (lambda _k, _n: None))
    finally:
        lock.release()
        if own_fetcher:
            fetcher.close()
    result.seconds = time.monotonic() - started
    return result


def _crawl_locked(gov, landing, politeness, run_id, fetcher, result, on_event) -> None:
    state = crawl_state.load_state(landing, gov.id)
    _fold_in_landed_reports(landing, gov.id, state)
    crawl_state.forget_quarantined(landing, gov.id, state)
    allowed = {urlsplit(u).hostname or "" for u in gov.crawl_urls} | set(gov.extra_hosts)
    collector = ReportCollector(gov, landing, fetcher, state, run_id, allowed, politeness)
    # Home pages resolve to the report columns found on them (remembered in the state): see scrapers/collect/locate.py.
    plan = SourcePlan(gov, fetcher, state, allowed, on_event=on_event)
    # Lazily: the walk looks at each source's result before it decides whether to run discovery after it.
    for list_url in itertools.chain(plan.walk(result.sources), gov.report_urls):
        stats = SourceStats(list_url=list_url, started_at=utcnow())
        plan.charge(stats)
        result.sources.append(stats)
        try:
            if list_url in gov.report_urls:  # a known report page: judged as a link of itself, no list to read
                collector.judge(Link(list_url, ""), list_url, stats, on_event)
                state["sources"].setdefault(list_url, {})["page_rules"] = collector.page_rules
            else:
                _crawl_source(gov, list_url, fetcher, politeness, state, collector, stats, on_event)
        except Exception as exc:  # noqa: BLE001 - a bug on one portal must not lose the others' results
            log.exception("%s: crawling %s failed", gov.id, list_url)
            stats.fail(f"crawler error on {list_url}: {type(exc).__name__}: {exc}")
        stats.finished_at = utcnow()
    # Links that failed on an earlier run are asked again even when their list page answered 304 this time.
    collector.retry_pending(result.sources, on_event)
    state["classifier_version"] = CLASSIFIER_VERSION
    revisit = collector.revisit_known(result.sources, time.time() - revisit_after())
    if revisit:
        on_event("requests", revisit)
    for s in result.sources:
        s.settle()
    rows_log = [plan.annotate(s.row(run_id, gov.id)) for s in result.sources]
    run_for_rows = run_id
    for stream, rows in (("reports", collector.reports), ("links", collector.links), ("crawl_log", rows_log)):
        try:
            landing.write_rows(stream, run_for_rows, gov.id, rows)
        except FileExistsError:
            # Only a crash between two writes of an earlier attempt gets here: land this attempt as its own run.
            run_for_rows = new_run_id()
            for row in (*collector.reports, *collector.links, *rows_log):
                row["run_id"] = run_for_rows
            landing.write_rows(stream, run_for_rows, gov.id, rows)
        if stream == "reports" and rows:
            state["report_runs"] = sorted({*state.get("report_runs", []), run_for_rows})
    crawl_state.save_state(landing, gov.id, state)
    statuses = {s.status for s in result.sources}
    result.status = "failed" if statuses == {"failed"} else ("ok" if statuses == {"ok"} else "partial")
    errors = [s.error for s in result.sources if s.error]
    result.error = errors[0] if errors else None
    for row in collector.links:
        result.decisions[row["decision"]] = result.decisions.get(row["decision"], 0) + 1
    result.report_years = sorted(
        {int(r["report_year"]) for r in collector.links if r.get("report_year") and _is_report(r)}
    )


def _is_report(link_row: dict) -> bool:
    """A link row that stands for a report: judged one this run, or known as one from an earlier run."""
    return link_row["decision"] == "report" or (
        link_row["decision"] == "known" and link_row.get("reason") == "judged before: report"
    )


def _fold_in_landed_reports(landing: Landing, government_id: str, state: dict) -> None:
    """Reports landed by a run that died before it saved the state: take them into the state, so a re-run does not
    land them twice (the state is saved last; the landing files are the truth)."""
    folded = set(state.get("report_runs", []))
    name = landing.state_path(government_id).stem  # landing files and state share the file-safe id
    for path in sorted((landing.landing_dir / "reports").glob(f"*/{name}.jsonl")):
        if path.parent.name in folded:
            continue
        for row in crawl_state.read_jsonl_lenient(path):
            if row.get("government_id") != government_id or not row.get("url") or not row.get("content_hash"):
                continue
            key = normalise_url(row["url"])
            known = state["reports"].get(key)
            if known is None or known.get("content_hash") != row["content_hash"]:
                state["reports"][key] = {
                    "url": row["url"], "list_url": row.get("list_url"), "title": row.get("title"),
                    "list_date": row.get("publish_date"), "report_year": row.get("report_year"),
                    "content_hash": row["content_hash"], "etag": row.get("etag"),
                    "last_modified": row.get("last_modified"), "checked_at": time.time(), "gone": False,
                }  # fmt: skip
                state["links"][key] = "report"
                state["pending"].pop(key, None)
        folded.add(path.parent.name)
    state["report_runs"] = sorted(folded)


def _crawl_source(gov, list_url, fetcher, politeness, state, collector, stats, on_event) -> None:
    source_state = state["sources"].setdefault(list_url, {})
    # A source whose last crawl lost a page (an error on page 2, the page cap) is read in full, without validators:
    # a 304 on its first page would say nothing about the page that was never read.
    # So is a source not read in full for FZZF_RELIST_DAYS, and every source after a classifier change.
    incremental = (
        bool(source_state.get("complete"))
        and time.time() - source_state.get("full_at", 0) < relist_after()
        and state.get("classifier_version") == CLASSIFIER_VERSION
        # page-level skips made with other rules, names or aliases are judged again: every link must be seen
        and source_state.get("page_rules") == collector.page_rules
    )
    failed_pages: list[str] = []
    queue: deque[PageRequest] = deque([PageRequest(list_url)])
    queued = {queue[0].key}
    page_hashes: set[str] = set()
    first = True
    attempts = 0  # list-page requests, every answer counted (404s, 5xx and their retries): the page cap's measure
    while queue:
        if attempts >= politeness.max_pages:
            stats.note(f"stopped at the page cap (max_pages={politeness.max_pages}): {attempts} list-page requests "
                       f"made, {stats.pages_fetched} pages read; {len(queue)} pages left")  # fmt: skip
            source_state["complete"] = False
            return
        request = queue.popleft()
        try:
            resp = fetcher.fetch(
                request.url,
                method=request.method,
                data=dict(request.data) or None,
                json_body=request.json_body,
                etag=source_state.get("etag") if first and incremental else None,
                last_modified=source_state.get("last_modified") if first and incremental else None,
                allowed_hosts=collector.allowed,
                reads="list",
            )
        except FetchError as exc:
            stats.requests += exc.requests_made
            attempts += exc.requests_made
            on_event("requests", exc.requests_made)
            if first:
                stats.fail(f"list page {exc}")
                return  # nothing read: what the state knew of this source is still all there is
            stats.note(f"list page {exc}")
            stats.list_pages_lost += 1
            failed_pages.append(request.url)
            continue
        stats.requests += resp.requests
        attempts += resp.requests
        on_event("requests", resp.requests)
        if first and resp.not_modified:
            return  # the list is as it was: nothing new on it or behind it
        problem = f"HTTP {resp.status}"
        if resp.ok:
            digest = collector.landing.store_raw(resp.content)  # list pages land too: what the decisions were made on
            page = parse_list_page(resp.content, resp.url, resp.content_type, base=request.base, request=request)
            # An error or WAF page where the list should be, or a list the reader could not read (a template, a
            # challenge, an API the page does not state in full), is a failed read (its validators are not kept
            # either: a 304 on them would skip the real list), never a list with no links.
            refused = list_refusal(page)
            refused = f"not a list ({refused})" if refused else None
            # A cut page is named as cut: what it seems to lack (its items, its list) says nothing of the page.
            problem = (refused or page.unread) if page.cut else (page.unread or refused)
        if problem:
            if _failed_read(stats, source_state, request, problem, failed_pages, first=first):
                return
            continue
        if first:
            source_state["etag"], source_state["last_modified"] = resp.etag, resp.last_modified
        first = False
        stats.pages_fetched += 1
        on_event("pages", 1)
        if digest in page_hashes:
            continue  # the same page under a second URL (index.html vs ./): neither new nor a reason to stop
        page_hashes.add(digest)
        new_links = 0
        for link in page.links:
            new_links += collector.judge(link, list_url, stats, on_event)
        if any(nxt.api for nxt in page.next_pages):  # a shell whose API serves the list: its 304 says nothing
            source_state["etag"] = source_state["last_modified"] = None
        if incremental and new_links == 0 and not failed_pages and page.links:
            return  # everything on this page was known last time: older pages hold nothing new
        for nxt in page.next_pages:
            if nxt.key not in queued:
                queued.add(nxt.key)
                queue.append(nxt)
    if failed_pages and not stats.links_seen:  # nothing read: what was read is not "a list of nothing"
        why = f"no list item read; {len(failed_pages)} page(s) failed, first {failed_pages[0]}"
        _failed_read(stats, source_state, PageRequest(list_url), why, failed_pages, first=True)
        return
    source_state["complete"] = not failed_pages
    source_state["failed_pages"] = failed_pages
    if not incremental and not failed_pages:
        source_state["full_at"] = time.time()
        source_state["page_rules"] = collector.page_rules  # every link judged again with them


def _failed_read(stats, source_state, request, why: str, failed_pages: list, *, first: bool) -> bool:
    """Record a list read that failed (an error/WAF page, a cut page, a list only scripts show): on the first page the whole source failed (``stats.fail``, so
    coverage says ``unknown``, not ``missing``) and its validators are dropped so a 304 cannot pass for a read;
    on a later page, a lost page (``stats.note``). True when the source ends here."""
    message = f"list page {request.url}: {why}"
    if not first:
        stats.note(message)
        stats.list_pages_lost += 1
        failed_pages.append(request.url)
        return False
    stats.fail(message)
    source_state.update(etag=None, last_modified=None, complete=False, failed_pages=[*failed_pages, request.url])
    return True


def _lane_key(gov: Government) -> str:
    parts = urlsplit(gov.crawl_urls[0])
    return f"{site_host(parts.hostname)}:{parts.port or ''}"


def run_crawl(
    governments: list[Government],
    data_dir: Path,
    politeness: Politeness,
    progress: bool = False,
    *,
    run_id: str | None = None,
) -> CrawlSummary:
    """Crawl many governments at once with one shared session and per-host politeness.

    Governments are grouped in lanes by the host of their first list URL: requests to one host are spaced by the
    delay anyway, so a couple of workers per host keep it busy, and the busiest hosts start first (longest lane
    first) so the run lasts about as long as the busiest host needs, not the sum of all hosts.
    """
    require_contact(politeness, [u for g in governments for u in g.crawl_urls])
    run_id = run_id or new_run_id()
    started = time.monotonic()
    skipped = [g for g in governments if not g.crawl_urls]  # nothing to read yet: coverage says unknown for them
    governments = [g for g in governments if g.crawl_urls]
    if skipped:
        log.info("skipped %s", _why(skipped))
    lanes: dict[str, list[Government]] = {}
    for gov in governments:
        lanes.setdefault(_lane_key(gov), []).append(gov)
    # Two workers per host: while one parses and lands a page, the other's request goes out at its slot, so the
    # host's schedule has no gaps; the gate still spaces request starts by the delay.
    ordered = sorted(
        (sub for govs in lanes.values() for sub in (govs[i::LANE_WORKERS] for i in range(LANE_WORKERS)) if sub),
        key=len,
        reverse=True,
    )
    workers = max(1, min(politeness.workers, len(ordered)))
    fetcher = Fetcher(politeness, data_dir, pool_size=workers * 2)
    bar = Progress(total=len(governments), enabled=progress)
    results: list[GovernmentResult] = []

    def lane(govs: list[Government]) -> list[GovernmentResult]:
        out = []
        for gov in govs:
            try:
                r = crawl_government(gov, data_dir, politeness, run_id, fetcher=fetcher, on_event=bar.add)
            except Exception as exc:  # noqa: BLE001 - keep the other governments going; the log has the trace
                log.exception("%s: crawl failed", gov.id)
                r = GovernmentResult(gov.id, run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            bar.government_done(r)
            if not progress:
                log.info(
                    "%s: %s, %d list pages, %d requests, %d reports (%d new)%s",
                    gov.id, r.status, r.pages_fetched, r.requests, r.reports_found, r.reports_new,
                    f": {r.error}" if r.error else "",
                )  # fmt: skip
            out.append(r)
        return out

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crawl") as pool:
            for lane_results in pool.map(lane, ordered):
                results.extend(lane_results)
    finally:
        bar.close()
        fetcher.close()
    order = {g.id: i for i, g in enumerate(governments)}
    results.sort(key=lambda r: order.get(r.government_id, 0))
    return CrawlSummary(
        run_id, results, time.monotonic() - started, fetcher.requests_made, dict(fetcher.requests_by_host),
        skipped=_why(skipped) if skipped else None,
    )  # fmt: skip


def _why(skipped: list[Government]) -> str:
    # A home page is a URL to start from (column discovery), so only entries with no URL at all are skipped.
    return f"{len(skipped)} governments with no URL known (no list, report or home page)"
