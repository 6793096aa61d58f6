"""Pipeline failures to the data engineers: a failed task or gate (Airflow ``on_failure_callback``) and a build
that was not published, each one notice with what failed and where to look."""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapers import settings
from scrapers.alerts.channels import Delivery, deliver, in_airflow_task

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


def notify_build_failure(data_dir: Path | str, result: Any) -> Delivery | None:
    """Tell the data engineers a build was not published (``run_build`` calls this with its ``BuildResult``).

    Inside an Airflow task the failed task's own ``on_failure_callback`` sends the notice, with the DAG, run and log
    link this function cannot know; sending here too would say the same thing twice.
    """
    title = f"fzzf build as of {result.as_of} not published: {result.failed_step} failed"
    if in_airflow_task():  # the task logs the summary once and fails; its callback sends the notice
        return None
    return deliver(data_dir, "build_failure", title, result.describe(), "failure")


def notify_failure(context: dict[str, Any]) -> Delivery:
    """``on_failure_callback``: tell the data engineers which DAG, task and run failed, with the log link."""
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
