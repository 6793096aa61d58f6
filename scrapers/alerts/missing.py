"""Missing reports sent once as one digest per channel, a "resolved" line when a report turns up, and the optional
overdue reminder (past due, still in the grace period).

The published warehouse (``marts.missing_reports``) says what is missing now; the alert state says what each
channel was already told. The difference is the digest. Delivery is kept per channel, so a webhook that is down
means the same lines are tried again on the next run, never that they are lost or sent twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapers.alerts import dedupe
from scrapers.alerts.channels import Delivery, channel_urls, deliver
from scrapers.alerts.published import read_warehouse
from scrapers.alerts.state import (
    STATE_VERSION,
    alerts_lock,
    channel_id,
    jsonable,
    load_state,
    report_key,
    save_state,
    state_path,
)
from scrapers.landing import utcnow
from scrapers.registry.governments import LEVELS
from scrapers.warehouse.connect import reading, rows
from scrapers.warehouse.paths import published_path

log = logging.getLogger("fzzf.alerts")

# marts.report_coverage statuses that mean "the report was found". A key that leaves missing_reports with any other
# status (not_due or overdue in a hand run with an earlier as_of; unknown when the portal could not be crawled lately)
# is not resolved: it stays in the state, so it is neither announced as resolved nor alerted a second time later.
FOUND_STATUSES = frozenset({"on_time", "late"})
DIGEST_LINE_LIMIT = 300  # a first run over years of backlog must not produce a message no channel accepts


@dataclass
class AlertOutcome:
    as_of: dt.date
    newly_missing: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    still_missing: int = 0  # missing and already alerted earlier
    withdrawn: int = 0  # alerted earlier, now in no coverage row (government removed from the registry)
    undelivered: int = 0  # missing, and some channel has not taken the line yet (tried again next run)
    delivery: Delivery | None = None
    note: str = ""

    @property
    def delivered(self) -> bool:
        """True when there was nothing to send, or a channel (or the file fallback) took the message."""
        return self.delivery is None or self.delivery.delivered

    def describe(self) -> str:
        parts = [
            f"alerts as of {self.as_of}: {len(self.newly_missing)} newly missing, {len(self.resolved)} resolved, "
            f"{self.still_missing} still missing (already alerted)"
        ]
        if self.withdrawn:
            parts.append(f"{self.withdrawn} dropped from the state (no longer in the registry)")
        if self.note:
            parts.append(self.note)
        if self.delivery is not None:
            parts.append(self.delivery.describe())
            if not self.delivery.delivered:
                parts.append("NOT delivered: state unchanged, the digest will be tried again on the next run")
            elif self.delivery.failed:
                parts.append("channels that failed get the same lines on the next run")
        if self.undelivered:
            parts.append(f"{self.undelivered} missing not yet delivered to every channel")
        return "; ".join(parts)


def published_warehouse(data_dir: Path, outcome: AlertOutcome) -> Path | None:
    """The published warehouse, or None (with a note on the outcome) before anything was published."""
    warehouse = published_path(data_dir)
    if not warehouse.exists():
        outcome.note = f"no published warehouse at {warehouse} yet; nothing to compare"
        return None
    return warehouse


def send_missing_alerts(data_dir: Path | str, as_of: dt.date, urls: list[str] | None = None) -> AlertOutcome:
    """Send every (government, year) that became missing since the last alert, once per channel, plus resolved
    lines to the channels that had the missing line.

    Delivery is kept per channel: a channel that is down gets what it missed on a later run, and a channel that
    took the digest never gets it twice. ``urls`` overrides the configured channels (see ``scrapers.alerts.channels``).
    """
    data_dir = Path(data_dir)
    outcome = AlertOutcome(as_of=as_of)
    warehouse = published_warehouse(data_dir, outcome)
    if warehouse is None:
        return outcome
    path = state_path(data_dir)
    urls = channel_urls() if urls is None else urls
    channels: list[tuple[str, str | None]] = [(channel_id(u), u) for u in urls] or [(channel_id(None), None)]
    with alerts_lock(data_dir):
        state = load_state(path)
        if state.get("recovered_from"):
            outcome.note = f"alert state was unreadable (kept as {state['recovered_from']}): current gaps sent again"
        alerted: dict[str, dict[str, Any]] = state.setdefault("missing", {})
        before = json.dumps(state, sort_keys=True, default=str)
        missing, coverage = read_warehouse(warehouse)
        current = {report_key(r): jsonable(r) for r in missing}
        for key, row in current.items():
            alerted.setdefault(key, {**row, "alerted_on": as_of.isoformat(), "sent_to": {}})
        withdrawn = [k for k in alerted if k not in current and coverage and k not in coverage]
        for key in withdrawn:
            alerted.pop(key)
        outcome.withdrawn = len(withdrawn)
        found = {k for k in alerted if k not in current and coverage.get(k) in FOUND_STATUSES}

        total = Delivery(channels=len(urls))
        new_keys: set[str] = set()
        resolved_keys: set[str] = set()
        now = utcnow().isoformat()
        for cid, url in channels:
            # Once, and a resolved line (dedupe's rule); a missing report gets no reminder here (the overdue
            # reminder below is its own, earlier message).
            new = [k for k in current if dedupe.due(alerted[k], cid) == dedupe.FIRST]
            resolved = [k for k in found if dedupe.resolved_due(alerted[k], cid)]
            if not new and not resolved:
                continue
            title, lines, keys = digest(
                [current[k] for k in new], [{**alerted[k], "status": coverage[k]} for k in resolved], as_of
            )
            delivery = deliver(
                data_dir, "missing_reports", title, "\n".join(lines), "warning", urls=[url] if url else []
            )
            total.sent += delivery.sent
            total.failed += delivery.failed
            total.filed = total.filed or delivery.filed
            # Only the lines a channel took count as told: the rest (past the line cap, or in a part the channel
            # refused) go out on the next run.
            for kind, k in filter(None, keys[: delivery.taken(len(lines))]):
                if kind == "missing":
                    new_keys.add(k)
                    dedupe.mark(alerted[k], dedupe.FIRST, cid, now, as_of)
                    alerted[k].setdefault("alerted_at", now)
                else:
                    resolved_keys.add(k)
                    dedupe.mark(alerted[k], "resolved", cid, now)
        live = {cid for cid, _ in channels}
        resolved_rows = {k: alerted[k] for k in resolved_keys}  # kept for the outcome: the loop below may drop them
        for k in found:
            # Resolved for good once every current channel that had the missing line has the resolved line too.
            if dedupe.closed(alerted[k], live):
                alerted.pop(k)
        if total.sent or total.failed or total.filed:
            outcome.delivery = total
        outcome.newly_missing = [current[k] for k in current if k in new_keys]
        outcome.resolved = [{**resolved_rows[k], "status": coverage[k]} for k in sorted(resolved_keys)]
        pending = {k for k in current if any(c not in alerted[k]["sent_to"] for c in live)}
        outcome.still_missing = len([k for k in current if k not in new_keys and k not in pending])
        outcome.undelivered = len(pending)
        # Keys never delivered anywhere stay only in the warehouse: the state records deliveries, not wishes.
        for k in [k for k in current if not alerted[k].get("sent_to")]:
            alerted.pop(k)
        changed = json.dumps(state, sort_keys=True, default=str) != before
        if changed or (not path.exists() and outcome.delivered):
            state.update(version=STATE_VERSION, updated_at=now, last_as_of=as_of.isoformat())
            state.pop("recovered_from", None)
            save_state(path, state)
    log.info("%s", outcome.describe())
    return outcome


Line = tuple[str, str] | None  # what a digest line names: (kind, key), or nothing (a heading, a blank line)


def _grouped(rows: list[dict[str, Any]], line, kind: str) -> tuple[list[str], list[Line]]:
    """Rows as lines grouped by province, then level (in registry level order), capped at DIGEST_LINE_LIMIT; with
    what each line names, so that only the rows a channel was actually told are recorded as told."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["province"], row["level"]), []).append(row)
    level_rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    lines: list[str] = []
    keys: list[Line] = []
    shown = 0
    for province, level in sorted(groups, key=lambda k: (k[0], level_rank.get(k[1], 99), k[1])):
        if shown >= DIGEST_LINE_LIMIT:
            break
        group = groups[(province, level)]
        lines += ["", f"{province} / {level} ({len(group)})"]
        keys += [None, None]
        for row in group[: DIGEST_LINE_LIMIT - shown]:
            lines.append(f"  - {row['name']} [{row['government_id']}] {row['report_year']}年度: {line(row)}")
            keys.append((kind, report_key(row)))
            shown += 1
    if shown < len(rows):
        lines += ["", f"... and {len(rows) - shown} more: they follow in the next message; `fzzf missing` lists all."]
        keys += [None, None]
    return lines, keys


