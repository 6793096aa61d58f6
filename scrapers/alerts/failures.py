"""Pipeline failures to the data engineers: a failed task or gate (Airflow ``on_failure_callback``) and a build
that was not published, each one notice with what failed and where to look.

A failure that lasts is one problem, not one notice per run (``scrapers.alerts.dedupe``): each channel gets it
once when it starts, a reminder at most every ``FZZF_FAILURE_REMIND_DAYS`` (7) days while it keeps failing, and a
resolved line when it recovers. What a failure is about (its key, ``failure_key``): the government of a failed
crawl task, else the DAG's task; for a build outside Airflow, the step that failed. A task recovers when it
succeeds again (``on_success_callback``); a build recovers when a build is published. Crawl failures are not sent
one by one: their callbacks only record, and the collect run's report task sends one digest per channel
(``send_crawl_digest``). The state is the alert state's ``failures`` key (``scrapers.alerts.state``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapers import clock, settings
from scrapers.alerts import dedupe
from scrapers.alerts.channels import Delivery, channel_urls, deliver, in_airflow_task
from scrapers.alerts.state import STATE_VERSION, alerts_lock, channel_id, load_state, save_state, state_path
from scrapers.landing import utcnow

log = logging.getLogger("fzzf.alerts")

ENV_REMIND_DAYS = "FZZF_FAILURE_REMIND_DAYS"  # days between two reminders of a failure that lasts; 0: none


class GateFailed(Exception):
    """A quality gate blocked publishing. The failure notifier titles these as gate failures, not as crashes."""


def failure_message(context: dict[str, Any]) -> tuple[str, str]:
    """Title and body for a failed task or gate, from an Airflow task context.

    A mapped task is named by its label (``crawl[东城区 (110101)]``), the run id and the log link are shown as
    read (not URL-encoded), the error is its root cause in one line (``scrapers.collect.errors.describe_error``),
    and file paths of the worker are shown relative to the data directory or by their last parts only: the
    channel is outside the machine."""
    from scrapers.collect.errors import describe_error

    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    run_id = getattr(ti, "run_id", None) or context.get("run_id", "?")
    exc = context.get("exception")
    gate = isinstance(exc, GateFailed) or type(exc).__name__ == "GateFailed"
    what = "quality gate failed, nothing published" if gate else "task failed"
    if map_index in (None, -1):
        task_label = task_id
    else:  # the map_index_template's label when it rendered, the bare index otherwise
        task_label = f"{task_id}[{getattr(ti, 'rendered_map_index', None) or map_index}]"
    title = f"fzzf {what}: {dag_id}.{task_label}"
    lines = [f"DAG: {dag_id}", f"Task: {task_label} (try {getattr(ti, 'try_number', '?')})", f"Run: {run_id}"]
    link = _log_link(ti)
    if link:
        lines.append(f"Log: {link}")
    if exc is None:
        lines.append("Error: (no exception in the context)")
    else:
        lines.append(f"Error: {_public_paths(describe_error(exc))}")
    return title, "\n".join(lines)


def _log_link(ti: Any) -> str | None:
    """The task's log URL as a person reads it (the run id decoded), or None when it is no web address."""
    try:
        url = ti.log_url if ti is not None else None
    except Exception:  # a context without the API's base_url config still deserves a notice
        return None
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return unquote(url)


# An absolute POSIX path of two or more parts, not inside a URL (a URL's path follows its host, never a space).
_ABS_PATH = re.compile(r"(?<![\w.:/~%-])/[\w.@+~-]+(?:/[\w.@+~-]+)+/?")


def _public_paths(text: str) -> str:
    """Paths under the data directory as ``DATA_DIR/…``, other absolute paths by their last two parts."""
    data_dir = str(settings.data_dir())

    def shorten(match: re.Match) -> str:
        path = match.group(0)
        if path == data_dir or path.startswith(data_dir + "/"):
            return "DATA_DIR" + path[len(data_dir) :]
        tail = [p for p in path.split("/") if p][-2:]
        return "…/" + "/".join(tail)

    return _ABS_PATH.sub(shorten, text)


def remind_days() -> int:
    return settings._env_int(ENV_REMIND_DAYS, 7)


