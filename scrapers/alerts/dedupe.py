"""The one rule for telling a channel about a problem that lasts: the first line once, when it starts; a reminder
at most every N days while it lasts (when the caller wants reminders); a resolved line when it ends, to the
channels that had the first line. The missing-report digest and the pipeline-failure alerts both keep it here.

A problem is one record (a dict kept in ``alerts/state.json``); per channel id (``state.channel_id``) it holds
when that channel took the first line (``sent_to``), the Beijing day it was last told (``told_on``: the first line
or the latest reminder) and when it took the resolved line (``resolved_to``). A channel counts as told only after
it took the message: a channel that is down gets the line on a later run, never loses it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

FIRST, REMINDER = "first", "reminder"


def due(record: dict[str, Any], cid: str, today: dt.date | None = None, remind_days: int = 0) -> str | None:
    """What channel ``cid`` is owed about an open problem: FIRST, REMINDER (``remind_days`` > 0 and that many days
    since it was last told, by ``today``) or None (told, nothing more yet)."""
    if cid not in record.get("sent_to", {}):
        return FIRST
    if remind_days <= 0 or today is None:
        return None
    last = last_told(record, cid)
    return REMINDER if last is None or (today - last).days >= remind_days else None


def last_told(record: dict[str, Any], cid: str) -> dt.date | None:
    """The day ``cid`` was last told of the problem (first line or reminder); None when it never was."""
    day = record.get("told_on", {}).get(cid) or (record.get("sent_to", {}).get(cid) or "")[:10]
    try:
        return dt.date.fromisoformat(day) if day else None
    except ValueError:  # a hand-edited state: remind rather than stay silent
        return None


def resolved_due(record: dict[str, Any], cid: str) -> bool:
    """True when ``cid`` had the problem's first line and not yet its resolved line."""
    return cid in record.get("sent_to", {}) and cid not in record.get("resolved_to", {})


def mark(record: dict[str, Any], what: str, cid: str, now: str, today: dt.date | None = None) -> None:
    """Record that ``cid`` took the ``what`` line (FIRST, REMINDER or "resolved") at ``now`` (ISO timestamp)."""
    if what == FIRST:
        record.setdefault("sent_to", {})[cid] = now
    if what in (FIRST, REMINDER):
        record.setdefault("told_on", {})[cid] = (today or dt.date.fromisoformat(now[:10])).isoformat()
    if what == "resolved":
        record.setdefault("resolved_to", {})[cid] = now


def closed(record: dict[str, Any], live: set[str]) -> bool:
    """True once every current channel that had the first line has the resolved line too: the record can go.
    (A channel no longer configured is owed nothing.)"""
    return set(record.get("sent_to", {})) & live <= set(record.get("resolved_to", {}))