def _missing_line(row: dict[str, Any]) -> str:
    line = f"due {row['due_date']}, {row['days_overdue']} days overdue"
    return f"{line}; {row['reason']}" if row.get("reason") else line


def digest(
    newly_missing: list[dict[str, Any]], resolved: list[dict[str, Any]], as_of: dt.date
) -> tuple[str, list[str], list[Line]]:
    """Title, plain-text lines and what each line names: new rows grouped by province, then level; resolved rows
    one short line each."""
    title = f"法治政府建设年度报告: {len(newly_missing)} newly missing, {len(resolved)} resolved (as of {as_of})"
    lines: list[str] = []
    keys: list[Line] = []
    if newly_missing:
        grouped, grouped_keys = _grouped(newly_missing, _missing_line, "missing")
        lines += [
            f"{len(newly_missing)} report(s) became missing (past due date and grace period, not found):",
            *grouped,
        ]
        keys += [None, *grouped_keys]
    if resolved:
        heading = ["", f"Resolved ({len(resolved)}):"] if lines else [f"Resolved ({len(resolved)}):"]
        lines += heading
        keys += [None] * len(heading)
        for row in resolved:
            lines.append(
                f"  - resolved: {row['name']} [{row['government_id']}] {row['report_year']}年度 "
                f"report found (status {row['status']})"
            )
            keys.append(("resolved", report_key(row)))
    return title, lines, keys


