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

from scrapers.alerts import bots, secrets
from scrapers.alerts.secrets import mask_url

log = logging.getLogger("fzzf.notify")

ENV_URLS = "FZZF_ALERT_URLS"
ENV_CONN_ID = "FZZF_ALERT_CONN_ID"
DEFAULT_CONN_ID = "fzzf_alerts"
OUTBOX = "outbox.jsonl"
MAX_BODY = 32_768  # bytes per message for channels that declare no smaller limit


@dataclass
class Delivery:
    """What happened to one message: channels that took it, channels that refused it, where it was filed."""

    channels: int = 0
    sent: list[str] = field(default_factory=list)  # masked URLs (``mask_url``), never a token
    failed: list[str] = field(default_factory=list)  # masked URL and the reason
    filed: Path | None = None
    # Body lines each channel took, in whole parts (a message longer than a channel takes goes in parts, and a
    # refused part stops the rest): a digest records as sent only the lines some part actually carried.
    lines_taken: dict[str, int] = field(default_factory=dict)

    @property
    def delivered(self) -> bool:
        """Delivered when a configured channel took it; with no channel, filing it is the configured delivery."""
        return bool(self.sent) if self.channels else self.filed is not None

    def taken(self, lines: int) -> int:
        """How many of the body's ``lines`` lines reached a channel (all of them when filing was the delivery)."""
        if not self.channels:
            return lines if self.filed is not None else 0
        return max(self.lines_taken.values(), default=0)

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
    urls = _split_urls(os.environ.get(ENV_URLS, "")) or _connection_urls(os.environ.get(ENV_CONN_ID) or DEFAULT_CONN_ID)
    secrets.register(urls)
    return urls


def deliver(
    data_dir: Path | str,
    kind: str,
    title: str,
    body: str,
    notify_type: str = "info",
    urls: list[str] | None = None,
) -> Delivery:
    """Send one message to every channel, file it under ``DATA_DIR/alerts/`` and log it; never raises for a channel.

    ``notify_type`` is apprise's: info, success, warning or failure. The body is plain text: every channel gets it
    declared as text, so page text in it (a title, a link in a reason) is escaped for the channel's own markup by
    apprise (Slack ``&lt;``, Markdown ``\\[``, e-mail HTML) and DingTalk/WeCom get ``msgtype: text`` (``bots``).
    A body longer than a channel takes goes in parts, cut between lines; a part refused stops that channel.
    """
    urls = channel_urls() if urls is None else secrets.register(urls)
    outcome = Delivery(channels=len(urls))
    lines = body.split("\n")
    for url in urls:
        masked = mask_url(url)
        send, limit = _sender(url, notify_type)
        if send is None:
            outcome.failed.append(masked + " (not a valid apprise URL)")
            continue
        parts = split_lines(title, lines, limit)
        taken, why = 0, None
        for number, (start, end) in enumerate(parts, 1):
            part_title = title if len(parts) == 1 else f"{title} ({number}/{len(parts)})"
            why = send(part_title, _cut("\n".join(lines[start:end]), limit - len(part_title.encode("utf-8")) - 1))
            if why is not None:
                if len(parts) > 1:
                    why = f"part {number} of {len(parts)}: {why}"
                break
            taken = end
        outcome.lines_taken[masked] = taken
        if why is None:
            outcome.sent.append(masked)
        else:
            outcome.failed.append(f"{masked} ({why})")
    level = logging.WARNING if notify_type in ("warning", "failure") else logging.INFO
    log.log(level, "alert [%s] %s\n%s", kind, title, body)
    outcome.filed = _file(Path(data_dir), kind, title, body, notify_type, outcome)
    if outcome.failed:
        log.error("alert [%s] not delivered to: %s", kind, ", ".join(outcome.failed))
    return outcome


def _sender(url: str, notify_type: str):
    """(send(title, body) -> None or the reason it was refused, size limit in bytes) for one channel URL;
    (None, 0) for a URL apprise cannot parse."""
    import apprise  # 0.3 s; only paid by callers that actually send something

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return None, 0
    bot = bots.bot_for(url)
    if bot is not None:
        return (lambda title, body: bots.send(bot, plugin, title, body)), bot.limit

    def send(title: str, body: str) -> str | None:
        # The channel's own plugin, not an Apprise set: we need to know which channel failed, so a webhook that is
        # down does not hide a group that got the message. TEXT: apprise escapes it for the channel's markup.
        ok = plugin.notify(body=body, title=title, notify_type=notify_type, body_format=apprise.NotifyFormat.TEXT)
        return None if ok else "not delivered"

    return send, min(plugin.body_maxlen or MAX_BODY, MAX_BODY)


def split_lines(title: str, lines: list[str], limit: int) -> list[tuple[int, int]]:
    """Line ranges [start, end) of ``lines``, each sent as one message under ``limit`` UTF-8 bytes with its title
    (and a " (n/m)" mark); a single line longer than that goes alone, cut to fit (``_cut``)."""
    budget = max(limit - len(title.encode("utf-8")) - len(" (999/999)\n"), 1)
    parts: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, line in enumerate(lines):
        size = len(line.encode("utf-8")) + 1
        if i > start and used + size > budget:
            parts.append((start, i))
            start, used = i, 0
        used += size
    parts.append((start, len(lines)))
    return parts


def _cut(text: str, size: int) -> str:
    """``text`` within ``size`` UTF-8 bytes, cut at a character and marked: a bot refuses an over-long message
    outright, so one long line (a page title) must not block the digest for good."""
    data = text.encode("utf-8")
    if len(data) <= size:
        return text
    return data[: max(size - 3, 0)].decode("utf-8", errors="ignore") + "…"


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
