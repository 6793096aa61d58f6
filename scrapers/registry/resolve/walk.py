"""Links from a government portal to its subordinate governments' portals.

Portals link their children in several ways: ``<select>`` options whose values are URLs (市州/区县政府网站), a block of
links in the header or footer, a 政府网站群/地方政府 page one click away, a script array of names and URLs, an image
link whose only text is ``alt``. ``portal_links`` reads all of them from one page; ``hub_pages`` says which links lead
to a page of such links; ``match_children`` pairs link texts with the children registered under the parent.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.etree

from scrapers.extract import tree
from scrapers.registry.governments import Government
from scrapers.registry.resolve.names import Names, squash

# Link texts of a page that lists the subordinate governments' sites (followed one click away).
HUB_WORDS = ("政府网站群", "网站群", "地方政府", "区县政府", "县市区政府", "市州政府", "市县政府", "各区县", "各县市区",
             "下级政府", "政府网站导航", "网站导航")  # fmt: skip
_SCRIPT_PAIR = re.compile(
    r"""(["'])(?P<name>[\u4e00-\u9fff]{2,20})\1[^"'\n]{0,40}?(["'])(?P<url>(?:https?:)?//[^"'\s]+)\3"""
)
_SCRIPT_PAIR_REVERSED = re.compile(
    r"""(["'])(?P<url>(?:https?:)?//[^"'\s]+)\1[^"'\n]{0,40}?(["'])(?P<name>[\u4e00-\u9fff]{2,20})\3"""
)


def portal_links(text: str, base_url: str) -> list[tuple[str, str]]:
    """(link text, absolute URL) for every link of the page: anchors (text, else title, else an image's alt),
    select options carrying URLs, and name/URL pairs in scripts."""
    try:
        doc, _cut = tree.parse(text or "<html/>", html_elements=True)
    except (ValueError, lxml.etree.ParserError):
        return []
    if doc is None:
        return []
    out: list[tuple[str, str]] = []

    def add(label: str, href: str | None) -> None:
        href = (href or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            return
        url = urljoin(base_url, href).split("#", 1)[0]
        if urlsplit(url).scheme in ("http", "https"):
            out.append((squash(label), url))

    for anchor in doc.iter("a"):
        label = squash(anchor.text_content()) or (anchor.get("title") or "")
        if not squash(label):
            label = " ".join(img.get("alt") or "" for img in anchor.iter("img"))
        add(label, anchor.get("href"))
    for option in doc.iter("option"):
        value = (option.get("value") or "").strip()
        if value.startswith(("http://", "https://", "//")):
            add(option.text_content(), value)
    for script in doc.iter("script"):
        code = script.text or ""
        for pattern in (_SCRIPT_PAIR, _SCRIPT_PAIR_REVERSED):
            for match in pattern.finditer(code):
                add(match.group("name"), match.group("url"))
    return out


def hub_pages(links: list[tuple[str, str]], site_url: str) -> list[str]:
    """Pages on the portal's own site whose link text says they list the subordinate governments' sites."""
    host = urlsplit(site_url).hostname
    seen: list[str] = []
    for label, url in links:
        if urlsplit(url).hostname == host and any(w in label for w in HUB_WORDS) and url not in seen:
            seen.append(url)
    return seen


def match_children(
    links: list[tuple[str, str]], children: list[Government], names: Names, parent_url: str
) -> dict[str, list[tuple[str, str]]]:
    """Child id -> [(link text, URL)] for links whose text is exactly one of the child's names (full, without
    人民政府, without its suffix when no sibling shares the stem, former names, aliases). A link to the parent's own
    host is not a child's portal (a 县区 column of the parent's site)."""
    by_text: dict[str, list[Government]] = {}
    for child in children:
        for name in names.link_names(child):
            by_text.setdefault(name, []).append(child)
    parent_host = urlsplit(parent_url).hostname
    found: dict[str, list[tuple[str, str]]] = {}
    for label, url in links:
        owners = by_text.get(label.removesuffix("门户网站").removesuffix("网站")) or by_text.get(label)
        if not owners or len(owners) != 1 or urlsplit(url).hostname == parent_host:
            continue
        hits = found.setdefault(owners[0].id, [])
        if all(_origin(url) != _origin(u) for _, u in hits):
            hits.append((label, url))
    return found


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').removeprefix('www.')}:{parts.port or ''}"
