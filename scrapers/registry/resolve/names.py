"""The names and codes a government is known by: the forms a parent portal's link text and a portal's site name use,
and the former names and codes a renamed or merged division still shows (data/division_changes.csv)."""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from scrapers.registry.governments import Government, Registry

CHANGES_FILE = Path(__file__).resolve().parent / "data" / "division_changes.csv"
GOVERNMENT = "人民政府"
# Longest first: 自治县 before 县. An ethnic autonomous unit's suffix carries its peoples (彝族自治县).
_ETHNIC = re.compile(r"^(.{2,}?)((?:[^族]{1,5}族)+自治[县旗州区])$")
_SUFFIXES = (
    "自治县",
    "自治旗",
    "自治州",
    "自治区",
    "特区",
    "林区",
    "新区",
    "矿区",
    "地区",
    "盟",
    "县",
    "市",
    "区",
    "旗",
    "省",
)
_SPACE = re.compile(r"[\s\u3000\xa0]+")


@dataclass(frozen=True)
class Change:
    year: int
    change: str
    code: str
    name: str
    former_code: str
    former_name: str


@functools.cache
def division_changes() -> tuple[Change, ...]:
    with CHANGES_FILE.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return tuple(Change(int(r["year"]), r["change"], r["code"], r["name"], r["former_code"], r["former_name"])
                     for r in rows)  # fmt: skip


def squash(text: str) -> str:
    return _SPACE.sub("", text or "")


def strip_suffix(name: str) -> str:
    """The place name without its unit: 兴庆区 -> 兴庆, 峨边彝族自治县 -> 峨边; a name that would be left with one
    character keeps its suffix (a 1-character stem is not a name: 赵县 stays 赵县)."""
    match = _ETHNIC.match(name)
    if match:
        return match.group(1)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def own_name(gov: Government, parent: Government | None) -> str:
    """The government's place name without 人民政府 and without the parent's name before it:
    银川市兴庆区人民政府 -> 兴庆区."""
    name = squash(gov.name).removesuffix(GOVERNMENT)
    if parent is not None:
        prefix = squash(parent.name).removesuffix(GOVERNMENT)
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            name = name[len(prefix) :]
    return name


class Names:
    """Name forms and codes of every government in a registry, with the division changes applied."""

    def __init__(self, registry: Registry):
        self.by_id = {g.id: g for g in registry}
        self.children: dict[str, list[Government]] = {}
        for gov in registry:
            if gov.parent_id:
                self.children.setdefault(gov.parent_id, []).append(gov)
        current = {g.division_code for g in registry if g.division_code}
        self.former_codes: dict[str, set[str]] = {}
        self.former_names: dict[str, set[str]] = {}
        for change in division_changes():
            if change.former_code != change.code and change.former_code not in current:
                # A former code that now belongs to another government proves nothing about this one.
                self.former_codes.setdefault(change.code, set()).add(change.former_code)
            self.former_names.setdefault(change.code, set()).add(change.former_name)

    def parent(self, gov: Government) -> Government | None:
        return self.by_id.get(gov.parent_id or "")

    def codes(self, gov: Government) -> set[str]:
        code = gov.division_code or ""
        return {code, *self.former_codes.get(code, ())} - {""}

    @functools.cache  # noqa: B019 - one Names per resolve run; governments are frozen
    def places(self, gov: Government) -> frozenset[str]:
        """Place names that are this government (no 人民政府): full, own, former names, aliases."""
        parent = self.parent(gov)
        full = squash(gov.name).removesuffix(GOVERNMENT)
        own = own_name(gov, parent)
        names = {full, own}
        for former in self.former_names.get(gov.division_code or "", ()):
            names.add(former)
            if parent is not None:
                names.add(squash(parent.name).removesuffix(GOVERNMENT) + former)
        names.update(squash(a).removesuffix(GOVERNMENT) for a in gov.aliases)
        return frozenset(n for n in names if n)

    @functools.cache  # noqa: B019
    def link_names(self, gov: Government) -> frozenset[str]:
        """Link texts that name this government on its parent's portal: each place name with and without
        人民政府, and the stem without its suffix when no sibling shares that stem."""
        names = set(self.places(gov))
        siblings = [s for s in self.children.get(gov.parent_id or "", []) if s.id != gov.id]
        taken = {strip_suffix(n) for s in siblings for n in self.places(s)} | {
            n for s in siblings for n in self.places(s)
        }
        for place in list(names):
            stem = strip_suffix(place)
            if stem != place and stem not in taken:
                names.add(stem)
        return frozenset(names | {n + GOVERNMENT for n in names} | {n + "政府" for n in names})
