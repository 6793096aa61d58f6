"""``fzzf registry resolve``: find and prove each government's portal, level by level from the provinces down.

Per government: a URL the registry gives is verified (never replaced); a portal found less than 30 days ago is kept;
an older one is verified again (a move to a new domain is followed and recorded, a portal that stopped verifying is
flagged). Otherwise the candidates are, in order, the province's portal from gov-site-list, the links on the parent's
portal (and on a 政府网站群 page one click away) whose text is one of this government's names, then host guesses.
Every candidate is proven (verify.py) within a per-government budget of attempts. One verified portal is found; two
verified portals, or none, leave the government for a person (``DATA_DIR/registry/resolve_review.yaml``).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapers.collect.contact import require_contact
from scrapers.collect.fetch import Fetcher
from scrapers.registry.governments import Government, Registry
from scrapers.registry.resolve import store
from scrapers.registry.resolve.follow import Landing, Unreachable, land
from scrapers.registry.resolve.guess import host_guesses, seed_urls
from scrapers.registry.resolve.names import Names
from scrapers.registry.resolve.verify import Verifier
from scrapers.registry.resolve.walk import hub_pages, match_children, portal_links
from scrapers.settings import Politeness

_NO_HOST = re.compile(r"NameResolutionError|Failed to resolve|Name or service not known|nodename nor servname")
REVERIFY_SECONDS = 30 * 24 * 3600
DEFAULT_BUDGET = 40  # attempts per government (a request, or a guess that did not resolve)
MAX_HUB_PAGES = 2
LINKED = "linked from the parent's portal"


@dataclass
class Outcome:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)

    def counts(self) -> Counter:
        return Counter(r["status"] for r in self.records.values())

    def describe(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items())) or "nothing to resolve"
        spent = sum(self.attempts.values())
        per = spent / len(self.attempts) if self.attempts else 0.0
        return f"resolve: {len(self.records)} government(s): {counts}; {spent} attempts ({per:.1f} per government)"


class Resolver:
    def __init__(self, registry: Registry, fetcher: Fetcher, *, budget: int = DEFAULT_BUDGET,
                 now: Callable[[], float] = time.time, known: dict[str, dict[str, Any]] | None = None):  # fmt: skip
        self.registry, self.fetcher, self.budget, self.now = registry, fetcher, budget, now
        self.names = Names(registry)
        self.verifier = Verifier(self.names)
        self.known = dict(known or {})  # earlier results (the data directory's), updated as this run finds more
        self._parent_links: dict[str, list[tuple[str, str]]] = {}
        self._parent_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    # one government ---------------------------------------------------------------------------------------------
    def resolve(self, gov: Government) -> tuple[dict[str, Any], int]:
        """(the record for ``gov``, attempts spent)."""
        spent = [0]
        tried: list[str] = []
        prior = self.known.get(gov.id) or {}
        if gov.home_url:  # the registry's own URL: verified, never rewritten
            ok, landing, why = self._prove(gov, gov.home_url, spent)
            if ok:
                return self._found(gov, landing, why, "registry", prior), spent[0]
            return self._record(gov, "flagged", reasons=[f"registry home_url {gov.home_url}: {why}"]), spent[0]
        flagged = None
        if prior.get("status") == "found":
            if self.now() - float(prior.get("verified_at", 0)) < REVERIFY_SECONDS:
                return prior, 0
            ok, landing, why = self._prove(gov, prior["home_url"], spent)
            if ok:
                return self._found(gov, landing, why, prior.get("how", "earlier run"), prior), spent[0]
            flagged = f"portal found earlier, {prior['home_url']}, no longer verifies: {why}"
            tried.append(flagged)
        verified: dict[str, tuple[Landing, str, str]] = {}
        unreachable = False
        for how, urls in self._candidates(gov, spent):
            for url in urls:
                if spent[0] >= self.budget:
                    break
                ok, landing, why = self._prove(gov, url, spent)
                unreachable |= landing is None and why.startswith("unreachable")
                if ok:
                    verified.setdefault(_site(landing.url), (landing, why, how))
                    if how != LINKED:
                        break  # a seed or guess that verifies is the portal; more only cost the portal requests
                else:
                    tried.append(f"{how} {url}: {why}")
            if verified:
                break  # a linked portal that verifies wins over guessing
            if spent[0] >= self.budget:
                tried.append(f"budget of {self.budget} attempts spent")
                break
        if len(verified) == 1:
            landing, why, how = next(iter(verified.values()))
            record = self._found(gov, landing, why, how, prior, flagged)
            if tried:
                record["refused"] = [t for t in tried if t != flagged]  # what was refused on the way, and why
            return record, spent[0]
        if len(verified) > 1:
            sites = ", ".join(landing.url for landing, _, _ in verified.values())
            return self._record(gov, "undecided", reasons=[f"two or more verified sites: {sites}"] + tried), spent[0]
        status = "flagged" if flagged else ("unreachable" if unreachable else "undecided")
        return self._record(gov, status, reasons=tried or ["no candidate"]), spent[0]

    def _candidates(self, gov: Government, spent: list[int]):
        seeds = seed_urls(gov)
        if seeds:
            yield "gov-site-list", seeds
        parent = self.names.parent(gov)
        parent_url = None
        if parent is not None:
            parent_url = self._portal_of(parent)
            if parent_url:
                links = self._links_of(parent, parent_url, spent)
                children = self.names.children.get(parent.id, [])
                matched = match_children(links, children, self.names, parent_url).get(gov.id, [])
                yield LINKED, [url for _, url in matched]
        yield "guess", host_guesses(gov, self.names, parent_url)

    def _portal_of(self, gov: Government) -> str | None:
        record = self.known.get(gov.id) or {}
        if record.get("status") == "found":
            return record["home_url"]
        return None

    def _links_of(self, parent: Government, url: str, spent: list[int]) -> list[tuple[str, str]]:
        """The parent portal's links and those of its 政府网站群 pages; fetched once per run for all children."""
        with self._lock:
            lock = self._parent_locks.setdefault(parent.id, threading.Lock())
        with lock:
            if parent.id in self._parent_links:
                return self._parent_links[parent.id]
            links: list[tuple[str, str]] = []
            try:
                page = land(self.fetcher, url)
                spent[0] += page.requests
                links = portal_links(page.text, page.url)
                for hub in hub_pages(links, page.url)[:MAX_HUB_PAGES]:
                    try:
                        hub_page = land(self.fetcher, hub)
                        spent[0] += hub_page.requests
                        links += portal_links(hub_page.text, hub_page.url)
                    except Unreachable as exc:
                        spent[0] += exc.requests
            except Unreachable as exc:
                spent[0] += exc.requests
            self._parent_links[parent.id] = links
            return links

    def _prove(self, gov: Government, url: str, spent: list[int]) -> tuple[bool, Landing | None, str]:
        try:
            page = land(self.fetcher, url)
        except Unreachable as exc:
            spent[0] += exc.requests
            what = "no such host" if exc.kind == "no_host" or _NO_HOST.search(exc.reason) else "unreachable"
            return False, None, f"{what} ({exc.reason})"
        spent[0] += page.requests
        if not 200 <= page.status < 300:
            return False, page, f"HTTP {page.status} at {page.url}"
        verdict = self.verifier.verify(gov, page.text)
        return verdict.ok, page, verdict.reason

    # records ----------------------------------------------------------------------------------------------------
    def _found(self, gov, landing: Landing, why: str, how: str, prior: dict, flagged: str | None = None) -> dict:
        moved = [h for h in landing.hops if _site(h) != _site(landing.url)]
        evidence = f"fzzf registry resolve ({how}): {why}"
        if moved:
            evidence += f"; reached from {moved[0]}"
        record = self._record(gov, "found", home_url=landing.url, evidence=evidence, how=how, verified_at=self.now())
        if prior.get("home_url") and _site(prior["home_url"]) != _site(landing.url):
            record["previous_url"] = prior["home_url"]
        if flagged:
            record["reasons"] = [flagged]
        with self._lock:
            self.known[gov.id] = record
        return record

    def _record(self, gov: Government, status: str, **fields) -> dict:
        record = {"status": status, "name": gov.name, "checked_at": self.now(), **fields}
        with self._lock:
            self.known[gov.id] = record  # children walk from what this run knows now, not from a flagged portal
        return record


