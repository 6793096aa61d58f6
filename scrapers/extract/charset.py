"""Page bytes to text, the one decoder for every page fzzf reads (list pages, report pages, robots.txt).

Chinese government pages declare gb2312 while using characters outside it, sit behind servers that label everything
``ISO-8859-1``, declare UTF-8 over GBK bytes, or declare nothing. Valid UTF-8 is tried first because GBK bytes
almost never decode as UTF-8, while UTF-8 bytes often "decode" as (wrong) GBK; then the declarations, widened to
the superset that really covers them (a Western single-byte label over Chinese text is a server default, not a fact).
"""

from __future__ import annotations

import codecs
import re

__all__ = ["declared_charsets", "decode_html"]

_ASCII_RUNS = re.compile(rb"[\x00-\x7f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
# GB2312 and GBK are subsets of GB18030: decoding as GB18030 never loses a character the page really has. Latin-1,
# Windows-1252 and ASCII decode any bytes, so trusting them over Chinese text would garble every title.
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
          "euc-cn": "gb18030", "euc_cn": "gb18030", "hz-gb-2312": "gb18030", "hz": "gb18030", "big5": "big5hkscs",
          "iso-8859-1": "gb18030", "iso8859-1": "gb18030", "latin-1": "gb18030", "latin_1": "gb18030",
          "windows-1252": "gb18030", "cp1252": "gb18030", "ascii": "gb18030", "us-ascii": "gb18030"}  # fmt: skip
MAX_BAD_UTF8 = 0.02  # share of non-ASCII bytes that may be broken in a page still read as UTF-8


def _canonical(name: str) -> str | None:
    name = name.strip().lower()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    widened = _WIDEN.get(name, _WIDEN.get(canonical, canonical))
    return None if widened in ("utf-8", "utf8") else widened


def declared_charsets(content: bytes, content_type: str = "") -> list[str]:
    """The encodings the HTTP header and the page's own <meta> name, widened, header first; UTF-8 left out (tried
    first anyway) and unknown names dropped."""
    found = []
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(content[:8192])
    for name in (header.group(1) if header else None, meta.group(1).decode("ascii") if meta else None):
        encoding = _canonical(name) if name else None
        if encoding and encoding not in found:
            found.append(encoding)
    return found


def decode_html(content: bytes, content_type: str = "") -> tuple[str, str]:
    """(text, encoding used). Never raises: bytes no candidate decodes become U+FFFD."""
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
    if text.count("\ufffd") <= MAX_BAD_UTF8 * non_ascii:
        return text, "utf-8"
    candidates = declared_charsets(content, content_type)
    if "gb18030" not in candidates:
        candidates.append("gb18030")  # declared nothing, or declared UTF-8 and is not: the usual culprit is GBK
    for encoding in candidates:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return _mixed(content, candidates[0]), f"{candidates[0]}+utf-8"


def _mixed(content: bytes, encoding: str) -> str:
    """A page no one encoding decodes: a GBK page with a UTF-8 header include, or a UTF-8 item pasted into a GBK
    list. Read tag by tag: a piece that is valid UTF-8 with Chinese in it (two characters or more, so a stray GBK
    pair that happens to be valid UTF-8 does not count) is UTF-8, the rest the declared encoding. Splitting at "<"
    never cuts a character: no GBK or GB18030 byte sequence contains 0x3C."""
    out = []
    for piece in re.split(rb"(?=<)", content):
        if len(piece) - len(_ASCII_RUNS.sub(b"", piece)) >= 6:
            try:
                out.append(piece.decode("utf-8"))
                continue
            except UnicodeDecodeError:
                pass
        out.append(piece.decode(encoding, "replace"))
    return "".join(out)
