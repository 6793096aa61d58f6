"""The weekly "cannot verify" digest: every (government, year) whose status is ``unknown`` (no URL, portal not
reached, robots.txt forbids, report column not confirmed, report held back, ...) goes to the channels as counts by
reason and province, and by name only what changed since that channel's last digest: newly unknown, reason changed,
no longer unknown. So an ``unknown`` is never silence, and nobody reads silence as coverage; nor does anyone drown
in the same thousand names every week.

State (``alerts/state.json`` key ``unknown``): per channel, when it got the last digest and the (government, year)
-> reason it was told, changed only by lines the channel took (as for the missing digest).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapers.alerts.channels import Delivery, channel_urls, deliver
from scrapers.alerts.missing import DIGEST_LINE_LIMIT, published_warehouse
from scrapers.alerts.published import read_unknown
from scrapers.alerts.state import STATE_VERSION, alerts_lock, channel_id, load_state, report_key, save_state, state_path
from scrapers.landing import utcnow
from scrapers.settings import _env_int

log = logging.getLogger("fzzf.alerts")

ENV_DAYS = "FZZF_UNKNOWN_DIGEST_DAYS"  # days between two digests to one channel (default 7)

# report_coverage.status_reason_kind / coverage_explained.reason_kind -> the group a data engineer acts on
REASON_GROUPS = {
    "no_url": "no URL known",
    "home_page_only": "report column not confirmed",
    "column_not_confirmed": "report column not confirmed",
    "source_failed": "list page failing",
    "report_urls_only": "no list page (only report URLs known)",
    "never_crawled": "portal never crawled",
    "portal_unreached": "portal unreachable",
    "held_back": "report held back by the landing gate",
    "odd_date": "report held back: dated after the as-of day",
    "link_error": "report link failing, re-checked",
}


def reason_group(row: dict[str, Any]) -> str:
    """The reason an ``unknown`` row is counted under. The one place that groups: the warehouse's category column
    (``status_reason_kind``) when it has one, else coverage_explained's ``reason_kind`` and the reason texts."""
    text = f"{row.get('status_reason') or ''} {row.get('reason') or ''}"
    if "robots" in text.lower():
        return "robots.txt forbids"
    for kind in (row.get("status_reason_kind"), row.get("reason_kind")):
        if kind in REASON_GROUPS:
            return REASON_GROUPS[kind]
    status_reason = row.get("status_reason") or ""
    if status_reason.startswith("no URL known"):
        return REASON_GROUPS["no_url"]
    if status_reason.startswith("only the portal's home page"):
        return REASON_GROUPS["home_page_only"]
    if status_reason.startswith("only report URLs"):
        return REASON_GROUPS["report_urls_only"]
    if status_reason.startswith("portal not read"):
        return REASON_GROUPS["portal_unreached"]
    if "held back" in status_reason:
        return REASON_GROUPS["held_back"]
    return row.get("reason_kind") or status_reason or "other"


@dataclass
class UnknownOutcome:
    as_of: dt.date
    unknown: int = 0
    channels_due: int = 0
    delivery: Delivery | None = None
    note: str = ""
    changes: dict[str, int] = field(default_factory=dict)

    @property
    def delivered(self) -> bool:
        return self.delivery is None or self.delivery.delivered

    def describe(self) -> str:
        parts = [f"cannot-verify digest as of {self.as_of}: {self.unknown} unknown"]
        if self.note:
            parts.append(self.note)
        if self.delivery is None:
            parts.append("no channel due (weekly)" if self.unknown else "nothing to tell")
        else:
            parts.append(", ".join(f"{n} {what}" for what, n in self.changes.items()) or "no change named")
            parts.append(self.delivery.describe())
            if not self.delivery.delivered:
                parts.append("NOT delivered: tried again on the next run")
        return "; ".join(parts)


