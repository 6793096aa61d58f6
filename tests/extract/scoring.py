"""Scores for the labelled extraction set: length-weighted paragraph recall and precision, perfect pages.

A gold paragraph counts as found only when it is a whole line of the output; precision weighs output lines by
length, so one leaked footer line costs little and a leaked related-articles list costs a lot. A page is perfect
when recall and precision are both at least 0.99 and no chrome marker is left in the output.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from scrapers.extract.chrome import CHROME_MARKERS

PERFECT = 0.99
_BLANKS = re.compile(r"[\s\u3000\xa0]+")


def output_lines(text: str | None) -> list[str]:
    """Lines of an extractor's text, blank runs collapsed, so both extractors are judged on content only."""
    return [line for line in (_BLANKS.sub(" ", raw).strip() for raw in (text or "").splitlines()) if line]


def chrome_left(text: str | None) -> list[str]:
    return sorted(m for m in CHROME_MARKERS if m in (text or ""))


@dataclass(frozen=True)
class PageScore:
    recall: float
    precision: float
    chrome: tuple[str, ...]

    @property
    def perfect(self) -> bool:
        return self.recall >= PERFECT and self.precision >= PERFECT and not self.chrome


def score_page(gold: Iterable[str], text: str | None) -> PageScore:
    gold = list(gold)
    lines = output_lines(text)
    available = Counter(lines)
    found = 0
    for para in gold:
        if available[para] > 0:
            available[para] -= 1
            found += len(para)
    wanted = Counter(gold)
    correct = 0
    for line in lines:
        if wanted[line] > 0:
            wanted[line] -= 1
            correct += len(line)
    total_gold = sum(len(p) for p in gold) or 1
    total_out = sum(len(line) for line in lines)
    precision = correct / total_out if total_out else (1.0 if not gold else 0.0)
    return PageScore(found / total_gold, precision, tuple(chrome_left(text)))


@dataclass(frozen=True)
class SetScore:
    pages: int
    perfect: int
    recall: float  # length-weighted over the whole set
    precision: float
    title_rate: float
    date_rate: float
    year_rate: float


def score_set(rows: list[dict]) -> SetScore:
    """``rows``: one dict per page with gold and output fields (see bench/extract.py and the tests)."""
    n = len(rows) or 1
    gold_len = sum(sum(len(p) for p in r["gold"]) for r in rows) or 1
    out_len = sum(sum(len(x) for x in output_lines(r["text"])) for r in rows) or 1
    scores = [score_page(r["gold"], r["text"]) for r in rows]
    recall = sum(s.recall * sum(len(p) for p in r["gold"]) for s, r in zip(scores, rows, strict=True)) / gold_len
    precision = sum(
        s.precision * sum(len(x) for x in output_lines(r["text"])) for s, r in zip(scores, rows, strict=True)
    )
    return SetScore(
        pages=len(rows),
        perfect=sum(s.perfect for s in scores),
        recall=recall,
        precision=precision / out_len,
        title_rate=sum(r["title"] == r["gold_title"] for r in rows) / n,
        date_rate=sum(r["publish_date"] == r["gold_publish_date"] for r in rows) / n,
        year_rate=sum(r["report_year"] == r["gold_report_year"] for r in rows) / n,
    )
