"""Which registry a data directory was crawled with, so that a build never silently drops a landed government.

Every crawl records its registry in ``DATA_DIR/registry/``: a copy of the file named by its sha256 and
``current.json`` (path, hash, government count, and the history of changes). A build given no registry uses that
one; a build given a registry that lacks governments whose reports are landed stops (exit 2) unless told to drop
them, naming the file and how many it would drop.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from scrapers.landing import STREAMS, atomic_write_bytes, sha256_hex, utcnow
from scrapers.registry.governments import Registry, load_registry

log = logging.getLogger("fzzf.registry")


class RegistryMismatch(Exception):
    """The build's registry lacks governments whose reports are landed (a usage error: exit 2)."""


@dataclass
class Recorded:
    path: Path  # the registry file as the crawl named it
    copy: Path  # the data directory's own copy, as it was when recorded
    sha256: str
    governments: int


def _dir(data_dir: Path) -> Path:
    return Path(data_dir) / "registry"


def recorded(data_dir: Path) -> Recorded | None:
    """The registry the data directory was last crawled with, or None (never crawled, or recorded before fzzf
    kept this)."""
    meta = _dir(data_dir) / "current.json"
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
        return Recorded(Path(doc["path"]), _dir(data_dir) / doc["copy"], doc["sha256"], int(doc["governments"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s is unreadable (%s); the data directory's registry is not known", meta, exc)
        return None


def record(data_dir: Path, registry: Registry) -> str | None:
    """Record ``registry`` as the one this data directory is crawled with; returns a line saying what changed
    since the last crawl (None when nothing did)."""
    data = Path(registry.path).read_bytes()
    digest = sha256_hex(data)
    previous = recorded(data_dir)
    if previous and previous.sha256 == digest:
        return None
    copy = _dir(data_dir) / f"{digest[:16]}.yaml"
    if not copy.exists():
        atomic_write_bytes(copy, data)
    history = []
    meta = _dir(data_dir) / "current.json"
    if meta.exists():
        try:
            history = json.loads(meta.read_text(encoding="utf-8")).get("history", [])
        except ValueError:
            history = []
    entry = {
        "path": str(Path(registry.path).resolve()),
        "copy": copy.name,
        "sha256": digest,
        "governments": len(registry),
        "recorded_at": utcnow().isoformat(),
    }
    doc = {**entry, "history": [*history, entry]}
    atomic_write_bytes(meta, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    if previous is None:
        return None
    change = _difference(previous, registry)
    message = (
        f"registry changed since the last crawl of {data_dir}: was {previous.path} ({previous.governments} "
        f"governments), now {registry.path} ({len(registry)}){change}"
    )
    log.warning("%s", message)
    return message


def _difference(previous: Recorded, registry: Registry) -> str:
    try:
        before = {g.id for g in load_registry(previous.copy)}
    except Exception:  # noqa: BLE001 - the old copy is only for this message
        return ""
    now = {g.id for g in registry}
    return f"; {len(now - before)} added, {len(before - now)} removed"


def landed_governments(data_dir: Path) -> set[str]:
    """File-safe ids of every government with landed files (the file names, no file is opened)."""
    base = Path(data_dir) / "landing"
    return {path.stem for stream in STREAMS for path in (base / stream).glob("*/*.jsonl")}


def registry_for(data_dir: Path, explicit: Path | None, default: Path) -> Path:
    """The registry file a command on ``data_dir`` reads: the one named, else the one the data directory was crawled
    with (its copy, if the file was since changed or removed), else ``default``."""
    if explicit is not None:
        return explicit
    mine = recorded(data_dir)
    if mine is None:
        return default
    path = mine.path if mine.path.exists() and sha256_hex(mine.path.read_bytes()) == mine.sha256 else mine.copy
    log.info("using the registry this data directory was crawled with: %s", path)
    return path


def choose(
    data_dir: Path, explicit: Path | None, default: Path, drop_unregistered: bool = False
) -> tuple[Path, Registry]:
    """The registry a build of ``data_dir`` uses (its path, loaded): the one named, else the data directory's own,
    else ``default``.

    Raises RegistryMismatch when the registry would leave out governments whose files are landed, unless
    ``drop_unregistered``; with the data directory's own registry that cannot happen unless it was edited by hand.
    """
    from scrapers.landing import _safe_name

    mine = recorded(data_dir)
    path = registry_for(data_dir, explicit, default)
    registry = load_registry(path)
    dropped = sorted(landed_governments(data_dir) - {_safe_name(g.id) for g in registry})
    if dropped and not drop_unregistered:
        hint = f" (it was crawled with {mine.path})" if mine is not None and mine.path != path else ""
        shown = ", ".join(dropped[:5]) + (" …" if len(dropped) > 5 else "")
        raise RegistryMismatch(
            f"{path}: {len(dropped)} government(s) with landed reports are not in this registry ({shown}){hint}; "
            "the build would drop them. Use the registry the data was crawled with (omit --registry), or pass "
            "--drop-unregistered to build without them."
        )
    if dropped:
        log.warning("%s: building without %d landed government(s) not in it: %s", path, len(dropped), dropped[:20])
    return path, registry
