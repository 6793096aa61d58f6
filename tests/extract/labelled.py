"""The labelled extraction set: report pages with gold body and metadata, shared by the tests and the benchmark.

Generated cases wrap the five seed reports and three more report texts in every CMS family of
``scrapers.demo.pages`` (attachment-only pages carry a real PDF or DOCX). Hand-written cases are page files in
``pages/`` with a gold JSON beside each, for layouts the renderer does not produce.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from scrapers.demo.documents import render_docx, render_pdf
from scrapers.demo.pages import FAMILIES, render_report_page
from scrapers.demo.seeds import load_seeds

PAGES_DIR = Path(__file__).resolve().parent / "pages"
# The independent set: real pages from public repositories, gold written by reading them (real/<name>.json). The
# page files live outside the repository, beside it in the shared folder (on CI too), with their PROVENANCE.csv.
REAL_DIR = Path(__file__).resolve().parent / "real"
REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_PAGES_DEFAULT = REPO_ROOT.parent / "shared" / "pages" / "extract"


@dataclass(frozen=True)
class Case:
    name: str
    family: str
    url: str
    content: bytes
    title: str
    paragraphs: tuple[str, ...]
    publish_date: dt.date | None
    source: str | None
    report_year: int | None
    is_annual_report: bool
    attachment: tuple[str, bytes] | None = None  # (url, bytes) when the body is only that document


@dataclass(frozen=True)
class Report:
    government: str
    site_name: str
    title: str
    paragraphs: tuple[str, ...]
    publish_date: dt.date
    source: str | None
    report_year: int


# Report texts beyond the seeds, for title forms the seeds lack: no year in the title (year from the body), the
# 2024 法治建设年度报告 wording from a department, and a year in Chinese numerals. The units are fictional.
_EXTRA = (
    Report(
        government="青溪县",
        site_name="青溪县人民政府",
        title="青溪县人民政府关于法治政府建设情况的报告",
        publish_date=dt.date(2024, 3, 28),
        source="青溪县司法局",
        report_year=2023,
        paragraphs=(
            "青溪县人民政府文件",
            "县人大常委会：",
            "2023年，县政府坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想，全面落实法治政府建设实施纲要，各项工作取得新进展。现将有关情况报告如下：",
            "一、主要举措和成效",
            "（一）依法全面履行政府职能",
            "深化“放管服”改革，动态调整县级权责清单事项2136项，政务服务事项网上可办率达98.5%。",
            "（二）推进严格规范公正文明执法",
            "全年开展行政执法案卷评查2次，评查案卷156卷，发现问题23个，均已督促整改。全县行政机关负责人出庭应诉率达100%。",
            "二、存在的不足和原因",
            "基层执法力量仍然薄弱，部分执法人员法治意识有待提高。",
            "三、下一年度工作安排",
            "2024年，县政府将持续深化法治政府示范创建，加强行政复议和应诉工作，提升依法行政水平。",
            "青溪县人民政府",
            "2024年3月25日",
        ),
    ),
    Report(
        government="青溪县司法局",
        site_name="青溪县司法局",
        title="青溪县司法局2024年度法治建设年度报告",
        publish_date=dt.date(2025, 1, 20),
        source="县司法局",
        report_year=2024,
        paragraphs=(
            "2024年，县司法局在县委、县政府的坚强领导下，认真履行法治建设职责，现将本年度法治建设情况报告如下。",
            "一、履行法治建设职责情况",
            "1.健全行政复议体制。全年收到行政复议申请41件，受理38件，审结35件，纠错率为11.4%。",
            "2.加强公共法律服务。办理法律援助案件286件，人民调解组织受理矛盾纠纷1530件，调解成功1497件。",
            "二、党政主要负责人履行推进法治建设第一责任人职责情况",
            "局党组书记、局长带头学法述法，主持召开专题会议4次，研究解决法治建设重大问题。",
            "三、2025年工作安排",
            "持续推进“八五”普法，深化行政执法协调监督工作体系建设。",
            "青溪县司法局",
            "2025年1月15日",
        ),
    ),
    Report(
        government="青溪县交通运输局",
        site_name="青溪县交通运输局",
        title="青溪县交通运输局二〇二三年度法治政府建设工作报告",
        publish_date=dt.date(2024, 2, 6),
        source="县交通运输局",
        report_year=2023,
        paragraphs=(
            "今年以来，我局紧紧围绕法治政府建设目标，扎实推进交通运输领域依法行政。",
            "一、工作开展情况",
            "（一）规范行政执法行为。落实行政执法“三项制度”，全年办理行政处罚案件312件，罚没款46.8万元。",
            "（二）加强普法宣传。开展“法治进企业”活动12场，发放宣传资料3000余份。",
            "二、下一步打算",
            "进一步完善执法监督机制，提升执法人员素质。",
        ),
    ),
)

# Where each family puts its detail pages (domain.md fingerprints).
_URLS = {
    "trs": "http://www.{host}.gov.cn/zwgk/fzzfjsndbg/{d:%Y%m}/t{d:%Y%m%d}_{n}.html",
    "hanweb": "http://www.{host}.gov.cn/art/{d.year}/{d.month}/{d.day}/art_1229_{n}.html",
    "xxgk": "http://www.{host}.gov.cn/zfxxgk/fdzdgknr/qtfdxx/fzzfjsqkndbg/{d:%Y%m}/t{d:%Y%m%d}_{n}.html",
    "responsive": "https://www.{host}.gov.cn/fzzfjs/content_{n}.html",
    "table_gbk": "http://www.{host}.gov.cn/news/show.asp?id={n}",
    "inbody_chrome": "http://sfj.{host}.gov.cn/fzjs/{n}.jhtml",
    "attachment_only": "http://www.{host}.gov.cn/zwgk/fzzfjsnb/{d:%Y%m}/t{d:%Y%m%d}_{n}.html",
}


# Site names for the seeds' portals (the unit's own government site, or the district's for a street).
_SEED_SITES = {
    "000": "重庆市北碚区人民政府",
    "001": "绵阳市安州区人民政府",
    "002": "肇东市人民政府",
    "003": "东莞市常平镇人民政府",
    "004": "天津市南开区人民政府",
}


def _reports() -> list[tuple[str, Report]]:
    seeds = [
        (s.seed_id[:3], Report(s.government, _SEED_SITES[s.seed_id[:3]], s.title, s.paragraphs, s.publish_date,
                               s.source, s.report_year))
        for s in load_seeds()
    ]  # fmt: skip
    return seeds + [(f"x{k}", r) for k, r in enumerate(_EXTRA)]


def generated_cases() -> list[Case]:
    cases = []
    for k, (rid, report) in enumerate(_reports()):
        for f, family in enumerate(FAMILIES):
            n = 4000 + 37 * k + f
            url = _URLS[family].format(host=f"demo{k}", d=report.publish_date, n=n)
            attachments: list[tuple[str, str]] = []
            attachment = None
            if family == "attachment_only":
                kind = "pdf" if k % 2 == 0 else "docx"
                href = f"P0{report.publish_date:%Y%m%d}{n}.{kind}"
                attachments = [(f"{report.title}.{kind}", href)]
                builder = render_pdf if kind == "pdf" else render_docx
                attachment = (url.rsplit("/", 1)[0] + "/" + href, builder(report.title, report.paragraphs))
            elif k % 3 == 0:
                attachments = [("附件1：行政复议案件统计表.xls", f"/uploadfiles/{n}.xls")]
            content = render_report_page(
                family,
                title=report.title,
                paragraphs=report.paragraphs,
                publish_date=report.publish_date,
                source=report.source,
                site_name=report.site_name,
                attachments=attachments,
                # 信息公开 platforms stamp PubDate when they regenerate pages: the page's own date must win
                pubdate_meta=f"{report.publish_date.year + 1}-06-18 03:12:45" if family == "xxgk" else None,
            )
            cases.append(
                Case(
                    name=f"{rid}-{family}",
                    family=family,
                    url=url,
                    content=content,
                    title=report.title,
                    paragraphs=report.paragraphs,
                    publish_date=report.publish_date,
                    source=report.source,
                    report_year=report.report_year,
                    is_annual_report=True,
                    attachment=attachment,
                )
            )
    return cases


def file_cases() -> list[Case]:
    """Hand-written pages: ``pages/<name>.html`` (any encoding) and ``pages/<name>.json`` with the gold."""
    cases = []
    for gold_path in sorted(PAGES_DIR.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        cases.append(
            Case(
                name=gold_path.stem,
                family=gold["family"],
                url=gold["url"],
                content=gold_path.with_suffix(".html").read_bytes(),
                title=gold["title"],
                paragraphs=tuple(gold["paragraphs"]),
                publish_date=dt.date.fromisoformat(gold["publish_date"]) if gold["publish_date"] else None,
                source=gold["source"],
                report_year=gold["report_year"],
                is_annual_report=gold["is_annual_report"],
            )
        )
    return cases


def real_pages_dir() -> Path:
    """Where the independent set's page files are: ``FZZF_REAL_PAGES``, else ``../shared/pages/extract`` beside the
    repository (never edited: the files are byte for byte as their repositories keep them)."""
    return Path(os.environ.get("FZZF_REAL_PAGES") or REAL_PAGES_DEFAULT)


def real_gold() -> list[tuple[str, dict]]:
    return [(path.stem, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(REAL_DIR.glob("*.json"))]


def missing_real_pages() -> list[str]:
    return [f"{name}.html" for name, _ in real_gold() if not (real_pages_dir() / f"{name}.html").is_file()]


def real_cases() -> list[Case]:
    """The independent set, one Case per page whose file is present (see ``missing_real_pages``)."""
    cases = []
    for name, gold in real_gold():
        page = real_pages_dir() / f"{name}.html"
        if not page.is_file():
            continue
        cases.append(
            Case(
                name=name,
                family=gold["family"],
                url=gold["url"],
                content=page.read_bytes(),
                title=gold["title"],
                paragraphs=tuple(gold["paragraphs"]),
                publish_date=dt.date.fromisoformat(gold["publish_date"]) if gold["publish_date"] else None,
                source=gold["source"],
                report_year=None,
                is_annual_report=False,
            )
        )
    return cases


def all_cases() -> list[Case]:
    return generated_cases() + file_cases()


def run_project(case: Case) -> dict:
    """The project's route for one case, as the crawler runs it: the page, then its attachment when the body is one.

    Returns a scoring row (see ``scoring.score_set``) with the Page under ``page``.
    """
    from scrapers.extract import extract_page, page_from_attachment

    page = extract_page(case.content, url=case.url)
    if page.body_in_attachment and case.attachment and case.attachment[0] in page.body_in_attachment:
        page = page_from_attachment(page, case.attachment[1], case.attachment[0])
    return {
        "name": case.name,
        "gold": case.paragraphs,
        "text": page.body,
        "title": page.title,
        "publish_date": page.publish_date,
        "report_year": page.report_year,
        "gold_title": case.title,
        "gold_publish_date": case.publish_date,
        "gold_report_year": case.report_year,
        "page": page,
    }
