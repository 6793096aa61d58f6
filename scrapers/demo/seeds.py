"""The five seed reports as clean gold data: hand-curated metadata plus the body paragraphs of the seed texts.

The seed files (``seeds/NNN_*.txt``) are report texts as users copied them off real portals; 001 and 002 still carry
page chrome. Here each seed names the lines that are not body (title bar, metadata line, widgets) so that
``paragraphs`` is exactly what a perfect extractor returns: every body paragraph in order, whitespace normalised,
document header, signature and date kept. The demo portal renders these, and the labelled extraction set wraps them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent / "seeds"

# Whitespace the portals use for indentation and padding: ASCII blanks, &nbsp;, full-width space.
_BLANKS = " \t\r\xa0\u3000"


@dataclass(frozen=True)
class SeedReport:
    seed_id: str  # the seed file's stem, e.g. "001_4fbc125b977303f8"
    government: str  # the reporting government or unit, as a registry would name it
    level: str  # registry level: province, city, county, township, department
    title: str
    report_year: int
    publish_date: dt.date
    source: str | None  # 来源 / 发布机构 as the page states it; None when the page leaves it empty
    issuer: str | None  # the government the body or signature names, None when it names none
    paragraphs: tuple[str, ...]  # clean gold body, one paragraph per item

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(frozen=True)
class _Curation:
    stem: str
    government: str
    level: str
    title: str
    report_year: int
    publish_date: str
    source: str | None
    issuer: str | None
    drop: tuple[str, ...] = ()  # regexes for non-body lines (title bar, chrome) found in the copied text
    note: str = ""


# Metadata read off each seed text. Where the text shows no date or source (000, 003, 004) the demo needs one
# anyway: the date given is plausible for the unit type (domain.md: towns and streets publish in Jan-March) and the
# note says where it came from.
_CURATED = (
    _Curation(
        "000_bbb8c3f816e380e8",
        government="重庆市北碚区柳荫镇",
        level="township",
        title="柳荫镇2019年法治政府建设情况报告",
        report_year=2019,
        publish_date="2020-02-26",
        source="柳荫镇人民政府",
        issuer=None,
        note="no title or date in the copied text; title from '现将我镇2019年法治政府建设情况汇报如下', date assigned",
    ),
    _Curation(
        "001_4fbc125b977303f8",
        government="绵阳市安州区",
        level="county",
        title="绵阳市安州区人民政府 2022年法治政府建设年度报告",
        report_year=2022,
        publish_date="2023-01-30",
        source="司法局",
        issuer="绵阳市安州区人民政府",
        drop=(
            r"^您的位置",
            r"^绵阳市安州区人民政府 2022年法治政府建设年度报告$",
            r"^来源[:：]",
            r"^字体[:：]",
            r"^扫一扫在手机打开当前页$",
        ),
        note="breadcrumb, title bar, 来源/发布时间/浏览次数, 字体 widget and QR line dropped",
    ),
    _Curation(
        "002_8741347a4ddfdebd",
        government="肇东市",
        level="county",
        title="关于肇东市法治政府建设情况的报告",
        report_year=2016,
        publish_date="2017-09-30",
        source=None,
        issuer=None,
        drop=(
            r"设为首页",
            r"^关于肇东市法治政府建设情况的报告$",
            r"^作者[:：]",
            r"^附件下载[:：]?$",
        ),
        note="no year in the title: the body opens with 2016年; 文章来源 is empty on the page",
    ),
    _Curation(
        "003_74dd20a6f83b40ee",
        government="东莞市常平镇",
        level="township",
        title="常平镇2022年法治政府建设工作情况报告",
        report_year=2022,
        publish_date="2023-02-10",
        source="常平镇人民政府",
        issuer=None,
        note="no title or date in the copied text; title from '现将我镇2022年法治政府建设工作情况汇报如下', date assigned",
    ),
    _Curation(
        "004_bb1ae2c6a72f0b00",
        government="天津市南开区万兴街道",
        level="township",
        title="南开区万兴街2022年度法治政府建设情况报告",
        report_year=2022,
        publish_date="2023-03-15",
        source="万兴街道办事处",
        issuer="南开区人民政府万兴街道办事处",
        drop=(r"^南开区万兴街2022年度法治政府建设$", r"^情况报告$"),
        note="the title is split over the first two lines; publish date from the signature date 2023年3月15日",
    ),
)


def normalise_line(line: str) -> str:
    """One paragraph as the extractor must emit it: padding and indentation gone, inner blank runs as one space."""
    return re.sub(f"[{_BLANKS}]+", " ", line).strip(_BLANKS + " ")


def _paragraphs(text: str, drop: tuple[str, ...]) -> tuple[str, ...]:
    patterns = [re.compile(p) for p in drop]
    out = []
    for raw in text.splitlines():
        line = normalise_line(raw)
        if line and not any(p.search(line) for p in patterns):
            out.append(line)
    return tuple(out)


def load_seeds() -> list[SeedReport]:
    """The five seed reports, in seed-id order, with clean gold paragraphs."""
    seeds = []
    for c in _CURATED:
        text = (SEED_DIR / f"{c.stem}.txt").read_text(encoding="utf-8")
        seeds.append(
            SeedReport(
                seed_id=c.stem,
                government=c.government,
                level=c.level,
                title=c.title,
                report_year=c.report_year,
                publish_date=dt.date.fromisoformat(c.publish_date),
                source=c.source,
                issuer=c.issuer,
                paragraphs=_paragraphs(text, c.drop),
            )
        )
    return seeds
