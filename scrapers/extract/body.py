"""The report body: find its container, turn it into one line per paragraph, and drop the chrome left inside.

Linearising follows how a browser breaks lines (block elements and ``<br>``), joins Word-pasted ``<span>`` runs,
and normalises whitespace: full-width indentation and &nbsp; go, a source line break is no space at all (unless it
separates two Latin words or numbers), any other blank run is one space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from scrapers.extract import chrome, tree

# A source line break is no space unless it separates two Latin words or numbers (browsers differ; readers of
# Chinese expect none, and Word-pasted runs are broken at arbitrary points).
_SOURCE_BREAK = re.compile(r"[ \t\r\xa0\u3000]*\n\s*")
_LATIN = re.compile(r"[A-Za-z0-9]")
_BLANKS = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Fewer CJK characters than this after cleaning: the known container holds no article (a widget, a JS shell).
_NEARLY_EMPTY = 30
# A known container with less than this is checked against the structural candidate (it may be a widget).
_SHORT = 200
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SENTENCE = re.compile(r"[。；，！？,;]")  # not colons: metadata lines are full of them


@dataclass
class Line:
    text: str
    link_chars: int = 0


def _break(m: re.Match) -> str:
    s, i, j = m.string, m.start(), m.end()
    return " " if i > 0 and j < len(s) and _LATIN.match(s[i - 1]) and _LATIN.match(s[j]) else ""


def normalise(text: str) -> str:
    if "\n" in text:
        text = _SOURCE_BREAK.sub(_break, text)
    return _BLANKS.sub(" ", text).strip()


def linearise(root) -> list[Line]:
    """Lines of text under ``root`` as a browser breaks them, with how much of each line is link text."""
    lines: list[Line] = []
    buf: list[str] = []
    link = [0]

    def flush() -> None:
        if buf:
            text = normalise("".join(buf))
            if text:
                lines.append(Line(text, min(link[0], len(text))))
            buf.clear()
        link[0] = 0

    def tail(el, in_link: bool) -> None:
        if el.tail:
            buf.append(el.tail)
            if in_link:
                link[0] += len(el.tail.strip())

    # A stack, not recursion: pages nest up to 2,048 levels (extract.tree), deeper than Python's recursion limit.
    stack = [(root, False, False)]  # (element, inside a link, its children already written)
    while stack:
        el, in_link, done = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        if done:
            if tag in chrome.BLOCK_TAGS:
                flush()
            tail(el, in_link)
        elif tag == "br":
            flush()
            tail(el, in_link)
        elif tag == "tr" and (row := _data_row(el)) is not None:
            flush()
            lines.append(row)
            tail(el, in_link)
        elif tag:
            if tag in chrome.BLOCK_TAGS:
                flush()
            here = in_link or tag == "a"
            if el.text:
                buf.append(el.text)
                if here:
                    link[0] += len(el.text.strip())
            stack.append((el, in_link, True))
            stack.extend((child, here, False) for child in reversed(el))
        else:
            tail(el, in_link)
    flush()
    return lines


# A table row whose cells are all this short is data (one row per line, cells joined by a space); a row with a
# long cell is page layout (old portals put the whole body in one <td>) and is linearised as blocks.
_CELL_MAX = 80


def _data_row(tr) -> Line | None:
    """The row as one line, or None when it is layout (a long cell, a nested table, fewer than two filled cells).

    Link text is counted, so a row of menu links is still dropped as a link list."""
    texts, links = [], 0
    for cell in tr:
        if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
            continue
        if any(True for _ in cell.iter("table")) or (cell.get("style") and _HIDDEN.search(cell.get("style"))):
            return None
        text = normalise("".join(cell.itertext()))
        if len(text) > _CELL_MAX:
            return None
        if text:
            texts.append(text)
            links += sum(len(normalise("".join(a.itertext()))) for a in cell.iter("a"))
    if len(texts) < 2:
        return None
    row = " ".join(texts)
    return Line(row, min(links + len(texts) - 1, len(row)) if links else 0)


def parse_html(text: str):
    """Parse with plain lxml elements (no lxml.html class lookup: markedly faster); never raises."""
    return parse_html_whole(text)[0]


def parse_html_whole(text: str):
    """``(root, cut)``: as ``parse_html``, and why the parser left part of the page out (``tree.parse``), or None."""
    try:
        root, cut = tree.parse(text or "<html></html>")
    except (etree.XMLSyntaxError, ValueError):
        root, cut = None, None
    return (root, cut) if root is not None else (tree.parse("<html><body></body></html>")[0], None)


def drop_tree(el) -> None:
    """Remove ``el`` but keep its tail text, which belongs to the parent."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        try:
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        except ValueError:  # lxml parsed control characters it will not take back: lose them, not the page
            tail = _XML_UNSAFE.sub("", el.tail)
            if prev is not None:
                prev.tail = _XML_UNSAFE.sub("", prev.tail or "") + tail
            else:
                parent.text = _XML_UNSAFE.sub("", parent.text or "") + tail
    parent.remove(el)


