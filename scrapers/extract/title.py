"""The article's title as a reader sees it: plain text, and the article's own, never only the site's name.

Where it comes from, in order: the ``ArticleTitle`` meta tag; a heading (``<h1>``, a ``.title`` block, ``<h2>``,
``<h3>``) that the ``<title>`` repeats; a part of the ``<title>`` the page also shows as a block of its own; the first
heading; and when the ``<title>`` is only the site's name (``某某镇人民政府``, table-layout portals), the article's title
above the body (an ``<h1>``, else the bold, centred or ``.title`` block nearest above the first paragraph), then the
breadcrumb's last item. Markup a CMS left in a field (escaped ``<font color=…>``, ``<div>``, ``<br>``) goes; its text
stays.
"""

from __future__ import annotations

import html
import re
from itertools import islice

from scrapers.extract import chrome
from scrapers.extract.body import is_chrome, normalise

_TAG = re.compile(r"<[^<>]*>")
_BR = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(?:p|div|h[1-6])\s*>", re.IGNORECASE)
_DIGIT_GAP = re.compile(r"(?<=\d)\s+(?=[年月日号])")
_SENTENCE = re.compile(r"[。；，！？,;]")
_CENTRED = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
# Elements read looking for the title above the body: real pages reach their body well within this; a page of
# nothing but markup must not cost seconds.
_MAX_SCAN = 4000
_MAX_INNER = 12  # a title cell holds a few inline elements (<b><font>…); more is a box of other things


def plain(text: str | None) -> str:
    """A title field as text: escaped markup removed (a line break in it joins like a source line break), entities
    decoded, blanks normalised."""
    if not text:
        return ""
    if "&" in text:
        text = html.unescape(text)  # a field escaped twice still reads &lt;font&gt; after the parser's pass
    if "<" in text:
        text = _TAG.sub("", _BR.sub("\n", text))
    return normalise(text)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_site_name(text: str, tags: dict[str, str]) -> bool:
    """The portal's own name (``SiteName`` meta, or a government or site name such as ``某某镇人民政府``)."""
    site = tags.get("sitename")
    return bool(text) and ((site is not None and _squash(site) == _squash(text)) or bool(chrome.SITE_NAME.match(text)))


def title_of(root, tags: dict[str, str]) -> str | None:
    """The article's title (see the module docstring). A blank between a number and 年/月/日/号 goes (中国政府网's
    <title> reads "2007　年末"); other blanks stay, since some titles separate two issuers with one."""
    title = _title_of(root, tags)
    return _DIGIT_GAP.sub("", title) if title else None


def _el_text(el) -> str:
    return plain("".join(el.itertext()))


def _title_of(root, tags: dict[str, str]) -> str | None:
    for name in chrome.META_TITLE:
        text = plain(tags.get(name))
        if text and not is_site_name(text, tags):
            return text
    head = root.find(".//title")
    page_title = _el_text(head) if head is not None else ""
    headings = []
    for xpath in ("//h1", "//*[contains(@class,'title')]", "//h2", "//h3"):
        for el in root.xpath(xpath):
            text = _el_text(el)
            if 4 <= len(text) <= 120 and not is_site_name(text, tags) and not is_chrome(text):
                headings.append(text)
    # the site name is often a heading too: the article title is the one <title> also carries
    squashed = _squash(page_title)
    inside = [t for t in headings if squashed and len(t) >= 6 and _squash(t) in squashed]
    if inside:
        return max(inside, key=len)  # the site name may be inside <title> too, but it is the shorter one
    parts = [p for p in chrome.TITLE_SPLIT.split(page_title) if p and not is_site_name(p, tags)]
    shown = _shown_blocks(root, parts)
    if shown:
        return shown
    if not parts:
        # <title> is only the site's name (or absent): the article's own title is on the page, above its body
        above = _title_above_body(root, tags) or (headings[0] if headings else None)
        return above or _breadcrumb_last(root, tags) or page_title or None
    if headings:
        return headings[0]
    return max(parts[:2], key=len) if len(parts) > 1 and len(parts[0]) < 6 else parts[0]


def _shown_blocks(root, parts: list[str]) -> str | None:
    """The first ``<title>`` part that is also the whole text of an element the page shows (not a link): a heading
    markup the parser split (``<h3><p>…</p></h3>``) or a plain block."""
    wanted = {_squash(p): p for p in parts if len(p) >= 6}
    if not wanted:
        return None
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("title", "a", "option", "script", "style"):
            continue
        for text in (el.text, el.tail):
            if text and _squash(text) in wanted:
                return wanted[_squash(text)]
    return None


def _emphasised(el) -> bool:
    tag = el.tag
    if tag in ("h1", "h2", "h3", "h4", "b", "strong", "center"):
        return True
    if tag == "font" and (el.get("size") or el.get("color")):
        return True
    if (el.get("align") or "").lower() == "center" or _CENTRED.search(el.get("style") or ""):
        return True
    return any(chrome.TITLE_CLASS.match(n) for n in (el.get("class") or "").split() + (el.get("id") or "").split())


def _long(el) -> bool:
    own = normalise((el.text or "") + "".join(c.tail or "" for c in el))
    return len(own) >= 30 and bool(_SENTENCE.search(own))


def _title_above_body(root, tags: dict[str, str]) -> str | None:
    """An ``<h1>`` above the first paragraph of prose, else the longest bold, centred or ``.title`` block there:
    not a link, not chrome (breadcrumb, metadata line), not the site's name, not a salutation or a document header."""
    h1, others = [], []
    for el in islice(root.iter(), _MAX_SCAN):
        if not isinstance(el.tag, str) or el.tag in ("title", "script", "style", "a", "option", "head"):
            continue
        if _long(el):
            break  # the body starts here
        if not _emphasised(el):
            continue
        inner = list(islice(el.iterdescendants(), _MAX_INNER + 1))
        if len(inner) > _MAX_INNER or any(isinstance(d.tag, str) and d.tag in chrome.BLOCK_TAGS for d in inner):
            continue  # a layout table or box that merely centres everything is not a title block
        text = _el_text(el)
        if not 5 <= len(text) <= 120 or is_chrome(text) or is_site_name(text, tags):
            continue
        if text.endswith((":", "：")) or chrome.DOC_HEADER.match(text):
            continue
        links = sum(len(normalise("".join(a.itertext()))) for a in el.iter("a"))
        if links >= len(text) / 2:
            continue
        (h1 if el.tag == "h1" else others).append(text)
    if h1:
        return h1[0]
    return max(others, key=len) if others else None


def _breadcrumb_last(root, tags: dict[str, str]) -> str | None:
    """The last item of the breadcrumb (您的位置：首页 > 栏目 > 标题), when it is long enough to be a title."""
    for el in root.iter("div", "td", "span", "p", "li"):
        if not (el.text and chrome.BREADCRUMB.match(el.text.strip())):
            continue  # the label starts the element's own text: no walk over every subtree
        text = _el_text(el)
        if len(text) <= 240:
            last = chrome.BREADCRUMB_SEP.split(text)[-1].strip()
            if len(last) >= 6 and not is_site_name(last, tags) and not chrome.BREADCRUMB.match(last):
                return last
    return None
