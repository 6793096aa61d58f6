"""Where alerts go: apprise channels from the environment or an Airflow connection, else the log and a file.

Channels are never configured in the repo. In order of precedence:

1. ``FZZF_ALERT_URLS``: apprise URLs separated by spaces, commas or newlines, e.g. ``json://host/hook``,
   ``dingtalk://token``, ``wecombot://key``, ``feishu://token``, ``mailtos://user:pass@host``, ``slack://...``.
2. Inside an Airflow task, the apprise connection ``FZZF_ALERT_CONN_ID`` (default ``fzzf_alerts``): its ``config``
   extra holds ``{"path": URL, "tag": ...}`` or a list of them, as for ``AppriseNotifier``.

Every message is also appended to ``DATA_DIR/alerts/outbox.jsonl`` and logged, so that with no channel configured the
alert still exists somewhere a person can read, and with channels configured there is an audit trail of what was
sent and which channel failed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("fzzf.notify")

ENV_URLS = "FZZF_ALERT_URLS"
ENV_CONN_ID = "FZZF_ALERT_CONN_ID"
DEFAULT_CONN_ID = "fzzf_alerts"
OUTBOX = "outbox.jsonl"


@dataclass
class Delivery:
    """What happened to one message: channels that took it, channels that refused it, where it was filed."""

    channels: int = 0
    sent: list[str] = field(default_factory=list)  # privacy-masked URLs (apprise hides tokens and passwords)
    failed: list[str] = field(default_factory=list)
    filed: Path | None = None

    @property
    def delivered(self) -> bool:
        """Delivered when a configured channel took it; with no channel, filing it is the configured delivery."""
        return bool(self.sent) if self.channels else self.filed is not None

    def describe(self) -> str:
        if not self.channels:
            return f"no alert channel configured; written to the log and {self.filed}"
        text = f"sent to {len(self.sent)} of {self.channels} channel(s)"
        if self.failed:
            text += f"; failed: {', '.join(self.failed)}"
        return text


def _split_urls(value: str) -> list[str]:
    return [u for u in re.split(r"[\s,]+", value.strip()) if u]


def in_airflow_task() -> bool:
    # Looking a connection up outside a running task means importing Airflow (2 s) to learn nothing: only the
    # task runner has the supervisor channel that serves connections.
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return runner is not None and getattr(runner, "SUPERVISOR_COMMS", None) is not None


def _connection_urls(conn_id: str) -> list[str]:
    if not in_airflow_task():
        return []
    from airflow.providers.apprise.hooks.apprise import AppriseHook
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return []
    config = AppriseHook(apprise_conn_id=conn_id).get_config_from_conn(conn)
    entries = config if isinstance(config, list) else [config]
    return [e["path"] for e in entries if isinstance(e, dict) and e.get("path")]


def channel_urls() -> list[str]:
    """The apprise URLs alerts go to (environment first, then the Airflow connection); empty when none is set."""
    urls = _split_urls(os.environ.get(ENV_URLS, ""))
    if urls:
        return urls
    return _connection_urls(os.environ.get(ENV_CONN_ID) or DEFAULT_CONN_ID)


def deliver(
    data_dir: Path | str,
    kind: str,
    title: str,
    body: str,
    notify_type: str = "info",
    urls: list[str] | None = None,
) -> Delivery:
    """Send one message to every channel, file it under ``DATA_DIR/alerts/`` and log it; never raises for a channel.

    ``notify_type`` is apprise's: info, success, warning or failure.
    """
    import apprise  # 0.3 s; only paid by callers that actually send something

    urls = channel_urls() if urls is None else urls
    outcome = Delivery(channels=len(urls))
    for url in urls:
        sender = apprise.Apprise()
        if not sender.add(url):
            outcome.failed.append(_scheme(url) + " (not a valid apprise URL)")
            continue
        masked = sender[0].url(privacy=True)
        # One Apprise object per URL: apprise's own notify() answers False if any one channel failed, and we need
        # to know which, so a webhook that is down does not hide a DingTalk group that got the message.
        if sender.notify(body=body, title=title, notify_type=notify_type):
            outcome.sent.append(masked)
        else:
            outcome.failed.append(masked)
    level = logging.WARNING if notify_type in ("warning", "failure") else logging.INFO
    log.log(level, "alert [%s] %s\n%s", kind, title, body)
    outcome.filed = _file(Path(data_dir), kind, title, body, notify_type, outcome)
    if outcome.failed:
        log.error("alert [%s] not delivered to: %s", kind, ", ".join(outcome.failed))
    return outcome


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] + "://…" if "://" in url else "?"


def _file(data_dir: Path, kind: str, title: str, body: str, notify_type: str, outcome: Delivery) -> Path | None:
    path = data_dir / "alerts" / OUTBOX
    record = {
        "at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "kind": kind,
        "type": notify_type,
        "title": title,
        "body": body,
        "sent": outcome.sent,
        "failed": outcome.failed,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Appending one line with O_APPEND is atomic enough for a log read by people; the state that decides what
        # is sent again lives in state.json, written atomically, not here.
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as exc:
        log.error("cannot file alert under %s: %s", path.parent, exc)
        return None
    return path
