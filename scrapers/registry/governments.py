"""The registry of governments: one YAML file read by the crawler and by dbt, validated strictly.

A bad entry stops everything before anything is crawled or written, with a message that names the file, the entry
and the field, so whoever edits the registry can fix it without reading code.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

LEVELS = ("province", "city", "county", "township", "department")
FIRST_REPORT_YEAR = 2004  # reports exist from the 2004 纲要 on (as the landing gate, expectations/landing_reports.json)
DEFAULTS = {"reports_from": 2016, "due": "04-01", "grace_days": 30}

_REQUIRED = {"id": str, "name": str, "level": str, "province": str, "list_urls": list}  # list_urls: not with no_url
_OPTIONAL = {
    "reports_from": int,
    "parent_id": str,
    "due": str,
    "grace_days": int,
    "division_code": str,  # GB/T 2260 code when the id carries a suffix (departments); else the id itself
    "verified": bool,  # false: the list URL was rebuilt from a report URL and not yet seen working
    "extra_hosts": list,  # other hosts of the same government whose links may be followed
    "aliases": list,  # other names the government signs reports with
    "note": str,
    "report_urls": list,  # report pages seen published: fetched directly, each run, beside the list pages
    "home_url": str,  # the portal's home page (a start for column discovery; not read as a list page)
    "no_url": bool,  # true: no URL of any kind is known yet (registered so coverage says unknown, not missing)
    "sources": list,  # evidence per URL: [{url, evidence}], where each URL was seen
}
_CODE = re.compile(r"^\d{6}$")
# An id names the government's files (state/<id>.json, landing/<stream>/<run>/<id>.jsonl, locks/gov-<id>.lock):
# only characters that are the same on every file system, so no two ids share a file and none leaves its directory.
# The shipped ids are 6-digit codes and code + "-" + a pinyin suffix (500000-jw).
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_DUE = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class RegistryError(ValueError):
    """A registry that cannot be used. ``str()`` names the file, the entry and the field."""

    def __init__(self, path: Path | str, message: str, entry: str | None = None, field: str | None = None):
        self.path, self.entry, self.field = str(path), entry, field
        where = self.path
        if entry is not None:
            where += f": entry {entry}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Government:
    id: str
    name: str
    level: str
    province: str
    list_urls: tuple[str, ...]
    reports_from: int
    due: str
    grace_days: int
    parent_id: str | None = None
    division_code: str | None = None
    verified: bool = True
    extra_hosts: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    note: str | None = None
    report_urls: tuple[str, ...] = ()
    home_url: str | None = None
    no_url: bool = False
    sources: tuple[tuple[str, str], ...] = ()  # (url, evidence)

    @property
    def crawl_urls(self) -> tuple[str, ...]:
        """What the crawler reads: list pages (or, with none, the home page to find them from), then report pages."""
        return self.list_starts + self.report_urls

    @property
    def list_starts(self) -> tuple[str, ...]:
        """Where list reading starts: the list pages, else the portal's home page, from which column discovery
        (scrapers/collect/locate.py) finds the report columns. Coverage stays `unknown` for a home-page-only entry
        until a list page is registered: a column found by discovery is a suggestion (`fzzf locate --write`)."""
        return self.list_urls or ((self.home_url,) if self.home_url else ())

    @property
    def url_status(self) -> str:
        """The best URL known: ``list`` (a column to read), ``report`` (report pages only), ``home``, ``none``.

        Only a list page can show that a year's report is absent; coverage says ``unknown`` for the others."""
        if self.list_urls:
            return "list"
        if self.report_urls:
            return "report"
        return "home" if self.home_url else "none"

    def due_date(self, report_year: int) -> dt.date:
        """The day by which the report for ``report_year`` must be public (in the following year)."""
        month, day = (int(x) for x in self.due.split("-"))
        return dt.date(report_year + 1, month, day)

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["list_urls"] = list(self.list_urls)
        row["extra_hosts"] = list(self.extra_hosts)
        row["aliases"] = list(self.aliases)
        row["report_urls"] = list(self.report_urls)
        row["sources"] = [{"url": u, "evidence": e} for u, e in self.sources]
        return row


