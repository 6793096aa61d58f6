"""The ledger of pipeline failures that last (the alert state's ``failures`` key, ``scrapers.alerts.state``): each
channel is told a failure once when it starts, reminded at most every ``FZZF_FAILURE_REMIND_DAYS`` (7) days while
it keeps failing, and sent one resolved line when it recovers (``scrapers.alerts.dedupe`` holds that rule). What a
failure is about is its key (``failures.failure_key``; ``crawl_digest`` keeps the crawl ones)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapers import clock, settings
from scrapers.alerts import dedupe
from scrapers.alerts.channels import Delivery, channel_urls, deliver
from scrapers.alerts.state import STATE_VERSION, alerts_lock, channel_id, load_state, save_state, state_path
from scrapers.landing import utcnow

log = logging.getLogger("fzzf.alerts")

ENV_REMIND_DAYS = "FZZF_FAILURE_REMIND_DAYS"  # days between two reminders of a failure that lasts; 0: none


def remind_days() -> int:
    return settings._env_int(ENV_REMIND_DAYS, 7)


def describe_key(key: str) -> str:
    kind, _, what = key.partition(":")
    return {"crawl": f"crawl of {what}", "build": f"build ({what})"}.get(kind, what)


def channels_of(urls: list[str] | None) -> tuple[list[str], list[tuple[str, str | None]]]:
    urls = channel_urls() if urls is None else urls
    return urls, [(channel_id(u), u) for u in urls] or [(channel_id(None), None)]


def add_delivery(total: Delivery, delivery: Delivery) -> None:
    total.sent += delivery.sent
    total.failed += delivery.failed
    total.filed = total.filed or delivery.filed


def report_failure(
    data_dir: Path | str,
    key: str,
    title: str,
    body: str,
    kind: str,
    *,
    build: bool = False,
    urls: list[str] | None = None,
) -> Delivery | None:
    """Record one failure of ``key`` and tell each channel what it is owed: the notice when the failure is new to
    it, a reminder when it was last told ``FZZF_FAILURE_REMIND_DAYS`` days ago or more (by ``clock.today()``),
    else nothing (the log still has the failure). None when no channel was owed anything."""
    data_dir = Path(data_dir)
    urls, channels = channels_of(urls)
    every, today, now = remind_days(), clock.today(), utcnow().isoformat()
    total = Delivery(channels=len(urls))
    with alerts_lock(data_dir):
        path = state_path(data_dir)
        state = load_state(path)
        failing: dict[str, dict[str, Any]] = state.setdefault("failures", {})
        record = open_record(failing, key, title, now, today)
        record.update(failures=record["failures"] + 1, last_at=now, last_title=title)
        if build:
            record["build"] = True
        for cid, url in channels:
            what = dedupe.due(record, cid, today, every)
            if what is None:
                continue
            text = (title, body) if what == dedupe.FIRST else _reminder(record, title, body, cid, every)
            delivery = deliver(data_dir, kind, *text, "failure", urls=[url] if url else [])
            add_delivery(total, delivery)
            if delivery.delivered:  # told only once the channel took it; a refused one is owed it next time
                dedupe.mark(record, what, cid, now, today)
        state.update(version=STATE_VERSION, updated_at=now)
        state.pop("recovered_from", None)
        save_state(path, state)
    if not (total.sent or total.failed or total.filed):
        log.warning(
            "%s: failing since %s (%d failures), already alerted; reminded every %s\n%s",
            title, record["since"], record["failures"], f"{every} days" if every else "never (FZZF_FAILURE_REMIND_DAYS=0)",
            body,
        )  # fmt: skip
        return None
    return total


def open_record(failing: dict[str, dict[str, Any]], key: str, title: str, now: str, today) -> dict[str, Any]:
    """The open failure record of ``key``: a new one when there is none or the last one recovered."""
    record = failing.get(key)
    if record is None or record.get("recovered_at"):  # new, or failing again after it recovered
        record = failing[key] = {"title": title, "since": now, "since_day": today.isoformat(), "failures": 0}
    return record


def _reminder(record: dict[str, Any], title: str, body: str, cid: str, every: int) -> tuple[str, str]:
    told = dedupe.last_told(record, cid)
    head = (
        f"Reminder: still failing since {record['since']} ({record['failures']} failures so far); last told on "
        f"{told}. Reminded at most every {every} days until it recovers. The latest failure:"
    )
    return f"{title} (still failing since {record['since_day']})", f"{head}\n\n{body}"


def report_recovered(
    data_dir: Path | str,
    which: Callable[[str, dict[str, Any]], bool],
    how: str,
    urls: list[str] | None = None,
) -> Delivery | None:
    """The failures ``which(key, record)`` picks have recovered (``how`` says what worked): the channels that had
    their notice get one resolved line each; the records go once every such channel has it. None when there was
    nothing to resolve (the usual case: called on every success, it reads the state without taking the lock)."""
    data_dir = Path(data_dir)
    path = state_path(data_dir)
    try:  # a plain read: the state is written atomically, and an unreadable one is load_state's, under the lock
        failing = json.loads(path.read_text(encoding="utf-8")).get("failures") or {}
        if not any(which(k, r) for k, r in failing.items()):
            return None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError):
        pass
    urls, channels = channels_of(urls)
    now, today = utcnow().isoformat(), clock.today()
    total = Delivery(channels=len(urls))
    with alerts_lock(data_dir):
        state = load_state(path)
        failing: dict[str, dict[str, Any]] = state.setdefault("failures", {})
        keys = sorted(k for k, r in failing.items() if which(k, r))
        for key in keys:
            failing[key].setdefault("recovered_at", now)
            failing[key].setdefault("recovered", how)
        for cid, url in channels:
            owed = [k for k in keys if dedupe.resolved_due(failing[k], cid)]
            if not owed:
                continue
            title = (
                f"fzzf resolved: {describe_key(owed[0])}" if len(owed) == 1 else f"fzzf resolved: {len(owed)} failures"
            )
            lines = [_resolved_line(k, failing[k], today) for k in owed]
            delivery = deliver(
                data_dir, "failure_resolved", title, "\n".join(lines), "success", urls=[url] if url else []
            )
            add_delivery(total, delivery)
            for k in owed[: delivery.taken(len(lines))]:
                dedupe.mark(failing[k], "resolved", cid, now)
        live = {cid for cid, _ in channels}
        for key in keys:
            if dedupe.closed(failing[key], live):
                failing.pop(key)
        state.update(version=STATE_VERSION, updated_at=now)
        save_state(path, state)
    return total if (total.sent or total.failed or total.filed) else None


def _resolved_line(key: str, record: dict[str, Any], today) -> str:
    return (
        f"resolved: {describe_key(key)}: {record['recovered']} on {today}; failing since {record['since_day']} "
        f"({record['failures']} failures; first notice: {record['title']})"
    )
