"""Pipeline failures to the data engineers: a failed task or gate (Airflow ``on_failure_callback``) and a build
that was not published, each one notice with what failed and where to look."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from scrapers import settings
from scrapers.alerts.channels import Delivery, deliver, in_airflow_task

log = logging.getLogger("fzzf.alerts")


class GateFailed(Exception):
    """A quality gate blocked publishing. The failure notifier titles these as gate failures, not as crashes."""


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
    title = f"fzzf build as of {result.as_of} not published: {result.failed_step} failed"
    if in_airflow_task():
        log.warning("%s (the task's failure callback notifies)\n%s", title, result.describe())
        return None
    return deliver(data_dir, "build_failure", title, result.describe(), "failure")


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
