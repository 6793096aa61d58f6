"""What each JSON endpoint of the coverage page answers: ``/api/<name>/...`` → one dict, read from the published
warehouse (opened read-only for this request only) and, for the alert view, the alert state file.

The SQL is in ``queries``; this module only picks the query, checks the parameters and shapes the answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapers.alerts.state import peek_state, report_key, state_path
from scrapers.coverage_page import queries
from scrapers.coverage_page.builds import group_builds
from scrapers.gate.runs import read_validation_runs, runs_path
from scrapers.warehouse.connect import reading
from scrapers.warehouse.paths import published_path
from scrapers.warehouse.published import require_built

__all__ = ["BadRequest", "NotFound", "Request", "answer"]

MAX_SEARCH_WORDS = 8


class BadRequest(ValueError):
    """A query parameter the page cannot answer (the message names it)."""


class NotFound(LookupError):
    """No such endpoint, government or report (the message says which)."""


@dataclass(frozen=True)
class Request:
    path: list[str]  # the path after /api/, split on /
    query: dict[str, str]

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.query.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else default

    def year(self, name: str) -> int:
        value = self.text(name)
        if value is None or not value.isdigit() or not 1990 <= int(value) <= 2200:
            raise BadRequest(f"parameter {name!r}: a report year such as 2024 is needed, got {value!r}")
        return int(value)


def answer(data_dir: Path, request: Request) -> dict[str, Any]:
    """The JSON body for ``request``; ``FileNotFoundError`` when nothing was published yet."""
    if not request.path or request.path[0] not in ENDPOINTS:
        raise NotFound(f"no endpoint /api/{'/'.join(request.path)}; known: {', '.join(sorted(ENDPOINTS))}")
    warehouse = require_built(published_path(data_dir), "the coverage page has nothing to show")
    with reading(warehouse) as con:
        body = ENDPOINTS[request.path[0]](con, request, Path(data_dir))
    body.setdefault("warehouse", str(warehouse))
    body.setdefault("published_at", _mtime(warehouse))
    return body


def _mtime(path: Path) -> str:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).isoformat(timespec="seconds")


def _summary(con, request: Request, data_dir: Path) -> dict[str, Any]:
    return queries.summary(con)


def _heatmap(con, request: Request, data_dir: Path) -> dict[str, Any]:
    cells: dict[tuple[str, int], dict[str, int]] = {}
    for row in queries.heatmap(con):
        cells.setdefault((row["province"], row["report_year"]), {})[row["status"]] = row["governments"]
    provinces = sorted({p for p, _ in cells})
    years = sorted({y for _, y in cells})
    return {
        **queries.summary(con),
        "provinces": provinces,
        "years": years,
        "cells": [{"province": p, "year": y, "counts": counts} for (p, y), counts in sorted(cells.items())],
    }


def _cell(con, request: Request, data_dir: Path) -> dict[str, Any]:
    province = request.text("province")
    if province is None:
        raise BadRequest("parameter 'province' is needed")
    year = request.year("year")
    return {"province": province, "year": year, "governments": queries.cell_governments(con, province, year)}


def _government(con, request: Request, data_dir: Path) -> dict[str, Any]:
    if len(request.path) != 2:
        raise BadRequest("/api/government/<government id>")
    gov = queries.government(con, request.path[1])
    if gov is None:
        raise NotFound(f"no government with id {request.path[1]!r} in marts.governments")
    return {"government": gov, "years": queries.government_years(con, request.path[1])}


def _report(con, request: Request, data_dir: Path) -> dict[str, Any]:
    if len(request.path) != 3 or not request.path[2].isdigit():
        raise BadRequest("/api/report/<government id>/<report year>")
    government_id, year = request.path[1], int(request.path[2])
    gov = queries.government(con, government_id)
    if gov is None:
        raise NotFound(f"no government with id {government_id!r} in marts.governments")
    coverage = [y for y in queries.government_years(con, government_id) if y["report_year"] == year]
    return {
        "government": gov,
        "report_year": year,
        "coverage": coverage[0] if coverage else None,
        "report": queries.report(con, government_id, year),
        "metrics": queries.report_metrics(con, government_id, year),
        # a figure the marts gate held back is said to be held back, not silently left out of the list
        "held_back": queries.report_quarantined_rows(con, government_id, year) or [],
    }


def _missing(con, request: Request, data_dir: Path) -> dict[str, Any]:
    """The missing list with what the alert channel was told of each line (``alerts/state.json``)."""
    state, problem = peek_state(state_path(data_dir))
    told = state.get("missing", {})
    out = []
    for row in queries.missing(con):
        entry = told.get(report_key(row)) or {}
        sent_to = entry.get("sent_to") or ({"?": entry["alerted_at"]} if entry.get("alerted_at") else {})
        out.append(
            {
                **row,
                "alerted": bool(sent_to),
                "alerted_at": min(sent_to.values()) if sent_to else None,
                "channels": sorted(sent_to),
            }
        )
    return {
        "missing": out,
        "alert_state": str(state_path(data_dir)),
        "alert_state_problem": problem,
        "last_alert_as_of": state.get("last_as_of"),
        "alert_state_updated_at": state.get("updated_at"),
    }


def _search(con, request: Request, data_dir: Path) -> dict[str, Any]:
    words = (request.text("q") or "").split()
    if len(words) > MAX_SEARCH_WORDS:
        raise BadRequest(f"parameter 'q': at most {MAX_SEARCH_WORDS} words, got {len(words)}")
    return {"q": " ".join(words), "limit": queries.SEARCH_LIMIT, **queries.search(con, words)}


def _metrics(con, request: Request, data_dir: Path) -> dict[str, Any]:
    catalog = queries.metric_catalog(con)
    metric = request.text("metric")
    figures = queries.metrics(con, metric, request.text("province"), request.text("government"))
    return {
        "available": catalog is not None and figures is not None,
        "catalog": catalog or [],
        "provinces": queries.provinces(con),
        "figures": (figures or [])[: queries.METRICS_LIMIT],
        "truncated": len(figures or []) > queries.METRICS_LIMIT,
        "limit": queries.METRICS_LIMIT,
    }


def _builds(con, request: Request, data_dir: Path) -> dict[str, Any]:
    """Every build the gate log knows, newest first; the one whose gate results the published warehouse carries is
    marked ``published``. The log (``DATA_DIR/gx/validation_runs.jsonl``) also holds the builds that failed after
    it, which the published warehouse cannot."""
    in_warehouse = queries.validation_runs(con) or []
    logged = read_validation_runs(data_dir)
    runs = logged if len(logged) >= len(in_warehouse) else in_warehouse  # a data dir copied without its gx/ log
    for run in runs:
        run["validated_at"] = str(run["validated_at"]).replace(" ", "T")
        run["as_of"] = str(run["as_of"]) if run.get("as_of") else None
    builds = group_builds(runs)
    published_last = max((str(r["validated_at"]).replace(" ", "T") for r in in_warehouse), default=None)
    for build in builds:
        build["published"] = published_last is not None and build["finished_at"].startswith(published_last[:19])
    if request.path[1:]:
        number = request.path[1]
        chosen = [b for b in builds if str(b["build"]) == number]
        if not chosen:
            raise NotFound(f"no build {number!r}; builds 1 to {len(builds)} are known")
        build = chosen[0]
        rows = queries.quarantine(con) if build["published"] else None
        # marts.quarantined_rows is the published build's: what it holds back now and what earlier builds released
        marts_rows = queries.quarantined_rows(con) if build["published"] else None
        return {
            "build": build,
            "quarantine": rows,
            "quarantine_known": build["published"],
            "marts_quarantine_available": marts_rows is not None,
            "marts_quarantined": [r for r in marts_rows or [] if r["is_current"]],
            "marts_released": [r for r in marts_rows or [] if not r["is_current"]],
            "log": str(runs_path(data_dir)),
        }
    return {
        "builds": [{k: v for k, v in b.items() if k != "runs"} for b in builds],
        "log": str(runs_path(data_dir)),
    }


ENDPOINTS: dict[str, Callable[[Any, Request, Path], dict[str, Any]]] = {
    "summary": _summary,
    "heatmap": _heatmap,
    "cell": _cell,
    "government": _government,
    "report": _report,
    "missing": _missing,
    "search": _search,
    "metrics": _metrics,
    "builds": _builds,
}
