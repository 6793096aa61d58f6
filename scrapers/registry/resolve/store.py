"""What ``fzzf registry resolve`` found, kept in the data directory, and how the crawl and ``--write`` use it.

``DATA_DIR/registry/resolved.json`` holds one record per government: ``found`` (a verified portal, with evidence and
when it was last verified), ``undecided`` (none or two verified: a person decides), ``flagged`` (a portal that stopped
verifying, or a registry URL that does not verify), ``unreachable`` (tried again on the next run). The crawl loads the
registry through ``with_found_portals``, so a found portal is crawled without anyone editing YAML; a URL the registry
gives is never replaced.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock

from scrapers.landing import atomic_write_bytes
from scrapers.registry.governments import Registry, load_registry

log = logging.getLogger("fzzf.registry.resolve")

FILE = "resolved.json"
REVIEW = "resolve_review.yaml"
LEVELS = ("province", "city", "county")


class ResolvedFileError(ValueError):
    """``resolved.json`` cannot be read; the message names the file and what to do."""


def resolved_path(data_dir: Path) -> Path:
    return Path(data_dir) / "registry" / FILE


def load(data_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        doc = json.loads(resolved_path(data_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ResolvedFileError(
            f"{resolved_path(data_dir)}: not valid JSON ({exc}); move it away to resolve again"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("governments", {}), dict):
        raise ResolvedFileError(f"{resolved_path(data_dir)}: expected an object with a 'governments' object")
    return dict(doc.get("governments") or {})


def save(data_dir: Path, records: dict[str, dict[str, Any]]) -> None:
    """Merge ``records`` into the file under a lock: resolve runs per province may write at the same time."""
    path = resolved_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        merged = load(data_dir)
        merged.update(records)
        doc = {"governments": dict(sorted(merged.items()))}
        atomic_write_bytes(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
        review = {gid: r for gid, r in sorted(merged.items()) if r.get("status") != "found"}
        text = (
            "# Governments fzzf registry resolve could not decide: each with what was tried and why it was refused.\n"
            "# Decide by adding home_url (and its evidence in sources) to scrapers/registry/generate/sources/hand.yaml\n"
            "# and regenerating, or by fixing the entry's name/aliases and running `fzzf registry resolve --only ID`.\n"
        ) + yaml.safe_dump(review, allow_unicode=True, sort_keys=False, width=120)
        atomic_write_bytes(path.with_name(REVIEW), text.encode("utf-8"))


def with_found_portals(registry: Registry, data_dir: Path) -> Registry:
    """The registry with each found portal as the home page of a government that has none: the crawl starts its
    column discovery there, and coverage may call a year missing only once a column found there is confirmed."""
    try:
        records = load(data_dir)
    except ResolvedFileError as exc:
        # The crawl goes on with the registry alone: those governments stay `unknown`, never falsely `missing`.
        log.warning("found portals not used: %s", exc)
        return registry
    found = {gid: r for gid, r in records.items() if r.get("status") == "found" and r.get("home_url")}
    if not found:
        return registry
    governments = []
    for gov in registry:
        record = found.get(gov.id)
        if record and not gov.home_url and gov.level in LEVELS:
            gov = dataclasses.replace(
                gov,
                home_url=record["home_url"],
                no_url=False,
                sources=(*gov.sources, (record["home_url"], record["evidence"])),
            )
        governments.append(gov)
    return dataclasses.replace(registry, governments=tuple(governments))


def write_registry(registry: Registry, data_dir: Path, out: Path) -> int:
    """Write the whole registry to ``out`` with the found portals as ``home_url`` and their evidence in ``sources``;
    every entry of the input is kept. Returns how many entries got a portal. ``out`` is validated before it is
    left in place (a file that would not load is an error, not a surprise for the next crawl)."""
    raw = yaml.load(
        Path(registry.path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    found = {gid: r for gid, r in load(data_dir).items() if r.get("status") == "found" and r.get("home_url")}
    added = 0
    for entry in raw["governments"]:
        record = found.get(str(entry.get("id")))
        if not record or entry.get("home_url") or entry.get("level") not in LEVELS:
            continue
        entry.pop("no_url", None)
        entry.setdefault("list_urls", [])
        entry["home_url"] = record["home_url"]
        entry["sources"] = [*(entry.get("sources") or []), {"url": record["home_url"], "evidence": record["evidence"]}]
        added += 1
    header = (
        f"# Written by `fzzf registry resolve --write` from {registry.path}: {added} portal(s) found and verified.\n"
    )
    text = header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=120)
    out = Path(out)
    staged = out.with_name(out.name + ".tmp")
    staged.write_text(text, encoding="utf-8")
    try:
        load_registry(staged)
    except Exception:
        staged.unlink()
        raise
    staged.replace(out)
    return added
