"""Report attachments as portals publish them (PDF and DOCX), for the demo portal and the extraction tests.

The PDF is laid out like a scanned-free office export: A4 pages, lines wrapped at a fixed width, each paragraph
indented by two full-width spaces. Glyphs are referenced by CID with a ToUnicode map (no embedded font: viewers
substitute one), which is what text extraction reads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

LINE_CHARS = 36  # characters per PDF line; 2 of them are the paragraph indent
LINES_PER_PAGE = 46


def render_docx(title: str, paragraphs: Sequence[str]) -> bytes:
    """A DOCX with the title as a centred heading and one Word paragraph per body paragraph."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    heading = document.add_paragraph(title)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _wrap(title: str, paragraphs: Sequence[str]) -> list[str]:
    lines = [title, ""]
    for text in paragraphs:
        text = "\u3000\u3000" + text
        lines.extend(text[i : i + LINE_CHARS] for i in range(0, len(text), LINE_CHARS))
    return lines


def render_pdf(title: str, paragraphs: Sequence[str]) -> bytes:
    """A multi-page PDF of the report text (title line, blank line, wrapped indented paragraphs)."""
    lines = _wrap(title, paragraphs)
    chars = sorted({c for line in lines for c in line})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]

    objects: list[bytes] = []  # object n is objects[n-1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"

    bf = []
    for k in range(0, len(chars), 100):
        chunk = chars[k : k + 100]
        bf.append(f"{len(chunk)} beginbfchar")
        bf.extend(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chunk)
        bf.append("endbfchar")
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + "\n".join(bf) + "\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    tounicode = add(stream(cmap))
    descendant = add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/DW 1000 /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 4 "
        b"/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 80 >> >>"
    )
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        f"/DescendantFonts [{descendant} 0 R] /ToUnicode {tounicode} 0 R >>".encode()
    )
    pages_id = len(objects) + 1 + 2 * len(pages)  # the Pages object comes after every page and its content
    page_ids = []
    for page_lines in pages:
        ops = ["BT", "/F1 14 Tf", "16 TL", "56 790 Td"]
        for line in page_lines:
            ops.append("<" + "".join(f"{cid[c]:04X}" for c in line) + "> Tj T*")
        ops.append("ET")
        content = add(stream("\n".join(ops).encode()))
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
            )
        )
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    assert add(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()) == pages_id
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
