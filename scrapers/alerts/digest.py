"""Alerts: newly missing reports sent once as one digest, a "resolved" line when a report turns up, failure notices.

The published warehouse (``DATA_DIR/warehouse.duckdb``, ``marts.missing_reports``) says what is missing now;
``DATA_DIR/alerts/state.json`` says what was already sent. The difference is the digest. State is written only
after a channel took the message, so a webhook that is down means the same digest is tried again next run, and
never that it is silently lost or sent twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from scrapers.alerts.channels import Delivery, deliver
from scrapers.landing import atomic_write_bytes, utcnow
from scrapers.registry.governments import LEVELS

__all__ = [
    "AlertOutcome",
    "GateFailed",
    "failure_message",
    "failure_notifier",
    "notify_build_failure",
    "notify_failure",
    "send_missing_alerts",
    "send_overdue_reminder",
]

log = logging.getLogger("fzzf.alerts")

STATE_VERSION = 2  # 2: delivery kept per channel (sent_to / resolved_to: channel id -> when)
# marts.report_coverage statuses that mean "the report was found". A key that leaves missing_reports with any other
# status (not_due or overdue in a hand run with an earlier as_of; unknown when the portal could not be crawled lately)
# is not resolved: it stays in the state, so it is neither announced as resolved nor alerted a second time later.
FOUND_STATUSES = frozenset({"on_time", "late"})
DIGEST_LINE_LIMIT = 300  # a first run over years of backlog must not produce a message no channel accepts


class GateFailed(Exception):
    """A quality gate blocked publishing. The failure notifier titles these as gate failures, not as crashes."""


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


def _key(row: dict[str, Any]) -> str:
    return f"{row['government_id']}|{int(row['report_year'])}"


def _connect(path: Path):
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException as exc:
        # A process that has just run dbt on this file still holds it open read-write; DuckDB then refuses a
        # second handle with another configuration, but gives one with the same (default) configuration.
        if "different configuration" not in str(exc):
            raise
        return duckdb.connect(str(path))


def _query(con, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def read_warehouse(warehouse: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Missing rows and {key: coverage status} from the published warehouse."""
    con = _connect(warehouse)
    try:
        missing = _query(
            con,
            "select government_id, name, province, level, report_year, due_date, days_overdue "
            "from marts.missing_reports order by province, level, government_id, report_year",
        )
        reasons = _reasons(con)
        for row in missing:
            row["reason"] = reasons.get(_key(row))
        try:
            coverage = {
                _key(r): str(r["status"])
                for r in _query(con, "select government_id, report_year, status from marts.report_coverage")
            }
        except Exception as exc:  # an older warehouse without the table: resolved lines need it, the digest does not
            log.warning("cannot read marts.report_coverage (%s); resolved lines are skipped this run", exc)
            coverage = {}
    finally:
        con.close()
    return missing, coverage


def _reasons(con) -> dict[str, str]:
    """{key: one-line reason} from marts.coverage_explained; empty for an older warehouse without it (the digest
    still goes out, without reasons: a missing reason must never cost the alert)."""
    try:
        rows = _query(con, "select government_id, report_year, reason from marts.coverage_explained")
    except Exception as exc:  # noqa: BLE001 - duckdb raises CatalogException for a missing table
        log.warning("cannot read marts.coverage_explained (%s); digest lines go without their reason", exc)
        return {}
    return {_key(r): r["reason"] for r in rows if r["reason"]}


