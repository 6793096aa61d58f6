"""Crawl failures: one digest per collect run.

A network outage fails thousands of crawl tasks at once: one problem. So a crawl task's callbacks only record
(``record_crawl_failure``, ``record_crawl_recovered``) in the failure ledger (``failure_ledger``), and the run's last
task sends one digest per channel (``send_crawl_digest``) by the same rule (``dedupe``): newly failing, reminders
due, resolved."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from scrapers import clock
from scrapers.alerts import dedupe
from scrapers.alerts.channels import Delivery, deliver
from scrapers.alerts.failure_ledger import add_delivery, channels_of, describe_key, open_record, remind_days
from scrapers.alerts.state import STATE_VERSION, alerts_lock, load_state, save_state, state_path
from scrapers.landing import utcnow

# A network outage fails thousands of crawl tasks at once: one problem. So a crawl task's callbacks only record
# (``record_crawl_failure``, ``record_crawl_recovered``) and the run's last task sends one digest per channel
# (``send_crawl_digest``) by the same rule (``dedupe``): newly failing, reminders due, resolved.

CRAWL_PREFIX = "crawl:"
NO_CAUSE = "no crawl log (see its crawl task log)"
_CAUSES_SHOWN = 5  # distinct root causes in the summary line; an outage is one, a bad day a handful
# what varies between governments failing for one reason: the URL, the host and port
_URL = re.compile(r"\b\w+://\S*[^\s:,;.)]")
_HOST = re.compile(r"\b(?:\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?::\d+)?\b")


def cause_kind(cause: str | None) -> str:
    """A root cause without its URL and host, so one outage reads as one cause: ``connection refused by
    10.0.0.5:80`` and ``connection refused by 10.0.0.9:443`` are both ``connection refused by <host>``."""
    if not cause:
        return NO_CAUSE
    return _HOST.sub("<host>", _URL.sub("<url>", cause))


def record_crawl_failure(
    data_dir: Path | str,
    government_id: str,
    label: str,
    cause: str | None,
    province: str | None = None,
    run_id: str | None = None,
) -> None:
    """A crawl task failed (its ``on_failure_callback``): count it on ``crawl:<id>`` with its label and root cause;
    nothing is sent (the run's report task sends the digest). Counted once per Airflow run (``run_id``): Airflow
    reports a task's state before its callbacks run, so the report task may have recorded it first."""
    data_dir = Path(data_dir)
    now, today = utcnow().isoformat(), clock.today()
    with alerts_lock(data_dir):
        path = state_path(data_dir)
        state = load_state(path)
        record = open_record(state.setdefault("failures", {}), CRAWL_PREFIX + government_id, f"crawl of {label}",
                              now, today)  # fmt: skip
        if not run_id or record.get("last_run") != run_id:
            record.update(failures=record["failures"] + 1, last_run=run_id)
        record.update(last_at=now, label=label, cause=cause or NO_CAUSE)
        if province:
            record["province"] = province
        state.update(version=STATE_VERSION, updated_at=now)
        save_state(path, state)


def record_crawl_recovered(data_dir: Path | str, government_id: str, how: str) -> None:
    """A crawl task succeeded (its ``on_success_callback``): its open failure, if any, is recovered; the resolved
    line goes in the run's digest. Called on every success, so the usual case reads the state without the lock."""
    data_dir = Path(data_dir)
    key, path = CRAWL_PREFIX + government_id, state_path(data_dir)
    try:
        record = (json.loads(path.read_text(encoding="utf-8")).get("failures") or {}).get(key)
        if not record or record.get("recovered_at"):
            return
    except FileNotFoundError:
        return
    except (OSError, ValueError, AttributeError):
        pass  # an unreadable state is load_state's to recover, under the lock
    with alerts_lock(data_dir):
        state = load_state(path)
        record = state.setdefault("failures", {}).get(key)
        if record and not record.get("recovered_at"):
            record.update(recovered_at=utcnow().isoformat(), recovered=how)
            state.update(version=STATE_VERSION, updated_at=record["recovered_at"])
            save_state(path, state)


def send_crawl_digest(
    data_dir: Path | str,
    failed: list[dict[str, Any]] | None = None,
    governments: int | None = None,
    provinces: dict[str, str] | None = None,
    urls: list[str] | None = None,
    run_id: str | None = None,
    crawled: list[str] | None = None,
) -> Delivery | None:
    """One message per channel with every crawl failure it is owed (``dedupe``): governments newly failing, by
    province, each with its root cause; reminders due (``FZZF_FAILURE_REMIND_DAYS``); governments resolved. A
    summary line first counts this run's failures by root cause (``cause_kind``). None when nothing was owed.

    ``failed``: this run's failed governments (``government_id``, ``government`` label, ``error``), recorded here
    too in case a task died without its callback; ``governments``: how many the run crawled; ``provinces``: id to
    province; ``run_id``: the Airflow run, named under the summary; ``crawled``: ids this run crawled (recovered
    here too: a task's success callback may run after this task started). Only the lines a channel took are marked told; the rest stay owed to the next run."""
    data_dir = Path(data_dir)
    failed = failed or []
    urls, channels = channels_of(urls)
    every, today, now = remind_days(), clock.today(), utcnow().isoformat()
    total = Delivery(channels=len(urls))
    with alerts_lock(data_dir):
        path = state_path(data_dir)
        state = load_state(path)
        failing: dict[str, dict[str, Any]] = state.setdefault("failures", {})
        for f in failed:
            key = CRAWL_PREFIX + str(f["government_id"])
            record = failing.get(key)
            if record is None or record.get("recovered_at"):  # its callback has not run (yet, or a killed task)
                record = open_record(failing, key, f"crawl of {f['government']}", now, today)
            if not run_id or record.get("last_run") != run_id:
                record.update(failures=record["failures"] + 1, last_at=now, last_run=run_id)
            record["label"] = f.get("government") or record.get("label")
            record["cause"] = (
                f.get("error") or record.get("cause") or NO_CAUSE
            )  # the crawl log's word is the last try's
        for gid in crawled or []:
            record = failing.get(CRAWL_PREFIX + gid)
            if record and not record.get("recovered_at"):
                record.update(recovered_at=now, recovered=f"crawled in run {run_id}" if run_id else "crawled")
        crawl = {k: r for k, r in failing.items() if k.startswith(CRAWL_PREFIX)}
        for key, record in crawl.items():
            record.setdefault("province", (provinces or {}).get(key[len(CRAWL_PREFIX) :]) or "?")
        summary = _crawl_summary(failed, governments, [r for r in crawl.values() if not r.get("recovered_at")])
        if run_id:
            summary += f"\nRun: {run_id}"
        for cid, url in channels:
            owed = {dedupe.FIRST: [], dedupe.REMINDER: [], "resolved": []}
            for key in sorted(crawl):
                record = crawl[key]
                if record.get("recovered_at"):
                    if dedupe.resolved_due(record, cid):
                        owed["resolved"].append(key)
                elif (what := dedupe.due(record, cid, today, every)) is not None:
                    owed[what].append(key)
            if not any(owed.values()):
                continue
            title, lines, keys = _crawl_digest(summary, owed, crawl, cid, every, today)
            notify_type = "failure" if owed[dedupe.FIRST] or owed[dedupe.REMINDER] else "success"
            delivery = deliver(data_dir, "crawl_failures", title, "\n".join(lines), notify_type,
                               urls=[url] if url else [])  # fmt: skip
            add_delivery(total, delivery)
            for what, key in filter(None, keys[: delivery.taken(len(lines))]):
                dedupe.mark(crawl[key], what, cid, now, today)
        live = {cid for cid, _ in channels}
        for key, record in crawl.items():
            if record.get("recovered_at") and dedupe.closed(record, live):  # never told, or told it ended
                failing.pop(key)
        state.update(version=STATE_VERSION, updated_at=now)
        save_state(path, state)
    return total if (total.sent or total.failed or total.filed) else None


def _crawl_summary(failed: list[dict[str, Any]], governments: int | None, failing: list[dict[str, Any]]) -> str:
    """``3,012 of 3,233 governments failed: 3,012 connection refused by <host>``: this run's failures by cause;
    without a run (``governments`` None), the failures still open."""
    if governments is not None:
        causes = Counter(cause_kind(f.get("error")) for f in failed)
        if not failed:
            return f"all {governments:,} governments crawled"
        head = f"{len(failed):,} of {governments:,} governments failed"
    else:
        causes = Counter(cause_kind(r.get("cause")) for r in failing)
        head = f"{len(failing):,} governments failing"
    shown = [f"{n:,} {cause}" for cause, n in causes.most_common(_CAUSES_SHOWN)]
    rest = sum(causes.values()) - sum(n for _, n in causes.most_common(_CAUSES_SHOWN))
    if rest:
        shown.append(f"{rest:,} with {len(causes) - _CAUSES_SHOWN} other causes")
    return f"{head}: {'; '.join(shown)}" if shown else head


def _crawl_digest(
    summary: str, owed: dict[str, list[str]], crawl: dict[str, dict[str, Any]], cid: str, every: int, today
) -> tuple[str, list[str], list[tuple[str, str] | None]]:
    """Title, lines and what each line tells (``(dedupe what, key)`` or None), capped at the missing digest's
    ``DIGEST_LINE_LIMIT`` named lines: the rest stay owed and go in the next run's digest."""
    from scrapers.alerts.missing import DIGEST_LINE_LIMIT

    def name(key: str) -> str:
        return crawl[key].get("label") or describe_key(key)

    new, remind, resolved = owed[dedupe.FIRST], owed[dedupe.REMINDER], owed["resolved"]
    counts = [f"{len(new)} newly failing" if new else "", f"{len(remind)} still failing" if remind else "",
              f"{len(resolved)} resolved" if resolved else ""]  # fmt: skip
    title = f"fzzf crawl failures: {', '.join(c for c in counts if c)}"
    lines: list[str] = [summary]
    keys: list[tuple[str, str] | None] = [None]
    room = DIGEST_LINE_LIMIT

    def section(heading: str, what: str, group: list[str], line) -> None:
        nonlocal room
        if not group or room <= 0:
            return
        lines.extend(["", heading])
        keys.extend([None, None])
        by_province: dict[str, list[str]] = {}
        for key in group:
            by_province.setdefault(crawl[key].get("province") or "?", []).append(key)
        for province in sorted(by_province):
            if room <= 0:
                break
            lines.append(f"{province} ({len(by_province[province])})")
            keys.append(None)
            for key in by_province[province][:room]:
                lines.append(f"  - {name(key)}: {line(crawl[key])}")
                keys.append((what, key))
                room -= 1

    section(f"Newly failing ({len(new)}):", dedupe.FIRST, new, lambda r: r.get("cause") or NO_CAUSE)
    section(
        f"Still failing ({len(remind)}), reminded every {every} days until they recover:",
        dedupe.REMINDER,
        remind,
        lambda r: (
            f"failing since {r['since_day']} ({r['failures']} failures; last told "
            f"{dedupe.last_told(r, cid)}): {r.get('cause') or r.get('last_title') or NO_CAUSE}"
        ),
    )
    section(
        f"Resolved ({len(resolved)}):",
        "resolved",
        resolved,
        lambda r: (
            f"resolved: {r.get('recovered')} on {today}; failing since {r['since_day']} ({r['failures']} failures)"
        ),
    )
    named = sum(1 for k in keys if k)
    if named < len(new) + len(remind) + len(resolved):
        lines.extend(["", f"... and {len(new) + len(remind) + len(resolved) - named} more: they follow in the next "
                      "run's digest; the collect run's report task log names every failed government."])  # fmt: skip
        keys.extend([None, None])
    return title, lines, keys
