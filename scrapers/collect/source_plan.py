"""Which list URLs the crawler reads for one government: the registry's, with home pages resolved to the report
columns that discovery (``scrapers.collect.locate``) finds on them.

Found columns are remembered in the crawl state (``state["columns"]``, with the click path and the links judged),
re-checked rarely, and looked for again when a remembered column dies (404, redesign) or a registry page lists no
report.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from scrapers.collect.discover import normalise_url
from scrapers.collect.fetch import Fetcher
from scrapers.collect.locate import DEAD, LocateResult, default_budget, is_site_root, locate, recheck_days

__all__ = ["SourcePlan", "remember"]

log = logging.getLogger("fzzf.locate")


def _usable(memo) -> bool:
    number = (int, float)
    return (
        isinstance(memo, dict)
        and isinstance(memo.get("checked_at", 0), number)
        and isinstance(memo.get("recheck_days", 30), number)
        and isinstance(memo.get("columns", []), list)
        and all(
            isinstance(c, dict) and isinstance(c.get("url"), str) and isinstance(c.get("path", []), list)
            for c in memo.get("columns", [])
        )
    )


def remember(result: LocateResult, now: float) -> dict:
    """What the crawl state keeps of one discovery (``state["columns"][start_url]``): the columns with their
    evidence (click path, links judged, found_at), what it cost, and when to look again."""
    return {
        "checked_at": now, "recheck_days": recheck_days(), "budget": result.budget, "requests": result.requests,
        "from": result.start_url, "columns": [c.memo() for c in result.columns],
    }  # fmt: skip


class SourcePlan:
    """The list URLs to crawl for one government, resolving home pages to their report columns.

    ``walk(sources)`` yields list URLs one at a time; the crawler appends a ``SourceStats`` to ``sources`` for each
    before asking for the next, so the plan sees how each went: a registry URL that listed no report, or a
    remembered column that died, sends it to discovery in the same run. ``charge(stats)`` books the requests
    discovery spent on the source it found; ``annotate(row)`` adds the crawl-log field saying where a source came
    from and whether discovery ran.
    """

    def __init__(
        self,
        gov,
        fetcher: Fetcher,
        state: dict,
        allowed: set[str],
        *,
        budget: int | None = None,
        on_event: Callable[[str, int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.gov, self.fetcher, self.state, self.allowed = gov, fetcher, state, allowed
        self.budget = default_budget() if budget is None else budget
        self.on_event = on_event or (lambda _k, _n: None)
        self.clock = clock
        if not isinstance(state.get("columns"), dict):
            state["columns"] = {}  # missing, or a hand-edited state that broke it: discovery rebuilds it
        self.memory: dict = state["columns"]
        self.notes: dict[str, str] = {}
        self.discovery_requests = 0  # this run, all starts
        self._unbooked = 0
        self._yielded: set[str] = set()

    # the walk -----------------------------------------------------------------------------------------------------
    def walk(self, sources: list) -> Iterator[str]:
        for start in self.gov.list_starts:
            memo = self.memory.get(start)
            if memo is not None and not _usable(memo):
                self.memory.pop(start)  # unreadable (a hand-edited state): as if never found
                memo = None
            fresh = memo is not None and self.clock() - memo.get("checked_at", 0) < memo.get("recheck_days", 30) * 86400
            if memo is not None and fresh:
                yield from self._remembered(start, memo, sources)
            elif memo is not None or is_site_root(start):
                why = "re-check" if memo is not None else "home page"
                yield from self._discovered(start, sources, why, begin=(memo or {}).get("from"))
            else:
                before = len(sources)
                yield from self._emit(start, None, sources)
                stats = sources[-1] if len(sources) > before else None
                if stats is None:
                    continue
                if stats.status != "failed" and stats.pages_fetched and not stats.reports_found:
                    yield from self._discovered(start, sources, why="no report on the registry's list page")
                elif stats.status == "failed" and DEAD.search(stats.error or ""):
                    # a guessed or outdated column URL: look from the site's home page instead
                    root = "{0.scheme}://{0.netloc}/".format(urlsplit(start))
                    yield from self._discovered(start, sources, why="the registry's list page is gone", begin=root)
        if self._unbooked and sources:
            self.charge(sources[-1])  # discovery that found only sources crawled already: still booked

    def _emit(self, url: str, note: str | None, sources: list) -> Iterator[str]:
        key = normalise_url(url)
        if key in self._yielded:
            if note:  # crawled already this run (a registry URL that failed): the row still says what happened
                self.notes[url] = f"{self.notes[url]}; {note}" if self.notes.get(url) else note
            return
        self._yielded.add(key)
        if note:
            self.notes[url] = note
        yield url

    def _remembered(self, start: str, memo: dict, sources: list) -> Iterator[str]:
        columns = [c for c in memo.get("columns", []) if not c.get("dead")]
        self.allowed.update(urlsplit(c["url"]).hostname or "" for c in columns)
        if not columns:
            found = memo.get("found_at_text", "")
            yield from self._emit(start, f"remembered: no column found from {start} {found}".strip(), sources)
            return
        died = []
        for col in columns:
            before = len(sources)
            trail = " › ".join(str(p) for p in col.get("path", []))
            note = f"remembered column ({trail}), found {col.get('found_at')}"
            yield from self._emit(col["url"], note, sources)
            if len(sources) > before and self._dead(sources[-1]):
                col["dead"] = True
                died.append(col["url"])
        if died:
            why = f"remembered column died ({', '.join(died)})"
            yield from self._discovered(start, sources, why, begin=memo.get("from"))

    @staticmethod
    def _dead(stats) -> bool:
        if stats.status == "failed":
            return bool(DEAD.search(stats.error or ""))
        return bool(stats.pages_fetched) and stats.links_seen == 0  # answers, but lists nothing: a redesign

    def _discovered(self, start: str, sources: list, why: str, begin: str | None = None) -> Iterator[str]:
        """Discovery for the registry URL ``start``, walking from ``begin`` (default: ``start`` itself)."""
        old = self.memory.get(start)
        begin = begin or start
        try:
            result = locate(begin, self.fetcher, allowed_hosts=self.allowed, budget=self.budget,
                            on_request=lambda n: self.on_event("requests", n), clock=self.clock)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - discovery failing must not cost the government its crawl
            log.exception("%s: discovery from %s failed", self.gov.id, start)
            yield from self._emit(start, f"discovery from {start} failed ({type(exc).__name__}: {exc}); crawled as is",
                                  sources)  # fmt: skip
            return
        self.discovery_requests += result.requests
        self._unbooked += result.requests
        spent = f"{result.requests} requests of {result.budget}"
        if result.columns:
            self.memory[start] = remember(result, self.clock())
            for col in result.columns:
                # a column on a subdomain (xxgk.<portal>): its report links are this government's too
                self.allowed.add(urlsplit(col.url).hostname or "")
                note = f"discovery ran ({why}): from {begin} in {spent}; {col.why()}"
                yield from self._emit(col.url, note, sources)
            return
        live = [c for c in (old or {}).get("columns", []) if not c.get("dead")]
        if live:
            # Nothing found this time (site down, budget) but a column known before is alive: keep it.
            old["checked_at"] = self.clock()
            self.allowed.update(urlsplit(c["url"]).hostname or "" for c in live)
            for col in live:
                trail = " › ".join(str(p) for p in col.get("path", []))
                note = f"discovery ran ({why}), found nothing in {spent}; kept remembered column ({trail})"
                yield from self._emit(col["url"], note, sources)
            return
        if result.refused:
            # Pages on the way answered with error or WAF pages: "no column here" would be a guess, so nothing is
            # remembered and discovery runs again next time.
            first = next((e for e in result.errors if "not a list" in e), result.errors[0])
            yield from self._emit(start, f"discovery ran ({why}): {result.refused} page(s) from {begin} were not "
                                  f"readable ({first}); crawled the page itself", sources)  # fmt: skip
            return
        self.memory[start] = {**remember(result, self.clock()), "found_at_text": f"on {dt.date.today().isoformat()}"}
        reason = "budget spent" if result.exhausted else "no page reached listed an annual report"
        yield from self._emit(start, f"discovery ran ({why}): no column found from {begin} in {spent} ({reason}); "
                              "crawled the page itself", sources)  # fmt: skip

    # booking ------------------------------------------------------------------------------------------------------
    def charge(self, stats) -> None:
        """Book discovery's requests on the first source it yielded, so the crawl log's requests add up."""
        stats.requests += self._unbooked
        self._unbooked = 0

    def annotate(self, row: dict) -> dict:
        row["discovery"] = self.notes.get(row["list_url"])
        return row