def send_unknown_digest(data_dir: Path | str, as_of: dt.date, urls: list[str] | None = None) -> UnknownOutcome:
    """Send the "cannot verify" digest to each channel whose last one is ``FZZF_UNKNOWN_DIGEST_DAYS`` (7) days old
    or more (or that never had one), when there is an ``unknown`` now or there was one at its last digest."""
    data_dir = Path(data_dir)
    outcome = UnknownOutcome(as_of=as_of)
    warehouse = published_warehouse(data_dir, outcome)
    if warehouse is None:
        return outcome
    every = _env_int(ENV_DAYS, 7)
    urls = channel_urls() if urls is None else urls
    channels: list[tuple[str, str | None]] = [(channel_id(u), u) for u in urls] or [(channel_id(None), None)]
    with alerts_lock(data_dir):
        path = state_path(data_dir)
        state = load_state(path)
        told_by_channel: dict[str, dict[str, Any]] = state.setdefault("unknown", {})
        before = json.dumps(state, sort_keys=True)
        current = {report_key(r): r for r in read_unknown(warehouse)}
        outcome.unknown = len(current)
        total = Delivery(channels=len(urls))
        now = utcnow().isoformat()
        for cid, url in channels:
            told = told_by_channel.get(cid) or {"told": {}}
            last = told.get("as_of")
            if last and (as_of - dt.date.fromisoformat(last)).days < every:
                continue
            if not current and not told["told"]:
                continue
            outcome.channels_due += 1
            title, lines, keys, complete = digest(current, told, as_of)
            delivery = deliver(data_dir, "cannot_verify", title, "\n".join(lines), "info", urls=[url] if url else [])
            total.sent += delivery.sent
            total.failed += delivery.failed
            total.filed = total.filed or delivery.filed
            taken = delivery.taken(len(lines))
            if taken == 0:
                continue  # nothing reached this channel: the digest is due again on the next run
            told_keys = dict(told["told"])
            for what, key in filter(None, keys[:taken]):
                outcome.changes[what] = outcome.changes.get(what, 0) + 1
                if what == GONE:
                    told_keys.pop(key, None)
                else:
                    told_keys[key] = {"reason": reason_group(current[key]), "name": current[key]["name"]}
            # A digest cut short (a part refused, or more changes than the line cap) is due again on the next run,
            # naming only what is left; a whole one makes the next due in FZZF_UNKNOWN_DIGEST_DAYS.
            whole = complete and taken == len(lines)
            told_by_channel[cid] = {"told": told_keys, "as_of": as_of.isoformat() if whole else last, "sent_at": now}
        if total.sent or total.failed or total.filed:
            outcome.delivery = total
        if json.dumps(state, sort_keys=True) != before:
            state.update(version=STATE_VERSION, updated_at=now)
            state.pop("recovered_from", None)
            save_state(path, state)
    log.info("%s", outcome.describe())
    return outcome


NEW, CHANGED, GONE = "newly unknown", "reason changed", "no longer unknown"


def digest(
    current: dict[str, dict[str, Any]], told: dict[str, Any], as_of: dt.date
) -> tuple[str, list[str], list[tuple[str, str] | None], bool]:
    """Title, lines, what each line names, and whether every change was named (the line cap not reached)."""
    was: dict[str, dict[str, str]] = told["told"]
    groups = {k: reason_group(r) for k, r in current.items()}
    new = [k for k in current if k not in was]
    changed = [k for k in current if k in was and was[k]["reason"] != groups[k]]
    gone = [k for k in was if k not in current]
    title = f"法治政府建设年度报告: {len(current)} cannot be verified (as of {as_of})"
    lines = [
        f"{len(current)} (government, year) cannot be verified: nobody can tell from here whether the report "
        "exists. They are not missing and never alerted as missing; each needs a data engineer "
        "(`fzzf explain GOV_ID YEAR`).",
        "",
        "By reason and province:",
    ]
    keys: list[tuple[str, str] | None] = [None, None, None]
    by_reason: dict[str, dict[str, int]] = {}
    for key, row in current.items():
        provinces = by_reason.setdefault(groups[key], {})
        provinces[row["province"] or "?"] = provinces.get(row["province"] or "?", 0) + 1
    for group, provinces in sorted(by_reason.items(), key=lambda g: (-sum(g[1].values()), g[0])):
        counts = ", ".join(f"{p} {n}" for p, n in sorted(provinces.items(), key=lambda p: (-p[1], p[0])))
        lines.append(f"  {group}: {sum(provinces.values())} ({counts})")
        keys.append(None)
    since = f"since the last digest (as of {told['as_of']})" if told.get("as_of") else "(first digest: all are new)"
    lines += ["", f"Changed {since}: {len(new)} {NEW}, {len(changed)} {CHANGED}, {len(gone)} {GONE}"]
    keys += [None, None]

    def name(key: str, row: dict[str, Any]) -> str:
        gov, year = key.split("|")
        return f"{row['name']} [{gov}] {year}年度"

    named = [(NEW, k, f"  + {name(k, current[k])}: {current[k]['reason'] or groups[k]}") for k in new]
    named += [(CHANGED, k, f"  ~ {name(k, current[k])}: {groups[k]} (was: {was[k]['reason']})") for k in changed]
    named += [(GONE, k, f"  - {name(k, was[k])}: {GONE}") for k in gone]
    for what, key, line in named[:DIGEST_LINE_LIMIT]:
        lines.append(line)
        keys.append((what, key))
    if len(named) > DIGEST_LINE_LIMIT:
        lines.append(f"... and {len(named) - DIGEST_LINE_LIMIT} more changes: named in the next message")
        keys.append(None)
    return title, lines, keys, len(named) <= DIGEST_LINE_LIMIT