def load_state(path: Path) -> dict[str, Any]:
    """The alert state; a file that cannot be read is set aside (kept, named in the log) and the state starts
    empty, so the current gaps are sent again: a repeated line is better than a gap that is never sent."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict):
            raise ValueError(f"a JSON {type(state).__name__}, not an object")
    except FileNotFoundError:
        return {"version": STATE_VERSION, "missing": {}}
    except (ValueError, UnicodeDecodeError) as exc:
        kept = path.with_name(f"{path.stem}.corrupt.{utcnow().strftime('%Y%m%dT%H%M%S')}.json")
        os.replace(path, kept)
        log.error("alert state %s is unreadable (%s); kept as %s; current gaps will be sent again", path, exc, kept)
        return {"version": STATE_VERSION, "missing": {}, "recovered_from": str(kept)}
    if state.get("version") == 1:
        # Version 1 kept one delivery for all channels: what it recorded went to the channels configured then.
        for row in state.get("missing", {}).values():
            row.setdefault("sent_to", {cid: row.get("alerted_at") for cid in _current_channel_ids()})
        state["version"] = STATE_VERSION
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"{path}: alert state version {state.get('version')!r}, expected {STATE_VERSION}")
    return state


def channel_id(url: str | None) -> str:
    """A stable name for a channel that does not keep its secret in the state file."""
    return "outbox" if url is None else "ch-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def _current_channel_ids() -> list[str]:
    from scrapers.alerts.channels import channel_urls

    return [channel_id(u) for u in channel_urls()] or [channel_id(None)]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}


def send_missing_alerts(data_dir: Path | str, as_of: dt.date, urls: list[str] | None = None) -> AlertOutcome:
    """Send every (government, year) that became missing since the last alert, once per channel, plus resolved
    lines to the channels that had the missing line.

    Delivery is kept per channel: a channel that is down gets what it missed on a later run, and a channel that
    took the digest never gets it twice. ``urls`` overrides the configured channels (see ``scrapers.alerts.channels``).
    """
    from scrapers.alerts.channels import channel_urls

    data_dir = Path(data_dir)
    outcome = AlertOutcome(as_of=as_of)
    warehouse = data_dir / "warehouse.duckdb"
    if not warehouse.exists():
        outcome.note = f"no published warehouse at {warehouse} yet; nothing to compare"
        return outcome
    state_path = data_dir / "alerts" / "state.json"
    lock_dir = data_dir / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    urls = channel_urls() if urls is None else urls
    channels: list[tuple[str, str | None]] = [(channel_id(u), u) for u in urls] or [(channel_id(None), None)]
    # Two runs at once (a hand-triggered build beside the scheduled one) must not both see a key as new.
    with FileLock(str(lock_dir / "alerts.lock"), timeout=300):
        state = load_state(state_path)
        if state.get("recovered_from"):
            outcome.note = f"alert state was unreadable (kept as {state['recovered_from']}): current gaps sent again"
        alerted: dict[str, dict[str, Any]] = state.setdefault("missing", {})
        before = json.dumps(state, sort_keys=True, default=str)
        missing, coverage = read_warehouse(warehouse)
        current = {_key(r): _jsonable(r) for r in missing}
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
            new = [k for k in current if cid not in alerted[k].get("sent_to", {})]
            resolved = [
                k for k in found
                if cid in alerted[k].get("sent_to", {}) and cid not in alerted[k].get("resolved_to", {})
            ]  # fmt: skip
            if not new and not resolved:
                continue
            title, body = digest(
                [current[k] for k in new], [{**alerted[k], "status": coverage[k]} for k in resolved], as_of
            )
            delivery = deliver(data_dir, "missing_reports", title, body, "warning", urls=[url] if url else [])
            total.sent += delivery.sent
            total.failed += delivery.failed
            total.filed = total.filed or delivery.filed
            if not delivery.delivered:
                continue  # this channel gets the same lines on the next run
            new_keys.update(new)
            resolved_keys.update(resolved)
            for k in new:
                alerted[k].setdefault("sent_to", {})[cid] = now
                alerted[k].setdefault("alerted_at", now)
            for k in resolved:
                alerted[k].setdefault("resolved_to", {})[cid] = now
        live = {cid for cid, _ in channels}
        resolved_rows = {k: alerted[k] for k in resolved_keys}  # kept for the outcome: the loop below may drop them
        for k in found:
            # Resolved for good once every current channel that had the missing line has the resolved line too.
            if set(alerted[k].get("sent_to", {})) & live <= set(alerted[k].get("resolved_to", {})):
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
        if changed or (not state_path.exists() and outcome.delivered):
            state.update(version=STATE_VERSION, updated_at=now, last_as_of=as_of.isoformat())
            state.pop("recovered_from", None)
            data = json.dumps(state, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
            atomic_write_bytes(state_path, data)
    log.info("%s", outcome.describe())
    return outcome


def _grouped(rows: list[dict[str, Any]], line) -> list[str]:
    """Rows as lines grouped by province, then level (in registry level order), capped at DIGEST_LINE_LIMIT."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["province"], row["level"]), []).append(row)
    level_rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    lines: list[str] = []
    shown = 0
    for province, level in sorted(groups, key=lambda k: (k[0], level_rank.get(k[1], 99), k[1])):
        group = groups[(province, level)]
        lines += ["", f"{province} / {level} ({len(group)})"]
        for row in group[: max(0, DIGEST_LINE_LIMIT - shown)]:
            lines.append(f"  - {row['name']} [{row['government_id']}] {row['report_year']}年度: {line(row)}")
            shown += 1
    if shown < len(rows):
        lines += ["", f"... and {len(rows) - shown} more: `fzzf missing` lists them all."]
    return lines


def _missing_line(row: dict[str, Any]) -> str:
    line = f"due {row['due_date']}, {row['days_overdue']} days overdue"
    return f"{line}; {row['reason']}" if row.get("reason") else line


def digest(newly_missing: list[dict[str, Any]], resolved: list[dict[str, Any]], as_of: dt.date) -> tuple[str, str]:
    """Title and plain-text body: new rows grouped by province, then level; resolved rows one short line each."""
    title = f"法治政府建设年度报告: {len(newly_missing)} newly missing, {len(resolved)} resolved (as of {as_of})"
    lines: list[str] = []
    if newly_missing:
        lines.append(f"{len(newly_missing)} report(s) became missing (past due date and grace period, not found):")
        lines += _grouped(newly_missing, _missing_line)
    if resolved:
        if lines:
            lines.append("")
        lines.append(f"Resolved ({len(resolved)}):")
        for row in resolved:
            lines.append(
                f"  - resolved: {row['name']} [{row['government_id']}] {row['report_year']}年度 "
                f"report found (status {row['status']})"
            )
    return title, "\n".join(lines)