def resolve_registry(
    registry: Registry,
    data_dir: Path,
    politeness: Politeness,
    *,
    only: list[str] | None = None,
    province: str | None = None,
    budget: int | None = None,
    now: Callable[[], float] = time.time,
    report: Callable[[str], None] = print,
) -> Outcome:
    """Resolve the selected governments (``only`` ids, or every province, prefecture and county of ``province``,
    or all of them), parents before children, and keep the results in ``data_dir``."""
    selected = [g for g in registry.select(only) if g.level in store.LEVELS]
    if province:
        selected = [g for g in selected if g.province == province]
    require_contact(politeness, None, "resolve the portals of")
    fetcher = Fetcher(politeness, data_dir)
    resolver = Resolver(registry, fetcher, budget=budget or DEFAULT_BUDGET, now=now, known=store.load(data_dir))
    outcome = Outcome()
    try:
        with ThreadPoolExecutor(max_workers=max(1, politeness.workers)) as pool:
            for level in store.LEVELS:
                batch = [g for g in selected if g.level == level]
                for gov, (record, spent) in zip(batch, pool.map(resolver.resolve, batch), strict=True):
                    outcome.records[gov.id], outcome.attempts[gov.id] = record, spent
                    report(describe(gov, record))
                store.save(data_dir, {g.id: outcome.records[g.id] for g in batch})
    finally:
        fetcher.close()
    return outcome


def describe(gov: Government, record: dict[str, Any]) -> str:
    head = f"{gov.id} {gov.name}: {record['status']}"
    if record["status"] == "found":
        return f"{head} {record['home_url']} — {record['evidence']}"
    reasons = record.get("reasons") or []
    more = f" (+{len(reasons) - 3} more in resolve_review.yaml)" if len(reasons) > 3 else ""
    return f"{head} — " + "; ".join(reasons[:3]) + more


def _site(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")