def drop_chrome_elements(root) -> None:
    """Remove scripts, styles and the widgets a CMS marks by class or id (share, QR, print, related, footer)."""
    doomed = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in chrome.DROP_TAGS:
            doomed.append(el)  # comments and processing instructions too
            continue
        style = el.get("style")
        if style and _HIDDEN.search(style):
            doomed.append(el)  # search-engine copies and print versions the reader never sees
            continue
        names = el.get("class")
        ident = el.get("id")
        if names or ident:
            tokens = (names or "").split() + (ident or "").split()
            if any(chrome.DROP_CLASS.match(n) for n in tokens):
                doomed.append(el)
    for el in doomed:
        drop_tree(el)


def _long(text: str) -> bool:
    return len(text) >= 30 and bool(_SENTENCE.search(text))


def _text_len(el) -> int:
    return sum(len(t.strip()) for t in el.itertext())


def _density_container(root):
    """The lowest element holding most of the page's sentence-like text (None without any): the structural fallback.

    Own text only (a link's text is not its parent's), so menus and link lists score nothing; a paragraph repeated
    later (a large-print or mobile copy of the article) counts once, at its first place, so the first copy wins
    instead of their common ancestor, the whole page.
    """
    scores: dict = {}
    seen: set[str] = set()
    for el in root.iter("p", "div", "td", "span", "font", "li", "section", "article"):
        own = normalise((el.text or "") + "".join(c.tail or "" for c in el))
        if _long(own) and own not in seen:
            seen.add(own)
            node = el
            while node is not None:
                scores[node] = scores.get(node, 0) + len(own)
                node = node.getparent()
    if not scores:
        return None
    total = max(scores.values())
    # deepest node that still holds 80 % of the best-scoring text: siblings split by an image or a nested <div>
    # stay together under it
    best = None
    for node, score in scores.items():
        if score >= 0.8 * total and (best is None or _depth(node) > _depth(best)):
            best = node
    return best


def _depth(el) -> int:
    d = 0
    while el is not None:
        el, d = el.getparent(), d + 1
    return d


def _known_containers(root) -> list:
    """Elements matching a known body selector, best selector first (document order within one selector)."""
    rank = {sel: k for k, sel in enumerate(chrome.BODY_SELECTORS)}
    found: list[tuple[int, object]] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        hits = [rank.get(("tag", tag), 99)]
        ident = el.get("id")
        if ident:
            hits.append(rank.get(("id", ident), 99))
        names = el.get("class")
        if names:
            hits.extend(rank.get(("class", n), 99) for n in names.split())
        best = min(hits)
        if best < 99:
            found.append((best, el))
    return [el for _, el in sorted(found, key=lambda pair: pair[0])]


def find_container(root):
    """The body container: the first known selector holding real text, else the densest text block.

    A known container with little text (a page whose body is only an attachment link) still wins when the page
    has no prose anywhere else.
    """
    return find_container_with_method(root)[0]


def find_container_with_method(root) -> tuple[object, str]:
    short = None
    for el in _known_containers(root):
        n = _text_len(el)
        if n >= 40:
            return el, "selector"
        if n and short is None:
            short = el
    body = root.find("body")
    dense = _density_container(body if body is not None else root)
    if short is not None and (dense is None or dense is body or _text_len(dense) < 2 * _text_len(short)):
        return short, "selector"
    return dense, "structural"  # None: no prose anywhere (a truncated page, a page that is only links)


def marked_fragment(text: str):
    """The body between CMS content markers (Hanweb ZJEG_RSS), parsed; None when the page has no markers."""
    for begin, end in chrome.CONTENT_MARKERS:
        i = text.find(begin)
        j = text.find(end, i + len(begin)) if i >= 0 else -1
        if i >= 0 and j > i:
            fragment = text[i + len(begin) : j]
            if fragment.strip():
                return parse_html(f"<html><body><div>{fragment}</div></body></html>").find("body/div")
    return None


