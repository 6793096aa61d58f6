"""The incremental crawl state of one government (``DATA_DIR/state/<gov>.json``): load it, repair it, and keep the
links that still need another look.

The state is a cache of what the landing files already say, never the truth: a state file that cannot be read is
kept aside (``state/corrupt/``) and the state is rebuilt from the government's landing files, so a damaged file costs
requests, not reports. ``pending`` holds every link whose last answer was no answer (an HTTP error, a timeout, an
error page in place of the report): those are asked again on later runs, with a backoff, even when the list page
is unchanged (HTTP 304), because a report that was never fetched would otherwise turn ``missing``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from scrapers.collect.discover import normalise_url
from scrapers.landing import Landing, atomic_write_bytes, jsonl_rows

log = logging.getLogger("fzzf.crawl")

# Re-check schedule of a pending link, by the number of failed attempts so far: the next run always tries once
# more (a portal that was down for an hour must not cost the report a week), then the wait doubles from
# FZZF_RETRY_BACKOFF_HOURS up to a week. A pending link is never given up: while its year has no other report,
# coverage says `unknown` (with the reason), not `missing`.
MAX_WAIT_HOURS = 7 * 24


def backoff_hours() -> float:
    from scrapers.settings import _env_float

    return _env_float("FZZF_RETRY_BACKOFF_HOURS", 6.0)


def next_attempt_at(attempts: int, now: float | None = None) -> float:
    """Epoch seconds after which a link that has failed ``attempts`` times is asked again."""
    now = time.time() if now is None else now
    if attempts <= 1:
        return now
    return now + min(backoff_hours() * 2 ** (attempts - 2), MAX_WAIT_HOURS) * 3600


def empty_state() -> dict[str, Any]:
    return {"sources": {}, "links": {}, "reports": {}, "pending": {}}


def load_state(landing: Landing, government_id: str) -> dict[str, Any]:
    """The state of ``government_id``, repaired: a file that is not a JSON object is set aside and rebuilt."""
    path = landing.state_path(government_id)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict):
            raise ValueError(f"a JSON {type(state).__name__}, not an object")
    except FileNotFoundError:
        state = empty_state()
    except (ValueError, UnicodeDecodeError) as exc:
        kept = _set_aside(path)
        log.warning(
            "%s: crawl state %s is unreadable (%s); kept as %s, rebuilding it from the landing files",
            government_id, path, exc, kept,
        )  # fmt: skip
        state = empty_state()
        state["rebuilt_from"] = str(kept)
        rebuild_from_links(landing, government_id, state)
    for key, default in empty_state().items():
        state.setdefault(key, default)
    _migrate_error_counts(state)
    return state


def _set_aside(path: Path) -> Path:
    target = path.parent / "corrupt" / f"{path.stem}.{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return target


def _migrate_error_counts(state: dict[str, Any]) -> None:
    """Older states counted failures in ``errors`` and gave a link up (``links[key] = "error"``) after five runs:
    such links become pending again, due at once."""
    for key, count in (state.pop("errors", None) or {}).items():
        state["pending"].setdefault(key, {"url": key, "attempts": int(count), "next_at": 0})
    for key, decision in list(state["links"].items()):
        if decision == "error":
            del state["links"][key]
            state["pending"].setdefault(key, {"url": key, "attempts": 1, "next_at": 0})


def rebuild_from_links(landing: Landing, government_id: str, state: dict[str, Any]) -> None:
    """Link decisions from the landing ``links`` files: the last decision per URL wins. Reports themselves come
    back from the ``reports`` files (``crawl._fold_in_landed_reports``); links that ended in an error are pending."""
    name = landing.state_path(government_id).stem
    last: dict[str, dict[str, Any]] = {}
    for path in sorted((landing.landing_dir / "links").glob(f"*/{name}.jsonl")):
        for row in read_jsonl_lenient(path):
            if row.get("government_id") == government_id and row.get("url"):
                last[normalise_url(row["url"])] = row
    for key, row in last.items():
        decision = row.get("decision")
        if decision == "report":
            state["links"].setdefault(key, decision)
        elif decision == "skipped":
            state["links"].setdefault(key, _skip_kind(str(row.get("reason") or "")))
        elif decision == "error":
            state["pending"][key] = pending_entry(row, attempts=1, now=0)


def forget_quarantined(landing: Landing, government_id: str, state: dict[str, Any]) -> int:
    """Reports the state knows but no landing file holds any more (the build moved a damaged file to
    ``quarantine/landing/``) go back to ``pending``, due at once: the next crawl fetches and lands them again
    even when their list page answers 304. Without this they were "known" for good and their years turned
    ``missing`` although the pages are online (and in ``raw/``). Runs only when a quarantined file of this
    government is new to the state; returns how many reports it gave back."""
    name = landing.state_path(government_id).stem
    quarantined = sorted(
        str(p.relative_to(landing.root))
        for p in (landing.root / "quarantine" / "landing" / "reports").glob(f"*/{name}.jsonl")
    )
    if not quarantined or set(quarantined) <= set(state.get("quarantine_seen", [])):
        return 0
    landed = set()
    for path in (landing.landing_dir / "reports").glob(f"*/{name}.jsonl"):
        for row in read_jsonl_lenient(path):
            if row.get("government_id") == government_id and row.get("url"):
                landed.add((normalise_url(row["url"]), row.get("content_hash")))
    given_back = 0
    for key, rep in list(state["reports"].items()):
        if (key, rep.get("content_hash")) in landed:
            continue
        del state["reports"][key]
        state["links"].pop(key, None)
        row = {"url": rep.get("url") or key, "list_url": rep.get("list_url"), "title": rep.get("title"),
               "date": rep.get("list_date"), "report_year": rep.get("report_year"),
               "reason": "its landed version was quarantined (damaged file): fetched and landed again"}  # fmt: skip
        state["pending"][key] = pending_entry(row, attempts=1, now=0)
        given_back += 1
    if given_back:
        log.warning("%s: %d known report(s) are in no readable landing file (quarantined: %s); fetched again",
                    government_id, given_back, ", ".join(quarantined))  # fmt: skip
    state["quarantine_seen"] = quarantined
    return given_back


def _skip_kind(reason: str) -> str:
    """The state's decision for a landed ``skipped`` row, by its reason (as ``judge.screen_link`` writes them):
    title and off-site skips are judged again when the rules or the registry's hosts change; others stay."""
    if reason.startswith("title:"):
        return "skipped-title"
    if reason.startswith("off-site:"):
        return "skipped-offsite"
    return "skipped"


def pending_entry(row: dict[str, Any], attempts: int, now: float | None = None) -> dict:
    return {
        "url": row.get("url"),
        "list_url": row.get("list_url"),
        "title": row.get("title"),
        "date": row.get("date"),
        "report_year": row.get("report_year"),
        "attempts": attempts,
        "last_reason": row.get("reason"),
        "last_status": row.get("http_status"),
        "next_at": next_attempt_at(attempts, now),
    }


def read_jsonl_lenient(path: Path) -> list[dict[str, Any]]:
    """Rows of a landing file, skipping (and naming) lines that are not JSON objects; for state rebuilds only.
    The build quarantines such files whole (``landing.quarantine_unreadable``)."""
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot read landing file %s: %s", path, exc)
        return rows
    for number, row, problem in jsonl_rows(text):
        if problem:
            log.warning("landing file %s, line %d: %s; skipped", path, number, problem)
        else:
            rows.append(row)
    return rows


def save_state(landing: Landing, government_id: str, state: dict[str, Any]) -> None:
    data = json.dumps(state, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    atomic_write_bytes(landing.state_path(government_id), data)
