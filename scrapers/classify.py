"""Is this title (or page) an annual 法治政府建设 report, and for which year?

One set of rules for discovery (titles on list pages) and extraction (whole pages): ``title_verdict`` answers from a
title alone and says ``None`` when only the body can tell; ``classify`` gives the decision, a reason a person can
read, and the report year with where it came from (title, body, or publication date minus one).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Bump when a rule below changes: the crawler then reads every list again and judges anew the links it skipped on
# their title alone (scrapers/collect/crawl.py), so a rule fixed later cannot leave a report skipped for good.
CLASSIFIER_VERSION = "1"

# The subject: rule-of-law government (or, from 2024, rule-of-law) work, or the older 依法行政 reports.
_TOPIC = re.compile(r"法治政府建设|法治政府|法治建设|依法行政|法治.{0,4}建设|依法治[省市区县州旗镇乡街]")
# What makes it a report rather than a plan or a news item.
_REPORT = re.compile(
    r"年度报告|年报|情况报告|情况的报告|工作报告|工作的报告|年度情况|工作总结|总结的报告|的报告|报告$|报告[)）]?$|报告（|"
    r"情况汇报|工作汇报"
)

# A 政策解读 of a report (an explainer, a Q&A, an infographic) rather than the report. dbt ranks a report before an
# interpretation of it with this very pattern (dbt var interpretation_pattern, passed by dbt_runner.dbt_vars), so
# it stays a plain alternation: DuckDB's RE2 must match exactly what Python's re does.
INTERPRETATION_PATTERN = r"解读|图解|一图读懂|问答|答记者问"

# Look-alikes, checked in order: the first that matches names the reason. Groups are non-capturing: the landing
# suite runs these patterns in pandas, which warns on capture groups.
LOOK_ALIKES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("政府信息公开工作年度报告", re.compile(r"(?:政府)?信息公开.{0,6}(?:年度)?报告|政务公开.{0,6}报告")),
    # a plan for the year; "…情况和下一年度工作安排的报告" is still a report
    ("工作要点", re.compile(r"工作要点|任务分工|责任清单|^(?!.*(?:情况|总结)).*(?:工作计划|工作安排)")),
    ("实施方案", re.compile(r"实施方案|实施意见|实施纲要|规划")),
    # 2021-2025, 2021—25年; a date (2024-03-01) is not a range: _normalise cuts dates out first
    (
        "five-year summary",
        re.compile(r"(?:19|20)\d\d\s*[-—–~至到－]+\s*(?:19|20)?\d\d(?![\d.\-/])\s*年?|五年|十三五|十四五"),
    ),
    ("示范创建", re.compile(r"示范创建|示范地区|示范项目|创建.{0,4}示范")),
    ("评估报告", re.compile(r"评估报告|评估结果|考核结果|督察报告|第三方评估")),
    ("政策解读/图解", re.compile(INTERPRETATION_PATTERN)),
    ("述法报告", re.compile(r"述法")),
    ("news about a meeting", re.compile(r"召开|审议|研究部署|听取|会议|座谈|调研|培训|通报|举办|专题学习|动员")),
    ("repost", re.compile(r"^[【\[]?(?:转载|转发)|关于转发|[【\[]转[】\]]")),
    ("notice", re.compile(r"通知$|通知》|的通知|征求意见|公示$|公告$")),
)

# The landing suite's check on titles reads these (expectations/landing_reports.json, "$package"): one rule.
LOOK_ALIKE_PATTERNS: tuple[str, ...] = tuple(pattern.pattern for _, pattern in LOOK_ALIKES)

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "0": 0}
_CN_DIGITS.update({c: i for i, c in enumerate("一二三四五六七八九", start=1)})
_CN_YEAR = re.compile(r"([二][〇○零Ｏ0O一二三四五六七八九]{3})\s*年")
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)\s*年")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-—–~至到－]+\s*(?:(?:19|20)?\d\d)")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
# A calendar date in a title is when the item was posted ("…年度报告2024-03-01"), never a year range or the
# report year: 2024-03-01, 2024.3.1, 2024/03/01, 2024年3月1日.
_DATE = re.compile(
    r"(?<!\d)(?:19|20)\d\d\s*(?:[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)(?!\d)"
)


@dataclass(frozen=True)
class Decision:
    is_annual_report: bool
    reason: str
    report_year: int | None
    year_source: str | None  # 'title' | 'body' | 'publish_date'


def _normalise(text: str) -> str:
    text = text.translate(_FULLWIDTH)
    return _CN_YEAR.sub(lambda m: "".join(str(_CN_DIGITS[c]) for c in m.group(1)) + "年", text)


def _clean_title(title: str) -> str:
    """A title as the rules read it: no spaces, Arabic digits, and no posting date."""
    return _DATE.sub(" ", _normalise(re.sub(r"\s+", "", title or "")))


def year_in(text: str, *, lo: int = 1999, hi: int = 2100) -> int | None:
    """The first year written as ``NNNN年`` (Arabic, full-width or Chinese numerals), ignoring ranges like 2021-2025."""
    text = _YEAR_RANGE.sub(" ", _normalise(text))
    for m in _YEAR.finditer(text):
        year = int(m.group(1))
        if lo <= year <= hi:
            return year
    # titles sometimes write the year without 年: 2023度, 2023法治政府…
    m = re.search(r"(?<!\d)((?:19|20)\d\d)(?=度|法治|依法)", text)
    return int(m.group(1)) if m else None


def _look_alike(title: str) -> str | None:
    for name, pattern in LOOK_ALIKES:
        if pattern.search(title):
            return name
    return None


def title_verdict(title: str) -> bool | None:
    """True: an annual report by its title; False: certainly not (look-alike or off topic); None: fetch the body."""
    title = _clean_title(title)
    if not title.strip():
        return None
    if _look_alike(title):
        return False
    topic, report = _TOPIC.search(title), _REPORT.search(title)
    if topic and report:
        return True
    if topic:
        # 法治政府建设 without a report word: a column page, a news item, or a report with a terse title
        return None
    # Off topic, unless the title is too bare to say (e.g. "2022年度工作情况").
    if re.search(r"年度.{0,6}(情况|报告)|情况报告|工作总结", title) and not re.search(
        r"政府工作报告|统计|决算|预算", title
    ):
        return None
    return False


# Body signals that a page without a telling title is the report itself.
_BODY_REPORT = re.compile(
    r"现将.{0,30}(法治政府建设|法治建设|依法行政).{0,20}(情况|工作)?.{0,6}(报告|汇报)如下|特此报告"
)


def _body_verdict(body: str) -> tuple[bool, str]:
    head = _normalise(body[:4000])
    if _BODY_REPORT.search(head) or _BODY_REPORT.search(body[-400:]):
        return True, "body: reports on 法治政府建设 (现将…报告如下 / 特此报告)"
    if body.count("法治政府建设") + body.count("依法行政") >= 5 and re.search(r"报告|汇报", head):
        return True, "body: a report centred on 法治政府建设"
    return False, "body: does not report on 法治政府建设"


def report_year(
    title: str, body: str | None = None, publish_date: dt.date | None = None
) -> tuple[int | None, str | None]:
    """(year, source): the title's year, else the body's first year, else the publication year minus one."""
    hi = (publish_date.year if publish_date else dt.date.today().year) + 1
    year = year_in(_clean_title(title), hi=hi)
    if year is not None:
        return year, "title"
    if body:
        year = year_in(body[:3000], hi=hi)
        if year is not None:
            return year, "body"
    if publish_date is not None:
        return publish_date.year - 1, "publish_date"
    return None, None


def classify(title: str, body: str | None = None, publish_date: dt.date | None = None) -> Decision:
    """Decide from the title, and from the body when the title alone cannot tell."""
    clean = _clean_title(title)
    year, source = report_year(title, body, publish_date)
    alike = _look_alike(clean)
    if alike:
        return Decision(False, f"look-alike: {alike}", year, source)
    verdict = title_verdict(clean)
    if verdict is True:
        return Decision(True, "title: 法治政府建设 report", year, source)
    if verdict is False:
        return Decision(False, "title: not about a 法治政府建设 report", year, source)
    if not body:
        return Decision(False, "ambiguous title and no body to decide on", year, source)
    ok, reason = _body_verdict(body)
    return Decision(ok, reason, year, source)