_FOOTNOTE = re.compile(r"[\[［]\d{1,2}[\]］]$")


def _squash(text: str) -> str:
    """Text without blanks or a trailing footnote mark (江西's bulletin heads its body with the title plus "[1]")."""
    return _FOOTNOTE.sub("", re.sub(r"\s+", "", text))


def is_chrome(text: str) -> bool:
    """A line that is nothing but page chrome (``chrome.CHROME_LINES``), judged only when as short as the widget."""
    n = len(text)
    return any(n <= limit and pattern.search(text) for limit, pattern in chrome.CHROME_BY_LENGTH)


def _drop_font_bar_pieces(kept: list[str]) -> list[str]:
    """A font-size bar broken over three lines (大 / 中 / 小, each alone) goes; a lone 大 or 中 stays."""
    out: list[str] = []
    k = 0
    while k < len(kept):
        pieces = [chrome.FONT_BAR_PIECE.match(x) for x in kept[k : k + 3]]
        if len(pieces) == 3 and all(pieces) and "".join(m.group(1) for m in pieces) == "大中小":
            k += 3
            continue
        out.append(kept[k])
        k += 1
    return out


def clean_lines(lines: list[Line], title: str | None) -> list[str]:
    """Drop chrome lines, link-only lines and a leading repeat of the title; stop at a related-articles heading."""
    kept: list[str] = []
    for line in lines:
        text = line.text
        if chrome.CUT_LINES.match(text):
            break
        if chrome.INLINE_WIDGETS.search(text):
            text = normalise(chrome.INLINE_WIDGETS.sub(" ", text))  # a widget inside a line goes, the words stay
            if not text:
                continue
        if is_chrome(text):
            continue
        # lists of links (related reports, prev/next) are not prose; a body paragraph is almost never one link
        if line.link_chars >= 0.9 * len(text) and not text.endswith(("。", "：", ":")):
            continue
        kept.append(text)
    kept = _drop_font_bar_pieces(kept)
    if title:
        # the title repeated at the top of the body, possibly split over lines or below a document header line
        target = _squash(title)
        for start in (0, 1):
            for k in (3, 2, 1):
                if len(kept) >= start + k and _squash("".join(kept[start : start + k])) == target:
                    return kept[:start] + kept[start + k :]
        # a page cut off inside its title bar leaves the title's beginning as the only "body"
        if len(kept) == 1 and target.startswith(_squash(kept[0]).rstrip("\ufffd")):
            return []
    return kept


def _related(a, b) -> bool:
    """One element contains the other (or they are the same)."""
    return a is b or any(x is b for x in a.iterancestors()) or any(x is a for x in b.iterancestors())


def _cjk(lines: list[str]) -> int:
    return sum(len(_CJK.findall(line)) for line in lines)


def body_lines(root, page_text: str, title: str | None) -> list[str]:
    """The clean body paragraphs of a parsed page (chrome elements inside the container are removed from it)."""
    return body_with_method(root, page_text, title)[0]


def body_with_method(root, page_text: str, title: str | None) -> tuple[list[str], str]:
    """The clean body paragraphs and how the body was found: ``marker`` (CMS content comments), ``selector`` (a known
    container), ``structural`` (the densest block of sentence-like text), or ``none``.

    A known container whose cleaned text is nearly nothing while the page holds real prose elsewhere (a CMS that
    puts its article in a container of its own and reuses ``#content`` for a widget) gives way to the structural
    fallback: an empty body on a page full of text is never the answer.
    """
    container = marked_fragment(page_text)
    if container is not None:
        drop_chrome_elements(container)
        return clean_lines(linearise(container), title), "marker"
    container, method = find_container_with_method(root)
    if container is None:
        return [], "none"
    if method == "selector":
        drop_chrome_elements(container)  # only chrome goes, so the structural pass below still sees all the prose
        lines = clean_lines(linearise(container), title)
        found = _cjk(lines)
        if found >= _SHORT:
            return lines, method
        body = root.find("body")
        dense = _density_container(body if body is not None else root)
        if dense is not None and not _related(dense, container):
            drop_chrome_elements(dense)
            fallback = clean_lines(linearise(dense), title)
            # a short known container is a widget when the page holds far more prose elsewhere
            if _cjk(fallback) >= max(_NEARLY_EMPTY, 2 * found):
                return fallback, "structural"
        return lines, method
    drop_chrome_elements(container)
    return clean_lines(linearise(container), title), method
