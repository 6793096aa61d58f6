"""Page bytes to text for the extractor: the shared decoder (``scrapers.extract.charset``, the same one list pages use) and
markup fixed before parsing."""

from __future__ import annotations

import re

from scrapers.extract.charset import decode_html

__all__ = ["decode_html", "repair_markup"]

# A </html> (or </body>) before the end makes lxml drop everything after it: some CMS header includes carry one.
_STRAY_END = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)


_CUT_ENTITY = re.compile(r"&#?\w{0,10}$")


def repair_markup(text: str) -> str:
    """Remove what makes lxml stop early or read markup as text: stray closing html/body tags, an XML
    declaration in a str, and a tag left unterminated at the end of a truncated page."""
    text = _STRAY_END.sub("", _XML_DECL.sub("", text))
    # a page cut off inside a tag or an entity (size cap, dropped connection): lxml would show the piece as text
    lt = text.rfind("<", max(0, len(text) - 300))
    if lt >= 0 and ">" not in text[lt:]:
        text = text[:lt]
    return _CUT_ENTITY.sub("", text)