def failure_key(context: dict[str, Any]) -> str:
    """What a task failure is about, the same on every run: ``crawl:<government id>`` for a crawl task (it puts its
    government in the context), else ``task:<dag_id>.<task_id>`` (with ``[<map index>]`` for a mapped one, e.g.
    one province of the resolve DAG: one province failing is not another's)."""
    government = context.get("government_id")
    if government:
        return f"crawl:{government}"
    return f"task:{_task_name(context)}"


def _task_name(context: dict[str, Any]) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    name = f"{dag_id}.{getattr(ti, 'task_id', '?')}"
    map_index = getattr(ti, "map_index", -1)
    if map_index not in (None, -1):
        # the rendered index (map_index_template: the province) outlives a registry reordering; the number does not
        name += f"[{getattr(ti, 'rendered_map_index', None) or map_index}]"
    return name


def describe_key(key: str) -> str:
    kind, _, what = key.partition(":")
    return {"crawl": f"crawl of {what}", "build": f"build ({what})"}.get(kind, what)


def _is_build_failure(exc: BaseException | None) -> bool:
    # The build task raises these (scrapers.orchestration.tasks); by name, as failure_message does, since the
    # task module imports this one. A build failure recovers only when a build is published.
    return exc is not None and any(c.__name__ in ("GateFailed", "BuildFailed") for c in type(exc).__mro__)


def _channels(urls: list[str] | None) -> tuple[list[str], list[tuple[str, str | None]]]:
    urls = channel_urls() if urls is None else urls
    return urls, [(channel_id(u), u) for u in urls] or [(channel_id(None), None)]


def _add(total: Delivery, delivery: Delivery) -> None:
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
    urls, channels = _channels(urls)
    every, today, now = remind_days(), clock.today(), utcnow().isoformat()
    total = Delivery(channels=len(urls))
    with alerts_lock(data_dir):
        path = state_path(data_dir)
        state = load_state(path)
        failing: dict[str, dict[str, Any]] = state.setdefault("failures", {})
        record = _open_record(failing, key, title, now, today)
        record.update(failures=record["failures"] + 1, last_at=now, last_title=title)
        if build:
            record["build"] = True
        for cid, url in channels:
            what = dedupe.due(record, cid, today, every)
            if what is None:
                continue
            text = (title, body) if what == dedupe.FIRST else _reminder(record, title, body, cid, every)
            delivery = deliver(data_dir, kind, *text, "failure", urls=[url] if url else [])
            _add(total, delivery)
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


def _open_record(failing: dict[str, dict[str, Any]], key: str, title: str, now: str, today) -> dict[str, Any]:
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
    urls, channels = _channels(urls)
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
            _add(total, delivery)
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