def send_overdue_reminder(data_dir: Path | str, as_of: dt.date, urls: list[str] | None = None) -> AlertOutcome:
    """Optional reminder: reports past their due date but still in the grace period, each reminded once.

    A separate message and state key from the missing digest: once the grace period ends, the row turns ``missing``
    and the digest announces it as usual.
    """
    data_dir = Path(data_dir)
    outcome = AlertOutcome(as_of=as_of)
    warehouse = data_dir / "warehouse.duckdb"
    if not warehouse.exists():
        outcome.note = f"no published warehouse at {warehouse} yet"
        return outcome
    (data_dir / "locks").mkdir(parents=True, exist_ok=True)
    with FileLock(str(data_dir / "locks" / "alerts.lock"), timeout=300):
        state = load_state(data_dir / "alerts" / "state.json")
        reminded: dict[str, dict[str, Any]] = state.setdefault("overdue", {})
        con = _connect(warehouse)
        try:
            rows = _query(
                con,
                "select government_id, name, province, level, report_year, due_date, grace_end_date, days_overdue "
                "from marts.report_coverage where status = 'overdue' order by province, level, government_id",
            )
        finally:
            con.close()
        current = {_key(r): _jsonable(r) for r in rows}
        outcome.newly_missing = [row for key, row in current.items() if key not in reminded]
        outcome.still_missing = len(current) - len(outcome.newly_missing)
        if outcome.newly_missing:
            title = (
                f"法治政府建设年度报告: {len(outcome.newly_missing)} overdue, still in the grace period (as of {as_of})"
            )
            body = "\n".join(
                [f"{len(outcome.newly_missing)} report(s) past their due date, not found yet:"]
                + _grouped(outcome.newly_missing, lambda r: f"due {r['due_date']}, grace ends {r['grace_end_date']}")
            )
            outcome.delivery = deliver(data_dir, "overdue_reminder", title, body, "info", urls=urls)
            if not outcome.delivery.delivered:
                return outcome
        # Keys that left `overdue` (found, or now missing) are forgotten: the state stays the size of the backlog.
        state["overdue"] = {k: reminded.get(k) or {**current[k], "reminded_on": as_of.isoformat()} for k in current}
        state.update(version=STATE_VERSION, updated_at=utcnow().isoformat())
        data = json.dumps(state, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
        atomic_write_bytes(data_dir / "alerts" / "state.json", data)
    return outcome


# Pipeline failures --------------------------------------------------------------------------------------------


def failure_message(context: dict[str, Any]) -> tuple[str, str]:
    """Title and body for a failed task or gate, from an Airflow task context."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    run_id = getattr(ti, "run_id", None) or context.get("run_id", "?")
    exc = context.get("exception")
    gate = isinstance(exc, GateFailed) or type(exc).__name__ == "GateFailed"
    what = "quality gate failed, nothing published" if gate else "task failed"
    task_label = task_id if map_index in (None, -1) else f"{task_id}[{map_index}]"
    title = f"fzzf {what}: {dag_id}.{task_label}"
    try:
        log_url = ti.log_url if ti is not None else "?"
    except Exception:  # a context without the API's base_url config still deserves a notice
        log_url = "?"
    body = "\n".join(
        [
            f"DAG: {dag_id}",
            f"Task: {task_label} (try {getattr(ti, 'try_number', '?')})",
            f"Run: {run_id}",
            f"Log: {log_url}",
            f"Error: {type(exc).__name__}: {exc}" if exc is not None else "Error: (no exception in the context)",
        ]
    )
    return title, body


def notify_build_failure(data_dir: Path | str, result: Any) -> Delivery | None:
    """Tell the data engineers a build was not published (``run_build`` calls this with its ``BuildResult``).

    Inside an Airflow task the failed task's own ``on_failure_callback`` sends the notice, with the DAG, run and log
    link this function cannot know; sending here too would say the same thing twice.
    """
    from scrapers.alerts.channels import in_airflow_task

    title = f"fzzf build as of {result.as_of} not published: {result.failed_step} failed"
    if in_airflow_task():
        log.warning("%s (the task's failure callback notifies)\n%s", title, result.describe())
        return None
    return deliver(data_dir, "build_failure", title, result.describe(), "failure")


def notify_failure(context: dict[str, Any]) -> Delivery:
    """``on_failure_callback``: tell the data engineers which DAG, task and run failed, with the log link."""
    from scrapers import settings

    title, body = failure_message(context)
    return deliver(settings.data_dir(), "pipeline_failure", title, body, "failure")


@functools.cache
def _notifier_class():
    # Built on first use: the class needs airflow.sdk (2 s to import), which the `fzzf alert` CLI never needs.
    from airflow.sdk import BaseNotifier

    class FzzfFailureNotifier(BaseNotifier):
        """Airflow notifier for ``on_failure_callback``: failed tasks and failed gates to the fzzf channels."""

        def notify(self, context):
            notify_failure(context)

    return FzzfFailureNotifier


def failure_notifier():
    """An Airflow ``BaseNotifier`` for ``on_failure_callback`` lists; it titles ``GateFailed`` as a gate failure."""
    return _notifier_class()()
