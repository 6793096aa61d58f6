"""Split a report body into its numbered parts: 一、… (level 1) and (一)… (level 2), paragraph order kept.

Text before the first heading is a level-0 section without a heading. A heading that runs on into prose
("(一)严把关口，强化审查。严格执行…") keeps its first sentence as the heading and the rest as text.
"""

from __future__ import annotations

import re

_NUM = "一二三四五六七八九十"
LEVEL_1 = re.compile(rf"^[{_NUM}]{{1,3}}\s*[、.．]")
# "(一)", "（一）" and the forms copy-paste leaves: "一)" with the opening bracket lost, "()" with the numeral lost
LEVEL_2 = re.compile(rf"^(?:[(（]\s*[{_NUM}]{{1,3}}\s*[)）]|[{_NUM}]{{1,3}}[)）]|[(（]\s*[)）])")
_HEADING_END = re.compile(r"[。！？]")
MAX_HEADING = 60


def heading_level(line: str) -> int:
    if LEVEL_1.match(line):
        return 1
    if LEVEL_2.match(line):
        return 2
    return 0


def _split_heading(line: str) -> tuple[str, str]:
    m = _HEADING_END.search(line)
    if len(line) <= MAX_HEADING and (m is None or m.end() == len(line)):
        return line, ""
    if m is None or m.end() > MAX_HEADING + 20:
        return line, ""  # a long numbered paragraph with no short lead sentence: all heading, as written
    return line[: m.end()], line[m.end() :].strip()


def split_sections(paragraphs: list[str]) -> list[dict]:
    sections: list[dict] = []
    current = {"level": 0, "heading": None, "lines": []}

    def close() -> None:
        if current["heading"] is not None or current["lines"]:
            sections.append(
                {
                    "ord": len(sections) + 1,
                    "level": current["level"],
                    "heading": current["heading"],
                    "text": "\n".join(current["lines"]),
                }
            )

    for line in paragraphs:
        level = heading_level(line)
        if level:
            close()
            heading, rest = _split_heading(line)
            current = {"level": level, "heading": heading, "lines": [rest] if rest else []}
        else:
            current["lines"].append(line)
    close()
    return sections