# --- crawl failures: one digest per collect run -------------------------------------------------------------------
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
        record = _open_record(state.setdefault("failures", {}), CRAWL_PREFIX + government_id, f"crawl of {label}",
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
    urls, channels = _channels(urls)
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
                record = _open_record(failing, key, f"crawl of {f['government']}", now, today)
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
            _add(total, delivery)
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


def notify_build_failure(data_dir: Path | str, result: Any) -> Delivery | None:
    """Tell the data engineers a build was not published (``run_build`` calls this with its ``BuildResult``), once
    per failed step until a build is published (``notify_build_published``).

    Inside an Airflow task the failed task's own ``on_failure_callback`` sends the notice, with the DAG, run and log
    link this function cannot know; sending here too would say the same thing twice.
    """
    title = f"fzzf build as of {result.as_of} not published: {result.failed_step} failed"
    if in_airflow_task():  # the task logs the summary once and fails; its callback sends the notice
        return None
    key = f"build:{result.failed_step}"
    return report_failure(data_dir, key, title, result.describe(), "build_failure", build=True)


def notify_quarantine(data_dir: Path | str, result: Any) -> Delivery:
    """Tell the data engineers, once, which rows a published build's marts gate took out: government, URL, the
    sentence the figure was read from and the expectation it failed (``run_build`` calls this with its
    ``BuildResult``). Rows taken out again by later builds are in ``marts.quarantined_rows``, not in a new notice.
    """
    from scrapers.gate.marts_quarantine import describe_rows

    rows = result.marts_newly_quarantined
    title = f"fzzf build as of {result.as_of}: {len(rows)} row(s) quarantined by the marts gate, the rest published"
    body = "\n".join(
        [
            "Taken out of the published marts (the reports and their coverage stay); see marts.quarantined_rows and",
            "expectations/README.md, 'When the marts gate fails'.",
            *describe_rows(rows),
        ]
    )
    return deliver(data_dir, "marts_quarantine", title, body, "warning")


def notify_build_published(data_dir: Path | str, result: Any) -> Delivery | None:
    """A build was published: every build failure (a failed step, the Airflow build task) is resolved."""
    return report_recovered(data_dir, lambda _k, r: bool(r.get("build")), f"build as of {result.as_of} published")


def notify_failure(context: dict[str, Any]) -> Delivery | None:
    """``on_failure_callback``: tell the data engineers which DAG, task and run failed, with the log link; once per
    failure key, a reminder at most every ``FZZF_FAILURE_REMIND_DAYS`` days. None when nothing was owed.

    A crawl task's failure is only recorded, and the collect run's own failures that say "governments failed"
    (``GovernmentsFailed`` from its report task, ``NothingLanded`` from ``landed``) send nothing: the report task's
    crawl digest (``send_crawl_digest``), or a failed plan's own notice, is their one notice."""
    exc = context.get("exception")
    key = failure_key(context)
    if key.startswith(CRAWL_PREFIX):
        from scrapers.collect.errors import describe_error

        cause = getattr(exc, "cause", None) or (describe_error(exc) if exc is not None else None)
        ti = context.get("ti") or context.get("task_instance")
        label = context.get("government") or getattr(ti, "rendered_map_index", None) or key[len(CRAWL_PREFIX) :]
        record_crawl_failure(settings.data_dir(), key[len(CRAWL_PREFIX) :], label,
                             _public_paths(cause) if cause else None, getattr(exc, "province", None),
                             getattr(ti, "run_id", None) or context.get("run_id"))  # fmt: skip
        return None
    title, body = failure_message(context)
    if getattr(exc, "said_elsewhere", False):  # by the crawl digest, or by the failed plan's own notice
        log.warning("%s: said by the collect run's crawl digest or its plan's notice; no second notice\n%s", title,
                    body)  # fmt: skip
        return None
    build = _is_build_failure(exc)
    return report_failure(settings.data_dir(), key, title, body, "pipeline_failure", build=build)


def notify_success(context: dict[str, Any]) -> Delivery | None:
    """``on_success_callback``: the task's failure, if one was alerted, is resolved (a build's only by publishing:
    the build task also succeeds for a what-if, which publishes nothing); a crawl task's only recorded, for the
    run's crawl digest."""
    key = failure_key(context)
    ti = context.get("ti") or context.get("task_instance")
    how = f"{_task_name(context)} succeeded in run {getattr(ti, 'run_id', None) or context.get('run_id', '?')}"
    if key.startswith(CRAWL_PREFIX):
        how = f"crawled in run {getattr(ti, 'run_id', None) or context.get('run_id', '?')}"
        record_crawl_recovered(settings.data_dir(), key[len(CRAWL_PREFIX) :], how)
        return None
    return report_recovered(settings.data_dir(), lambda k, r: k == key and not r.get("build"), how)


@functools.cache
def _notifier_classes():
    # Built on first use: the classes need airflow.sdk (2 s to import), which the `fzzf alert` CLI never needs.
    from airflow.sdk import BaseNotifier

    class FzzfFailureNotifier(BaseNotifier):
        """Airflow notifier for ``on_failure_callback``: failed tasks and failed gates to the fzzf channels."""

        def notify(self, context):
            notify_failure(context)

    class FzzfRecoveryNotifier(BaseNotifier):
        """Airflow notifier for ``on_success_callback``: the resolved line for a task whose failure was alerted."""

        def notify(self, context):
            notify_success(context)

    return FzzfFailureNotifier, FzzfRecoveryNotifier


def failure_notifier():
    """An Airflow ``BaseNotifier`` for ``on_failure_callback`` lists; it titles ``GateFailed`` as a gate failure."""
    return _notifier_classes()[0]()


def recovery_notifier():
    """An Airflow ``BaseNotifier`` for ``on_success_callback`` lists: resolves the task's alerted failure."""
    return _notifier_classes()[1]()