@dataclass(frozen=True)
class Registry:
    path: Path
    governments: tuple[Government, ...]
    defaults: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS))

    def __iter__(self):
        return iter(self.governments)

    def __len__(self) -> int:
        return len(self.governments)

    def get(self, government_id: str) -> Government:
        for gov in self.governments:
            if gov.id == government_id:
                return gov
        raise KeyError(government_id)

    def select(self, only: list[str] | None) -> list[Government]:
        """The governments named by ``--only`` (all when empty); an unknown id is a configuration error."""
        if not only:
            return list(self.governments)
        known = {g.id for g in self.governments}
        unknown = [i for i in only if i not in known]
        if unknown:
            raise RegistryError(self.path, f"--only names ids not in the registry: {', '.join(unknown)}")
        wanted = set(only)
        return [g for g in self.governments if g.id in wanted]


def _type_name(expected: type) -> str:
    return {str: "a string", int: "an integer", list: "a list", bool: "true or false"}[expected]


def _check_type(path, entry, key, value, expected):
    # bool is an int in Python; a registry saying `reports_from: true` is a mistake, not the year 1.
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise RegistryError(path, f"must be {_type_name(expected)}, got {type(value).__name__} {value!r}", entry, key)


def _check_url(path, entry, key, url):
    if not isinstance(url, str):
        raise RegistryError(path, f"must be a list of URL strings, got {url!r}", entry, key)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(path, f"not an absolute http(s) URL: {url!r}", entry, key)


def _check_url_presence(path, entry, raw) -> None:
    """An entry without any URL is allowed, but only when it says so: a forgotten URL must not pass as 'none known'."""
    urls = [*raw["list_urls"], *(raw.get("report_urls") or []), *([raw["home_url"]] if raw.get("home_url") else [])]
    if raw.get("no_url"):
        if urls:
            raise RegistryError(path, f"says no URL is known, but the entry has {urls[0]!r}", entry, "no_url")
    elif not urls:
        raise RegistryError(
            path,
            "needs at least one URL (list_urls, report_urls or home_url), or 'no_url: true' for a government "
            "whose portal is not known yet",
            entry,
            "list_urls",
        )


def _check_sources(path, entry, raw) -> tuple[tuple[str, str], ...]:
    """Evidence per URL; each must be about a URL of this entry, so evidence cannot outlive its URL."""
    urls = {*raw["list_urls"], *(raw.get("report_urls") or []), raw.get("home_url")}
    out = []
    for item in raw.get("sources") or []:
        if not isinstance(item, dict) or set(item) != {"url", "evidence"}:
            raise RegistryError(path, f"each item must be a mapping with url and evidence, got {item!r}", entry,
                                "sources")  # fmt: skip
        if not isinstance(item["evidence"], str) or not item["evidence"].strip():
            raise RegistryError(path, f"evidence must be a non-empty string, got {item['evidence']!r}", entry,
                                "sources")  # fmt: skip
        if item["url"] not in urls:
            raise RegistryError(path, f"evidence for {item['url']!r}, which is not a URL of this entry", entry,
                                "sources")  # fmt: skip
        out.append((item["url"], item["evidence"].strip()))
    return tuple(out)


def _check_defaults(path, raw) -> dict[str, Any]:
    if raw is None:
        return dict(DEFAULTS)
    if not isinstance(raw, dict):
        raise RegistryError(path, "'defaults' must be a mapping", "defaults")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise RegistryError(path, f"unknown key (allowed: {', '.join(DEFAULTS)})", "defaults", unknown[0])
    merged = dict(DEFAULTS)
    for key, value in raw.items():
        _check_type(path, "defaults", key, value, type(DEFAULTS[key]))
        merged[key] = value
    _check_values(path, "defaults", merged)
    return merged


def _check_values(path, entry, values: dict[str, Any]) -> None:
    due = values.get("due")
    if due is not None:
        if not _DUE.match(due):
            raise RegistryError(path, f"must be MM-DD, got {due!r}", entry, "due")
        month, day = (int(x) for x in due.split("-"))
        try:
            dt.date(2001, month, day)  # not a leap year: a due date must exist every year
        except ValueError:
            raise RegistryError(path, f"no such day in every year: {due!r}", entry, "due") from None
    year = values.get("reports_from")
    if year is not None and not FIRST_REPORT_YEAR <= year <= 2100:
        raise RegistryError(path, f"must be a year from {FIRST_REPORT_YEAR} on, got {year}", entry, "reports_from")
    grace = values.get("grace_days")
    if grace is not None and not 0 <= grace <= 366:
        raise RegistryError(path, f"must be 0..366 days, got {grace}", entry, "grace_days")


