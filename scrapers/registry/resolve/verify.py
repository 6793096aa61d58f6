"""Prove that a page is a government's own portal, or say why not.

A page is this government's portal only when both hold: its site identity code (``<meta name="SiteIDCode">`` or the
footer's 网站标识码) starts with the government's 6-digit division code or a former code of it, and its site name
(``<meta name="SiteName">``, else ``<title>``, else the footer's 主办单位) is the government's name followed by 人民政府
and nothing but 门户网站/网站/首页. Anything else is refused with the reason: a wrong portal is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree

from scrapers.extract import tree
from scrapers.registry.governments import Government
from scrapers.registry.resolve.names import GOVERNMENT, Names, squash

PORTAL_TAILS = ("", "门户网站", "网站", "首页", "门户")
_CODE_IN_TEXT = re.compile(r"网站标识码[\s:：]*([0-9A-Za-z]{10})")
_HOST_IN_TEXT = re.compile(r"主办单位[\s:：]*([\u4e00-\u9fff]{2,40})")
_TITLE_SPLIT = re.compile(r"[-_|｜—–·:：>»\s]+")
_DEPARTMENT_END = re.compile(r"(局|委员会|委|办公室|办公厅|办|厅|中心|院|所|站|队)$")
_PARKED = ("域名出售", "域名转让", "此域名", "该域名", "domain is for sale", "buy this domain", "parked", "域名停放")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # why accepted (the evidence) or why refused
    site_code: str = ""
    site_name: str = ""


def page_identity(text: str) -> tuple[list[str], list[str], str]:
    """(site identity codes, site names in order of authority, visible text) of a page."""
    try:
        doc, _cut = tree.parse(text or "<html/>", html_elements=True)
    except (ValueError, lxml.etree.ParserError):
        return [], [], ""
    if doc is None:
        return [], [], ""
    meta = {}
    for node in doc.iter("meta"):
        name = (node.get("name") or "").strip().lower()
        if name and name not in meta:
            meta[name] = (node.get("content") or "").strip()
    visible = squash(" ".join(doc.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")))
    codes = [c for c in (meta.get("siteidcode", ""), *_CODE_IN_TEXT.findall(visible)) if c]
    title = squash(" ".join(doc.xpath("//title//text()")))
    names = [n for n in (squash(meta.get("sitename", "")), title) if n]
    names += [m for m in _HOST_IN_TEXT.findall(visible)][:1]
    return codes, names, visible


class Verifier:
    def __init__(self, names: Names):
        self.names = names
        # Every government's place names, to say which other government a page names.
        self._place_owner: dict[str, Government] = {}
        self._code_owner: dict[str, Government] = {}
        for gov in names.by_id.values():
            if gov.level in ("department", "township"):
                continue
            for place in names.places(gov):
                self._place_owner.setdefault(place, gov)
            for code in names.codes(gov):
                self._code_owner.setdefault(code, gov)

    def verify(self, gov: Government, text: str) -> Verdict:
        codes, site_names, visible = page_identity(text)
        if not codes and any(p in visible.lower() for p in _PARKED):
            return Verdict(False, "parked domain (the page offers the domain, names no government)")
        code_verdict = self._check_codes(gov, codes)
        if code_verdict is not None:
            return code_verdict
        name_ok, why = self._check_names(gov, site_names)
        if not name_ok:
            return Verdict(False, why, codes[0])
        return Verdict(True, f"site identity code {codes[0]}; site name {why}", codes[0], why)

    def _check_codes(self, gov: Government, codes: list[str]) -> Verdict | None:
        if not codes:
            return Verdict(False, "no SiteIDCode meta and no 网站标识码 in the footer")
        mine = self.names.codes(gov)
        parent = self.names.parent(gov)
        for code in codes:
            prefix = code[:6]
            if prefix in mine:
                continue
            if parent is not None and prefix in self.names.codes(parent):
                return Verdict(False, f"the parent's portal or one of its sites: site identity code {code} is "
                               f"{parent.name}'s", code)  # fmt: skip
            owner = self._code_owner.get(prefix)
            if owner is not None:
                return Verdict(False, f"another government's site: site identity code {code} is {owner.name}'s", code)
            return Verdict(False, f"site identity code {code} does not start with {gov.division_code}", code)
        return None

    def _check_names(self, gov: Government, site_names: list[str]) -> tuple[bool, str]:
        """(True, the name) when the site names this government as a portal; else (False, why not)."""
        if not site_names:
            return False, "no site name (no SiteName meta, <title> or 主办单位)"
        mine = self.names.places(gov)
        # The most authoritative name present decides: SiteName meta, else the title, else 主办单位.
        decisive = site_names[0]
        for part in [decisive, *_TITLE_SPLIT.split(decisive)]:
            kind, place = self._classify(part)
            if kind == "portal" and place in mine:
                return True, part
            if kind == "portal" and place in self._place_owner:
                return False, f"names another government: {part}"
            if kind == "department":
                return False, f"a department's site, not the government's portal: {part}"
        return False, f"site name {decisive!r} is not {gov.name} (+ 门户网站/网站/首页)"

    def _classify(self, part: str) -> tuple[str, str]:
        if GOVERNMENT in part:
            place, _, tail = part.partition(GOVERNMENT)
            if tail in PORTAL_TAILS:
                return "portal", place
            return "department", place
        if _DEPARTMENT_END.search(part) and any(part.startswith(p) for p in self._prefixes(part)):
            return "department", part
        return "unknown", part

    def _prefixes(self, part: str) -> list[str]:
        return [part[:n] for n in range(2, min(len(part), 12)) if part[:n] in self._place_owner]
