"""The ``fzzf locate`` command: column discovery for each government, fresh, printed with the evidence; with
``--write`` the columns go to ``DATA_DIR/registry_suggestions.yaml`` (never into the registry itself) and into the
crawl state, so the next crawl starts from them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import filelock
import yaml

from scrapers.collect import state as crawl_state
from scrapers.collect.contact import require_contact
from scrapers.collect.fetch import Fetcher
from scrapers.collect.locate import LocateResult, locate
from scrapers.collect.source_plan import remember
from scrapers.landing import Landing, atomic_write_bytes

__all__ = ["SUGGESTIONS_FILE", "LocateOutcome", "locate_governments"]

SUGGESTIONS_FILE = "registry_suggestions.yaml"


@dataclass
class LocateOutcome:
    results: list[tuple[object, list[LocateResult]]]  # (government, one result per registry list URL)
    suggestions_path: object = None

    @property
    def any_found(self) -> bool:
        return any(r.columns for _gov, rs in self.results for r in rs)

    def describe(self) -> str:
        lines = []
        for gov, results in self.results:
            found = sum(len(r.columns) for r in results)
            lines.append(f"{gov.id} {gov.name}: {found} column(s), {sum(r.requests for r in results)} requests")
            lines.extend("  " + line for r in results for line in r.describe().splitlines())
        if self.suggestions_path:
            lines.append(f"list_urls suggestions written to {self.suggestions_path} (the registry was not changed)")
        return "\n".join(lines)


def locate_governments(governments, data_dir, politeness, *, budget: int | None = None, write: bool = False):
    """Discovery for each government's list URLs (fresh, ignoring what the state remembers); with ``write``, the
    columns go to a suggestions file beside the data and into the crawl state, so the next crawl starts from them."""
    require_contact(politeness, [u for g in governments for u in g.list_starts], "locate report columns on")
    data_dir = Path(data_dir)
    fetcher = Fetcher(politeness, data_dir)
    outcome = LocateOutcome([])
    try:
        for gov in governments:
            allowed = {urlsplit(u).hostname or "" for u in gov.list_starts} | set(gov.extra_hosts)
            results = [locate(u, fetcher, allowed_hosts=allowed, budget=budget) for u in gov.list_starts]
            outcome.results.append((gov, results))
    finally:
        fetcher.close()
    if not write:
        return outcome
    landing = Landing(data_dir).ensure()
    entries = []
    for gov, results in outcome.results:
        columns = [c for r in results for c in r.columns]
        if not columns:
            continue
        entries.append({
            "id": gov.id, "name": gov.name, "list_urls": list(dict.fromkeys(c.url for c in columns)),
            "found_from": [r.start_url for r in results if r.columns],
            "evidence": [f"{c.url}: {c.why()}" for c in columns],
        })  # fmt: skip
        lock = filelock.FileLock(str(data_dir / "locks" / f"gov-{gov.id}.lock"), timeout=30)
        (data_dir / "locks").mkdir(parents=True, exist_ok=True)
        with lock:  # the crawl of this government holds it while it reads and saves the state
            state = crawl_state.load_state(landing, gov.id)
            memory = state.setdefault("columns", {})
            for r in results:
                if r.columns:
                    memory[r.start_url] = remember(r, time.time())
            crawl_state.save_state(landing, gov.id, state)
    path = data_dir / SUGGESTIONS_FILE
    header = (
        "# list_urls suggestions from `fzzf locate --write`: the report columns found from each government's\n"
        "# registry URLs, with the evidence. Review, then copy list_urls into the registry by hand.\n"
    )
    body = yaml.safe_dump({"governments": entries}, allow_unicode=True, sort_keys=False, width=200)
    atomic_write_bytes(path, (header + body).encode("utf-8"))
    outcome.suggestions_path = path
    return outcome
