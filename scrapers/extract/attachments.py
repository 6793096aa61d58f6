"""Text of a report published only as an attachment (PDF or DOCX), one paragraph per line like page bodies.

PDF text comes back as wrapped lines; paragraphs are rebuilt from the layout Chinese documents use: a paragraph
starts with two-character indentation, and a line clearly shorter than a full line ends one.
"""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlsplit

from scrapers.extract.body import normalise

_INDENT = re.compile(r"^[\u3000\xa0 \t]{2,}")
_TITLE_LIKE = re.compile(r"报告|总结|情况")


class AttachmentError(ValueError):
    """The attachment is not a PDF or DOCX, or cannot be read."""


def _kind(content: bytes, name: str) -> str:
    if content.startswith(b"%PDF"):
        return "pdf"
    if content.startswith(b"PK") and b"word/document.xml" in content[:65536] + content[-65536:]:
        return "docx"
    ext = urlsplit(name).path.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in ("pdf", "docx"):
        return ext
    raise AttachmentError(f"{name}: not a PDF or DOCX attachment (extension {ext or 'none'})")


def _pdf_paragraphs(content: bytes) -> list[str]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        raw = [line for page in reader.pages for line in (page.extract_text() or "").splitlines()]
    except Exception as exc:  # pypdf raises many types on damaged files
        raise AttachmentError(f"unreadable PDF: {exc}") from exc
    widths = sorted(len(normalise(line)) for line in raw if normalise(line))
    full = widths[int(len(widths) * 0.9)] if widths else 0
    paragraphs: list[str] = []
    current = ""
    for line in raw:
        text = normalise(line)
        if not text:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if _INDENT.match(line) and current:
            paragraphs.append(current)
            current = ""
        current += text
        # a line well short of the full width ends its paragraph
        if len(text) < 0.8 * full:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _docx_paragraphs(content: bytes) -> list[str]:
    import docx

    try:
        document = docx.Document(io.BytesIO(content))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise AttachmentError(f"unreadable DOCX: {exc}") from exc
    return [t for t in (normalise(p.text) for p in document.paragraphs) if t]


def attachment_paragraphs(content: bytes, filename_or_url: str) -> list[str]:
    """The attachment's paragraphs, read in a child process under ``settings.AttachmentLimits``: a file past a
    limit is an AttachmentError naming the limit, never a crawl out of memory or stuck."""
    from scrapers.extract.attachment_sandbox import read_in_sandbox

    try:
        return read_in_sandbox(content, filename_or_url)
    except AttachmentError:
        raise
    except ValueError as exc:
        raise AttachmentError(str(exc)) from None


def paragraphs_in_process(content: bytes, filename_or_url: str) -> list[str]:
    """The reading itself, in this process and unbounded: only ``attachment_sandbox``'s child calls it."""
    kind = _kind(content, filename_or_url)
    paragraphs = _pdf_paragraphs(content) if kind == "pdf" else _docx_paragraphs(content)
    # the document's own title line is metadata, as on pages: short, no sentence punctuation, names a report
    if paragraphs and len(paragraphs[0]) <= 60 and "。" not in paragraphs[0] and _TITLE_LIKE.search(paragraphs[0]):
        paragraphs = paragraphs[1:]
    return paragraphs


def extract_attachment(content: bytes, filename_or_url: str) -> str:
    """Clean text of a PDF or DOCX attachment, one paragraph per line. Raises AttachmentError otherwise."""
    return "\n".join(attachment_paragraphs(content, filename_or_url))
