"""Page metadata: publish date, source, issuing government, attachments (the title is ``title.py``'s).

The page's own metadata line (or 信息公开 index table) wins over the ``PubDate`` meta tag, which some CMSs fill with
the time the page was last regenerated; the detail URL's date is the last resort and the sanity check.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote, urljoin, urlsplit

from scrapers.extract import chrome
from scrapers.extract.body import normalise

_META_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
# A PubDate this much later than the URL's date is a regeneration stamp, not the publication.
_REGENERATION_SLACK = dt.timedelta(days=7)


def meta_tags(root) -> dict[str, str]:
    tags: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if name and content is not None and name not in tags:
            tags[name] = normalise(content)
    return tags


def _date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


_SCRIPT_OPEN = re.compile(r"<(script|style)\b", re.IGNORECASE)
_BLOCK_TAG = re.compile(
    r"<(?:/?(?:p|div|tr|li|h[1-6]|table|ul|ol|section|article|header|footer|dd|dt|title)\b[^<>]*|br\b[^<>]*)>",
    re.IGNORECASE,
)
# [^<>]: a "<" never closed must not make every later "<" scan to the end of the page (quadratic on "<!--<!--…").
_TAG = re.compile(r"<[^<>]*>")
_BARE_LABEL = re.compile(rf"(?:日期|时间|来源|发布机构)\s*[:：]$|^{chrome.NAMED_DATE_LABEL}$")
_LABEL_BLANKS = re.compile(r"[\s:：】\]］]")
_ENTITY_BLANK = re.compile(r"&(?:nbsp|ensp|emsp|#160|#xa0|#12288);", re.IGNORECASE)


def _drop_comments(text: str) -> str:
    """Remove HTML comments in one pass (Hanweb wraps values in ``<!--<$[信息来源]>begin-->``); an unclosed one runs
    to the end, as a browser would have it."""
    out, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        out.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end < 0:
            return "".join(out)
        out.append(" ")
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def _drop_scripts(text: str) -> str:
    """Remove <script>/<style> elements in one pass. A regex with a lazy ``.*?`` rescans to the end of the page for
    every unclosed opening tag, which a hostile page of many "<script" turns into minutes."""
    out, pos, lower = [], 0, text.lower()
    while (m := _SCRIPT_OPEN.search(text, pos)) is not None:
        out.append(text[pos : m.start()])
        end = lower.find(f"</{m.group(1).lower()}", m.end())
        if end < 0:
            return "".join(out)  # never closed: everything after it is script
        close = text.find(">", end)
        pos = len(text) if close < 0 else close + 1
        out.append(" ")
    out.append(text[pos:])
    return "".join(out)


def info_lines(page_text: str) -> list[str]:
    """The page's text as rendered lines (block tags break, table cells and source newlines do not): where the
    metadata line and the 信息公开 index table are found. Regexes over the markup, much faster than a tree walk."""
    text = _drop_scripts(_drop_comments(page_text.replace("\r", " ").replace("\n", " ")))
    text = _ENTITY_BLANK.sub(" ", _TAG.sub(" ", _BLOCK_TAG.sub("\n", text)))
    lines = [line for line in (normalise(raw) for raw in text.split("\n")) if line]
    out = []
    for k, line in enumerate(lines):
        if _BARE_LABEL.search(line) and k + 1 < len(lines):
            line = f"{line} {lines[k + 1]}"  # 信息公开 tables that put 发文日期： and its value in separate blocks
        # only lines with a label colon, or a named date label, can hold a labelled value
        if "：" in line or ":" in line or chrome.DATE_VALUE.search(line):
            out.append(line)
    return out


def url_date(url: str | None) -> dt.date | None:
    if not url:
        return None
    for pattern in chrome.URL_DATES:
        m = pattern.search(url)
        if m:
            return _date(m["y"], m["m"], m["d"])
    return None


def publish_date_of(lines: list[str], tags: dict[str, str], url: str | None) -> dt.date | None:
    found: dict[str, dt.date] = {}
    for line in lines:
        for m in chrome.DATE_VALUE.finditer(line):
            day = _date(m["y"], m["m"], m["d"])
            if day is not None:
                found.setdefault(_LABEL_BLANKS.sub("", m["label"]), day)
    for label in chrome.DATE_LABELS:
        if label in found:
            return found[label]
    for line in lines:
        if len(line) <= 120 and chrome.INFO_LINE.search(line):
            m = chrome.BARE_DATE.search(line)
            day = _date(m["y"], m["m"], m["d"]) if m else None
            if day is not None:
                return day
    from_url = url_date(url)
    for name in chrome.META_DATE:
        m = _META_DATE.search(tags.get(name, ""))
        if m:
            day = _date(*m.groups())
            if day is not None and not (from_url and day - from_url > _REGENERATION_SLACK):
                return day
    return from_url


def source_of(lines: list[str], tags: dict[str, str]) -> str | None:
    for line in lines:
        m = chrome.SOURCE_VALUE.search(line)
        if m:
            return m.group(1)
    for name in chrome.META_SOURCE:
        if tags.get(name):
            return tags[name]
    return None


def issuer_of(paragraphs: list[str]) -> str | None:
    """The government the signature (last lines) or the document header (first lines) names."""
    for line in reversed(paragraphs[-4:]):
        m = chrome.ISSUER_LINE.match(line)
        if m:
            return m.group(1)
    for line in paragraphs[:3]:
        m = chrome.DOC_HEADER.match(line)
        if m:
            return m.group(1)
    return None


def attachments_of(root, url: str | None) -> list[dict[str, str]]:
    """Links to documents (PDF, Word, spreadsheets, archives), absolute when the page URL is known."""
    seen: set[str] = set()
    out = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or not chrome.ATTACHMENT_HREF.search(urlsplit(href).path or href):
            continue
        absolute = urljoin(url, href) if url else href
        if absolute in seen:
            continue
        seen.add(absolute)
        name = normalise("".join(a.itertext())) or unquote(urlsplit(href).path.rsplit("/", 1)[-1])
        out.append({"name": name, "url": absolute})
    return out