def send_overdue_reminder(data_dir: Path | str, as_of: dt.date, urls: list[str] | None = None) -> AlertOutcome:
    """Optional reminder: reports past their due date but still in the grace period, each reminded once.

    A separate message and state key from the missing digest: once the grace period ends, the row turns ``missing``
    and the digest announces it as usual.
    """
    data_dir = Path(data_dir)
    outcome = AlertOutcome(as_of=as_of)
    warehouse = published_warehouse(data_dir, outcome)
    if warehouse is None:
        return outcome
    with alerts_lock(data_dir):
        state = load_state(state_path(data_dir))
        reminded: dict[str, dict[str, Any]] = state.setdefault("overdue", {})
        with reading(warehouse) as con:
            found = rows(
                con,
                "select government_id, name, province, level, report_year, due_date, grace_end_date, days_overdue "
                "from marts.report_coverage where status = 'overdue' order by province, level, government_id",
            )
        current = {report_key(r): jsonable(r) for r in found}
        due = [row for key, row in current.items() if key not in reminded]
        outcome.still_missing = len(current) - len(due)
        named: set[str] = set()
        if due:
            title = f"法治政府建设年度报告: {len(due)} overdue, still in the grace period (as of {as_of})"
            lines, keys = _grouped(due, lambda r: f"due {r['due_date']}, grace ends {r['grace_end_date']}", "overdue")
            lines.insert(0, f"{len(due)} report(s) past their due date, not found yet:")
            keys.insert(0, None)
            outcome.delivery = deliver(data_dir, "overdue_reminder", title, "\n".join(lines), "info", urls=urls)
            named = {k for _, k in filter(None, keys[: outcome.delivery.taken(len(lines))])}
            if not named:
                return outcome
        outcome.newly_missing = [row for row in due if report_key(row) in named]
        # Keys that left `overdue` (found, or now missing) are forgotten: the state stays the size of the backlog.
        # Keys past the line cap or in a part a channel refused are reminded next time.
        state["overdue"] = {
            k: reminded.get(k) or {**current[k], "reminded_on": as_of.isoformat()}
            for k in current
            if k in reminded or k in named
        }
        state.update(version=STATE_VERSION, updated_at=utcnow().isoformat())
        save_state(state_path(data_dir), state)
    return outcome