def parse_registry(data: Any, path: Path | str) -> Registry:
    """Validate an already-loaded YAML document; raises RegistryError on the first problem."""
    path = Path(path)
    if not isinstance(data, dict):
        raise RegistryError(path, "the file must be a mapping with a 'governments' list")
    unknown_top = sorted(set(data) - {"defaults", "governments"})
    if unknown_top:
        raise RegistryError(path, "unknown top-level key (allowed: defaults, governments)", field=unknown_top[0])
    defaults = _check_defaults(path, data.get("defaults"))
    entries = data.get("governments")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(path, "'governments' must be a non-empty list", field="governments")

    governments: list[Government] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(entries):
        label = f"#{index + 1}"
        if not isinstance(raw, dict):
            raise RegistryError(path, f"must be a mapping, got {type(raw).__name__}", label)
        if isinstance(raw.get("id"), str) and raw["id"].strip():
            label = f"{raw['id']!r} (#{index + 1})"
        for key in raw:
            if key not in _REQUIRED and key not in _OPTIONAL:
                allowed = ", ".join([*_REQUIRED, *_OPTIONAL])
                raise RegistryError(path, f"unknown key (allowed: {allowed})", label, key)
        if raw.get("no_url") is True and "list_urls" not in raw:
            raw = {**raw, "list_urls": []}  # nothing to list: the key may be left out (3,000 entries load faster)
        for key, expected in _REQUIRED.items():
            if key not in raw or raw[key] is None:
                raise RegistryError(path, "missing required key", label, key)
            _check_type(path, label, key, raw[key], expected)
        for key, expected in _OPTIONAL.items():
            if key in raw and raw[key] is not None:
                _check_type(path, label, key, raw[key], expected)
        for key in ("id", "name", "province"):
            if not raw[key].strip():
                raise RegistryError(path, "must not be empty", label, key)
        if raw["level"] not in LEVELS:
            raise RegistryError(path, f"must be one of {', '.join(LEVELS)}, got {raw['level']!r}", label, "level")
        for key in ("list_urls", "report_urls"):
            for url in raw.get(key) or []:
                _check_url(path, label, key, url)
        if raw.get("home_url") is not None:
            _check_url(path, label, "home_url", raw["home_url"])
        _check_url_presence(path, label, raw)
        sources = _check_sources(path, label, raw)
        for key in ("extra_hosts", "aliases"):
            for item in raw.get(key) or []:
                if not isinstance(item, str) or not item.strip():
                    raise RegistryError(path, f"must be a list of non-empty strings, got {item!r}", label, key)
        _check_values(path, label, raw)
        gid = raw["id"]
        if not _SAFE_ID.match(gid):
            raise RegistryError(
                path, f"must be letters, digits, '-' and '_' (up to 64, starting with a letter or digit), got {gid!r}",
                label, "id",
            )  # fmt: skip
        # Case apart, two ids would share their files on a case-insensitive disk.
        if gid.lower() in seen:
            raise RegistryError(path, f"duplicate id, first used by entry #{seen[gid.lower()] + 1}", label, "id")
        seen[gid.lower()] = index
        governments.append(
            Government(
                id=gid,
                name=raw["name"].strip(),
                level=raw["level"],
                province=raw["province"].strip(),
                list_urls=tuple(raw["list_urls"]),
                reports_from=raw.get("reports_from", defaults["reports_from"]),
                due=raw.get("due", defaults["due"]),
                grace_days=raw.get("grace_days", defaults["grace_days"]),
                parent_id=raw.get("parent_id"),
                # A plain 6-digit id is the division code itself; an id with a suffix names it explicitly.
                division_code=raw.get("division_code") or (gid if _CODE.match(gid) else None),
                verified=raw.get("verified", True),
                extra_hosts=tuple(raw.get("extra_hosts") or ()),
                aliases=tuple(raw.get("aliases") or ()),
                note=raw.get("note"),
                report_urls=tuple(raw.get("report_urls") or ()),
                home_url=raw.get("home_url"),
                no_url=raw.get("no_url", False),
                sources=sources,
            )
        )
    for gov in governments:
        # A parent outside the registry is allowed (a department of a government we do not crawl), but a
        # parent pointing at itself is a typo that would make hierarchies loop.
        if gov.parent_id == gov.id:
            raise RegistryError(path, "a government cannot be its own parent", repr(gov.id), "parent_id")
    return Registry(path=path, governments=tuple(governments), defaults=defaults)


def load_registry(path: Path | str) -> Registry:
    """Read and validate the registry file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(path, f"cannot read: {exc}") from None
    try:
        # libyaml's loader is about 5x faster on a registry of thousands of governments; same safe subset.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RegistryError(path, f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse_registry(data, path)
