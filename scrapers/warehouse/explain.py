"""Why one government's report for one year is (or is not) in the warehouse (``fzzf explain GOV_ID YEAR``).

It gathers what is otherwise spread over ``landing/crawl_log``, ``landing/links``, ``landing/reports``, the crawl
state ``state/<gov>.json`` and the published warehouse: the list URLs read and when, every link whose title or page
points at the year with its decision history, the versions collected and which one is canonical, the coverage status
with the one-line reason of ``marts.coverage_explained``, and what the next crawl will do about it.

Nothing here decides anything anew: statuses and reasons come from the warehouse (the same rules the alerts use),
the per-link facts from the crawler's own rows. Absent pieces (no warehouse yet, an older state without ``pending``,
error rows without ``report_year``) are said to be absent, never guessed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from scrapers import clock
from scrapers.classify import year_in
from scrapers.collect.discover import normalise_url
from scrapers.landing import Landing
from scrapers.registry.governments import FIRST_REPORT_YEAR, Registry
from scrapers.warehouse.paths import published_path

__all__ = ["NotAReportYear", "UnknownGovernment", "UnreadableData", "explain", "render_text"]

log = logging.getLogger("fzzf.explain")


class UnknownGovernment(LookupError):
    """The id is not in the registry: the message names the registry file."""


class NotAReportYear(ValueError):
    """A year no report can cover: before ``FIRST_REPORT_YEAR`` or after this year (a usage error: exit 2)."""


class UnreadableData(ValueError):
    """A landing file or the crawl state is not valid JSON: the message names the file (and line)."""


def _rows(landing: Landing, stream: str, gov_id: str) -> list[dict[str, Any]]:
    # Landing files are <stream>/<run_id>/<file-safe gov id>.jsonl: read this government's only, oldest run first.
    name = landing.state_path(gov_id).stem
    rows: list[dict[str, Any]] = []
    for path in sorted((landing.landing_dir / stream).glob(f"*/{name}.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                try:
                    row = json.loads(line) if line.strip() else None
                except ValueError as exc:
                    raise UnreadableData(f"{path}: line {n}: not valid JSON ({exc})") from None
                if row and row.get("government_id") == gov_id:
                    rows.append(row)
    return rows


def _points_at(row: dict[str, Any], year: int) -> bool:
    """The row's page says the year (page-level decisions carry it) or its title does (the crawler's own reading)."""
    if row.get("report_year") is not None:
        return int(row["report_year"]) == year
    return year_in(row.get("title") or "") == year


def _sources(gov, crawl_log: list[dict[str, Any]], state: dict[str, Any]) -> list[dict[str, Any]]:
    by_url: dict[str, list[dict[str, Any]]] = {}
    for row in crawl_log:
        by_url.setdefault(row["list_url"], []).append(row)
    out = []
    for list_url in dict.fromkeys([*gov.crawl_urls, *by_url]):  # report URLs are sources too
        runs = sorted(by_url.get(list_url, []), key=lambda r: r.get("started_at") or "")
        read = [r for r in runs if (r.get("pages_fetched") or 0) > 0]
        last = runs[-1] if runs else {}
        out.append(
            {
                "list_url": list_url,
                "in_registry": list_url in gov.crawl_urls,
                "runs": len(runs),
                "first_run_at": runs[0].get("started_at") if runs else None,
                "last_run_at": last.get("finished_at") or last.get("started_at"),
                "last_status": last.get("status"),
                "last_error": last.get("error"),
                "last_pages_fetched": last.get("pages_fetched"),
                # incremental runs stop at the first page of known links and a 304 run reads none: the most pages one
                # run read (a full read) says how long the list is, as marts.coverage_explained counts it
                "most_pages_read": max((r["pages_fetched"] for r in read), default=0),
                "last_read_at": read[-1].get("finished_at") if read else None,
                "complete": (state.get("sources") or {}).get(list_url, {}).get("complete"),
            }
        )
    return out


def _links(rows: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    """Every URL a row of which points at the year, with all its rows (a `known` row repeats an earlier judgement)."""
    keys = {
        normalise_url(r["url"]) for r in rows if r.get("url") and r.get("decision") != "known" and _points_at(r, year)
    }
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("url") and normalise_url(row["url"]) in keys:
            grouped.setdefault(normalise_url(row["url"]), []).append(row)
    out = []
    for key, history in grouped.items():
        history.sort(key=lambda r: r.get("seen_at") or "")
        judged = [r for r in history if r.get("decision") != "known"] or history
        last = judged[-1]
        out.append(
            {
                "key": key,
                "url": last["url"],
                "title": last.get("title"),
                "list_url": last.get("list_url"),
                "decision": last["decision"],
                "reason": last.get("reason"),
                "http_status": last.get("http_status"),
                "report_year": last.get("report_year"),
                # the title names the year, or only the page does (its text or publication date, as classify reads it)
                "year_from": "title" if any(year_in(r.get("title") or "") == year for r in history) else "page",
                "error_runs": len({r["run_id"] for r in history if r.get("decision") == "error"}),
                "history": [
                    {k: r.get(k) for k in ("run_id", "seen_at", "decision", "reason", "http_status")} for r in history
                ],
            }
        )
    order = {"report": 0, "error": 1, "skipped": 2, "gone": 3}
    out.sort(key=lambda link: (order.get(link["decision"], 9), link["url"]))
    return out


def _warehouse(data_dir: Path, gov_id: str, year: int) -> dict[str, Any]:
    """Coverage row, one-line reason and versions from the published warehouse; each part None when absent."""
    path = published_path(data_dir)
    found: dict[str, Any] = {"path": str(path), "coverage": None, "explained": None, "versions": None}
    if not path.exists():
        return found
    import duckdb

    # read-only, and tolerant of a handle a just-finished dbt run still holds
    from scrapers.warehouse.connect import connect_read, rows

    con = connect_read(path)
    try:
        for part, sql in (
            ("coverage", "select * from marts.report_coverage where government_id = ? and report_year = ?"),
            ("explained", "select * from marts.coverage_explained where government_id = ? and report_year = ?"),
            (
                "versions",
                "select record_id, url, title, issuer, run_id, version_rank, is_canonical, loss_reason, publish_date, "
                "char_count, is_online from marts.report_versions where government_id = ? and report_year = ? "
                "order by version_rank",
            ),
        ):
            try:
                part_rows = rows(con, sql, [gov_id, year])
            except duckdb.Error as exc:  # an older warehouse without the mart: say so, show the rest
                log.info("warehouse %s: %s", path, exc)
                continue
            found[part] = part_rows if part == "versions" else (part_rows[0] if part_rows else {})
    finally:
        con.close()
    return found


def _next_crawl(gov, year: int, links, state: dict[str, Any], published: bool) -> list[str]:
    """What the next crawl does about this year, from the crawl state: its ``pending`` links are asked again once
    their backoff has run (``scrapers.collect.state``), whether or not their list page changed."""
    from scrapers.collect.crawl import revisit_after

    plans: list[str] = []
    pending = state.get("pending") or {}
    keys = [link["key"] for link in links]
    # a pending link for the year that no landed row names (a state rebuilt or migrated) still gets asked
    keys += [k for k, e in pending.items() if k not in keys and (e or {}).get("report_year") == year]
    urls = {link["key"]: link["url"] for link in links}
    legacy = set(state.get("errors") or {}) | {k for k, v in (state.get("links") or {}).items() if v == "error"}
    now = time.time()
    for key in keys:
        entry = pending.get(key)
        url = (entry or {}).get("url") or urls.get(key, key)
        if entry:
            when = entry.get("next_at") or 0
            at = (
                "at the next run"
                if when <= now
                else f"from {dt.datetime.fromtimestamp(when, dt.UTC):%Y-%m-%d %H:%M UTC}"
            )
            plans.append(
                f"re-check {url} {at} (attempt {int(entry.get('attempts') or 0) + 1}; "
                f"last: {entry.get('last_reason') or 'no reason recorded'})"
            )
        elif key in legacy:
            # a state written before pending links: the crawler turns its failed links into pending ones, due at once
            plans.append(f"re-check {url} at the next run (failed before; an older crawl state)")
    reports = state.get("reports") or {}
    for rep in reports.values():
        if rep.get("report_year") == year and not rep.get("gone"):
            due = dt.datetime.fromtimestamp(float(rep.get("checked_at") or 0) + revisit_after(), dt.UTC)
            plans.append(f"re-check {rep['url']} with a conditional GET once due ({due:%Y-%m-%d %H:%M UTC})")
    if not published:
        days = os.environ.get("FZZF_REVISIT_DAYS", "7")
        plans.append(
            f"read {len(gov.list_urls)} list URL(s) again from the first page; a new link naming {year} is fetched "
            f"and judged (paging stops at the first page of known links; known reports re-checked every {days} days)"
        )
    return plans


def explain(data_dir: Path | str, registry: Registry, gov_id: str, year: int) -> dict[str, Any]:
    """Everything known about (government, year), as one JSON-ready object."""
    this_year = clock.today().year
    if not FIRST_REPORT_YEAR <= year <= this_year:
        # `24` for 2024, or a typo: answering "no links pointing at 24" would read as a finding
        raise NotAReportYear(f"{year} cannot be a report year: give the year in full, {FIRST_REPORT_YEAR}..{this_year}")
    try:
        gov = registry.get(gov_id)
    except KeyError:
        raise UnknownGovernment(f"{registry.path}: no government with id {gov_id!r}") from None
    data_dir = Path(data_dir)
    landing = Landing(data_dir)
    try:
        state = landing.load_state(gov.id)
    except ValueError as exc:
        raise UnreadableData(f"{landing.state_path(gov.id)}: not valid JSON ({exc})") from None
    links = _links(_rows(landing, "links", gov.id), year)
    for link in links:  # a failed link the crawler will ask for again (state "pending", once the crawler writes it)
        link["pending"] = (state.get("pending") or {}).get(link["key"])
    versions_landed = [
        {k: r.get(k) for k in ("record_id", "run_id", "url", "title", "publish_date", "char_count", "fetched_at")}
        for r in _rows(landing, "reports", gov.id)
        if r.get("report_year") == year
    ]
    wh = _warehouse(data_dir, gov.id, year)
    coverage, explained = wh["coverage"] or {}, wh["explained"] or {}
    status = coverage.get("status")
    published = status in ("on_time", "late") or bool(versions_landed and status is None)
    return {
        "government_id": gov.id,
        "name": gov.name,
        "report_year": year,
        "due_date": gov.due_date(year).isoformat(),
        "status": status,
        "reason": explained.get("reason"),
        "reason_kind": explained.get("reason_kind"),
        "as_of": _iso(coverage.get("as_of")),
        "warehouse": wh["path"] if wh["coverage"] is not None else None,
        "sources": _sources(gov, _rows(landing, "crawl_log", gov.id), state),
        "links": [{k: v for k, v in link.items() if k != "key"} for link in links],
        "versions": [{k: _iso(v) for k, v in row.items()} for row in wh["versions"]]
        if wh["versions"] is not None
        else versions_landed,
        "canonical_url": coverage.get("url"),
        "next_crawl": _next_crawl(gov, year, links, state, published),
        "state_has_pending": "pending" in state,
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def render_text(exp: dict[str, Any]) -> str:
    status = exp["status"] or "not in a published warehouse (run fzzf build)"
    lines = [f"{exp['name']} [{exp['government_id']}] {exp['report_year']}年度: {status} (due {exp['due_date']}"
             + (f", as of {exp['as_of']})" if exp["as_of"] else ")")]  # fmt: skip
    if exp["reason"]:
        lines.append(f"reason: {exp['reason']}")
    if exp["canonical_url"]:
        lines.append(f"canonical: {exp['canonical_url']}")
    lines.append("list pages read:")
    for s in exp["sources"]:
        if not s["runs"]:
            lines.append(f"  {s['list_url']}: never crawled")
            continue
        lines.append(
            f"  {s['list_url']}: {s['runs']} run(s) since {s['first_run_at']}; last {s['last_run_at']} "
            f"{s['last_status']}, {s['last_pages_fetched']} list page(s); {s['most_pages_read']} in its longest read"
            + (f"; error: {s['last_error']}" if s["last_error"] else "")
            + ("" if s["in_registry"] else " (no longer in the registry)")
        )
    lines.append(f"links pointing at {exp['report_year']}: {len(exp['links']) or 'none'}")
    for link in exp["links"]:
        status_part = f", HTTP {link['http_status']}" if link["http_status"] else ""
        runs = f", failed on {link['error_runs']} run(s)" if link["error_runs"] else ""
        runs += ", pending retry" if link.get("pending") else ""
        runs += "" if link["year_from"] == "title" else f", {exp['report_year']} read from the page, not the title"
        lines.append(f"  [{link['decision']}] {link['title']}{status_part}{runs}")
        lines.append(f"      {link['url']}")
        lines.append(f"      {link['reason']}")
    lines.append(f"versions collected: {len(exp['versions']) or 'none'}")
    for v in exp["versions"]:
        tag = ""
        if "is_canonical" in v:
            tag = "canonical" if v["is_canonical"] else f"lost: {v.get('loss_reason')}"
        lines.append(f"  {v['url']} (run {v['run_id']}{', ' + tag if tag else ''})")
    lines.append("next crawl:")
    lines += [f"  {plan}" for plan in exp["next_crawl"]]
    return "\n".join(lines)
