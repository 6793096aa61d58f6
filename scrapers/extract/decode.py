"""Page bytes to text: the charset a Chinese government page really uses, and markup fixed before parsing.

Pages declare gb2312 while using characters outside it, declare the wrong charset, or none; UTF-8 is tried first
because GBK bytes almost never decode as valid UTF-8, while UTF-8 bytes often decode as (wrong) GBK.
"""

from __future__ import annotations

import codecs
import re

_ASCII_RUNS = re.compile(rb"[\x00-\x7f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
# GB2312 and GBK are subsets of GB18030: decoding as GB18030 never loses a character the page really has.
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
          "euc-cn": "gb18030", "hz-gb-2312": "gb18030", "big5": "big5hkscs", "iso-8859-1": "gb18030",
          "windows-1252": "gb18030", "ascii": "gb18030", "us-ascii": "gb18030"}  # fmt: skip

# A </html> (or </body>) before the end makes lxml drop everything after it: some CMS header includes carry one.
_STRAY_END = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)


def declared_charset(content: bytes) -> str | None:
    m = _META_CHARSET.search(content[:8192])
    return m.group(1).decode("ascii").lower() if m else None


def decode_html(content: bytes) -> tuple[str, str]:
    """(text, encoding used). Never raises: undecodable bytes become U+FFFD."""
    if content.startswith(codecs.BOM_UTF8):
        return content[3:].decode("utf-8", "replace"), "utf-8"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", "replace"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # A UTF-8 page with a few bad bytes (cut off mid-character by a size cap, one corrupt byte) is still UTF-8:
    # GBK bytes read as UTF-8 fail on nearly every Chinese character instead.
    text = content.decode("utf-8", "replace")
    non_ascii = len(content) - len(_ASCII_RUNS.sub(b"", content))
    if text.count("\ufffd") <= 0.02 * non_ascii:
        return text, "utf-8"
    declared = declared_charset(content) or "gb18030"
    encoding = _WIDEN.get(declared, declared)
    if encoding in ("utf-8", "utf8"):
        encoding = "gb18030"  # declared UTF-8 but is not: the usual culprit is GBK
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "gb18030"
    return content.decode(encoding, "replace"), encoding


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
