"""What the alert channel has already been told (``DATA_DIR/alerts/state.json``): per (government, year), when the
missing line reached each channel and when its resolved line did; the overdue reminders sent.

The state records deliveries, never wishes: it is written only after a channel took the message. A state file
that cannot be read is kept aside and the current gaps are sent again (a repeated line beats a gap never sent).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from filelock import FileLock

from scrapers.alerts.channels import channel_urls
from scrapers.landing import atomic_write_bytes, utcnow

log = logging.getLogger("fzzf.alerts")

STATE_VERSION = 2  # 2: delivery kept per channel (sent_to / resolved_to: channel id -> when)


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / "alerts" / "state.json"


def alerts_lock(data_dir: Path) -> FileLock:
    """Two runs at once (a hand-triggered build beside the scheduled one, two failing tasks) must not both see a key
    as new: every read-change-write of the state holds this lock."""
    (Path(data_dir) / "locks").mkdir(parents=True, exist_ok=True)
    return FileLock(str(Path(data_dir) / "locks" / "alerts.lock"), timeout=300)


def report_key(row: dict[str, Any]) -> str:
    return f"{row['government_id']}|{int(row['report_year'])}"


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
            row.setdefault("sent_to", {cid: row.get("alerted_at") for cid in current_channel_ids()})
        state["version"] = STATE_VERSION
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"{path}: alert state version {state.get('version')!r}, expected {STATE_VERSION}")
    return state


def peek_state(path: Path) -> tuple[dict[str, Any], str | None]:
    """The alert state for a reader that must change nothing (the coverage page): ``(state, problem)``. Unlike
    ``load_state`` an unreadable file is left where it is (the next ``fzzf alert`` sets it aside and sends again);
    the state is then empty and ``problem`` says why, so nothing reads as "already told" that cannot be shown."""
    empty: dict[str, Any] = {"version": STATE_VERSION, "missing": {}}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty, None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return empty, f"{path}: unreadable ({exc})"
    if not isinstance(state, dict) or not isinstance(state.get("missing", {}), dict):
        return empty, f"{path}: not an alert state object"
    if state.get("version") not in (1, STATE_VERSION):
        return empty, f"{path}: alert state version {state.get('version')!r}, expected {STATE_VERSION}"
    return state, None


def channel_id(url: str | None) -> str:
    """A stable name for a channel that does not keep its secret in the state file."""
    return "outbox" if url is None else "ch-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def current_channel_ids() -> list[str]:
    return [channel_id(u) for u in channel_urls()] or [channel_id(None)]


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state atomically (a crash leaves the old state or the new one, never half of either)."""
    atomic_write_bytes(path, json.dumps(state, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"))


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
