"""Pipeline failures to the data engineers: a failed task or gate (Airflow ``on_failure_callback``) and a build
that was not published, each one notice with what failed and where to look.

A failure that lasts is one problem, not one notice per run (``scrapers.alerts.dedupe``): each channel gets it
once when it starts, a reminder at most every ``FZZF_FAILURE_REMIND_DAYS`` (7) days while it keeps failing, and a
resolved line when it recovers. What a failure is about (its key, ``failure_key``): the government of a failed
crawl task, else the DAG's task; for a build outside Airflow, the step that failed. A task recovers when it
succeeds again (``on_success_callback``); a build recovers when a build is published. Crawl failures are not sent
one by one: their callbacks only record, and the collect run's report task sends one digest per channel
(``scrapers.alerts.crawl_digest``). The once / reminder / resolved ledger is ``scrapers.alerts.failure_ledger``.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapers import settings
from scrapers.alerts.channels import Delivery, deliver, in_airflow_task
from scrapers.alerts.crawl_digest import CRAWL_PREFIX, record_crawl_failure, record_crawl_recovered
from scrapers.alerts.failure_ledger import report_failure, report_recovered

log = logging.getLogger("fzzf.alerts")


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


def _is_build_failure(exc: BaseException | None) -> bool:
    # The build task raises these (scrapers.orchestration.tasks); by name, as failure_message does, since the
    # task module imports this one. A build failure recovers only when a build is published.
    return exc is not None and any(c.__name__ in ("GateFailed", "BuildFailed") for c in type(exc).__mro__)


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
