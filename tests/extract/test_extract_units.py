"""Extractor parts on small pages: decoding, broken markup, dates, attachments, sections, the Page contract."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lxml import etree

from scrapers.demo.documents import render_docx, render_pdf
from scrapers.demo.seeds import load_seeds
from scrapers.extract import EXTRACTOR_VERSION, AttachmentError, extract_attachment, extract_page
from scrapers.extract.decode import decode_html
from scrapers.extract.sections import split_sections

BODY = [
    "一、工作情况",
    "2022年，本局坚持依法行政，全年办理行政复议案件12件，纠错率为8.3%。",
    "青溪县司法局",
    "2023年1月5日",
]


def _page(body_html: str, head: str = "", title: str = "青溪县司法局2022年法治政府建设年度报告") -> str:
    return (
        f"<html><head>{head}<title>{title}</title></head><body><div class='position'>您的位置：首页</div>"
        f"<h1>{title}</h1><div class='info'>来源：县司法局 发布时间：2023-01-06 浏览次数：12</div>"
        f"<div class='TRS_Editor'>{body_html}</div><div class='footer'>主办单位：青溪县人民政府</div></body></html>"
    )


PARAS = "".join(f"<p>{p}</p>" for p in BODY)


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ("", "gb18030"),  # no declaration at all
        ("<meta charset='gb2312'>", "gb18030"),
        ("<meta charset='utf-8'>", "gb18030"),  # declares UTF-8, bytes are GBK
        ("<meta charset='gbk'>", "utf-8"),  # declares GBK, bytes are UTF-8
    ],
)
def test_encodings(head, encoding):
    page = extract_page(_page(PARAS, head).encode(encoding))
    assert page.body.splitlines() == BODY
    assert page.title == "青溪县司法局2022年法治政府建设年度报告"


def test_gb2312_declared_page_with_gbk_only_characters():
    text = _page("<p>开展“12·4”国家宪法日活动，邀请王堃、李喆律师授课。</p>", "<meta charset='gb2312'>")
    content = text.encode("gb18030")
    assert decode_html(content)[1] == "gb18030"
    assert extract_page(content).body == "开展“12·4”国家宪法日活动，邀请王堃、李喆律师授课。"


def test_utf8_bom_and_empty_or_garbage_input():
    assert extract_page(b"\xef\xbb\xbf" + _page(PARAS).encode()).body.splitlines() == BODY
    for content in (b"", b"<html>", b"<html><body></body></html>"):
        page = extract_page(content)
        assert page.body == "" and page.title is None and page.is_annual_report is False
    assert extract_page(b"\x00\xff\xfe not a page").is_annual_report is False


def test_stray_closing_html_tag_after_header_include():
    text = _page(PARAS).replace("<div class='position'>", "</html><div class='position'>")
    # lxml alone drops everything after the stray tag
    plain = etree.fromstring(text, etree.HTMLParser())
    assert "行政复议" not in "".join(plain.itertext())
    assert extract_page(text.encode()).body.splitlines() == BODY


def test_unclosed_tags_and_br_paragraphs():
    body = "<font face='宋体'>&nbsp;&nbsp;" + "<br>\n&nbsp;&nbsp;&nbsp;&nbsp;".join(BODY) + "<p align=right>"
    assert extract_page(_page(body).encode()).body.splitlines() == BODY


def test_word_spans_and_full_width_indentation():
    body = (
        '<p class="MsoNormal">\u3000\u3000<span lang="EN-US">2022</span><span>年，本局坚持依法</span>\n'
        "<span>行政，全年办理行政复议案件</span><span lang=EN-US>12</span><span>件，纠错率为8.3%。</span></p>"
    )
    assert extract_page(_page(body).encode()).body == BODY[1]


def test_publish_date_prefers_the_page_line_and_distrusts_regeneration_stamps():
    regen = "<meta name='PubDate' content='2025-06-18 03:12:45'>"
    page = extract_page(_page(PARAS, regen).encode(), url="http://x.gov.cn/fzzf/202301/t20230106_1.html")
    assert page.publish_date == dt.date(2023, 1, 6)  # the 发布时间 line
    no_line = _page(PARAS, regen).replace("发布时间：2023-01-06", "")
    page = extract_page(no_line.encode(), url="http://x.gov.cn/fzzf/202301/t20230106_1.html")
    assert page.publish_date == dt.date(2023, 1, 6)  # URL date: PubDate is 2.5 years later
    page = extract_page(no_line.replace("2025-06-18", "2023-01-07").encode(), url="http://x.gov.cn/a/1.html")
    assert page.publish_date == dt.date(2023, 1, 7)  # PubDate trusted when nothing contradicts it


def test_attachments_are_absolute_and_a_body_only_attachment_is_flagged():
    body = "<p>附件：<a href='P020230106.pdf'>2022年法治政府建设年度报告.pdf</a></p>"
    page = extract_page(_page(body).encode(), url="http://x.gov.cn/fzzf/202301/t20230106_1.html")
    url = "http://x.gov.cn/fzzf/202301/P020230106.pdf"
    assert page.attachments == [{"name": "2022年法治政府建设年度报告.pdf", "url": url}]
    assert page.body == "" and page.body_in_attachment == [url]
    # a real body beside an attachment: the attachment is listed, the body stays
    page = extract_page(_page(PARAS + body).encode(), url="http://x.gov.cn/fzzf/202301/t20230106_1.html")
    assert page.body.splitlines() == BODY and page.body_in_attachment == []


@pytest.mark.parametrize("render", [render_pdf, render_docx])
def test_extract_attachment_round_trip(render):
    seed = load_seeds()[4]
    content = render(seed.title, seed.paragraphs)
    name = "report.pdf" if render is render_pdf else "report.docx"
    assert extract_attachment(content, name).splitlines() == list(seed.paragraphs)


def test_extract_attachment_rejects_other_files():
    with pytest.raises(AttachmentError, match="not a PDF or DOCX"):
        extract_attachment(b"\xd0\xcf\x11\xe0 old word", "http://x.gov.cn/a.doc")
    with pytest.raises(AttachmentError):
        extract_attachment(b"%PDF-1.4 truncated", "a.pdf")


def test_sections_levels_headings_and_order():
    seed = load_seeds()[2]  # 肇东市: 一、… and (一)… with numerals lost in copy-paste: "()"
    sections = split_sections(list(seed.paragraphs))
    assert [s["ord"] for s in sections] == list(range(1, len(sections) + 1))
    assert sections[0]["level"] == 0 and sections[0]["heading"] is None
    level1 = [s["heading"] for s in sections if s["level"] == 1]
    assert level1 == [
        "一、依法行政，实现政府职能转变".replace("，", ","),
        "二、依法决策，实现行政决策法制化".replace("，", ","),
        "三、依法用权，实现公正文明执法".replace("，", ","),
        "四、依法监督，实现权力规范运行".replace("，", ","),
        "五、依法维稳，实现社会和谐稳定".replace("，", ","),
        "六、依法宣传，实现良好法治环境".replace("，", ","),
    ]
    level2 = [s for s in sections if s["level"] == 2]
    assert len(level2) == 25
    assert level2[0]["heading"] == "()主要领导亲自落实,做到“责任到位”。"
    assert level2[0]["text"].startswith("严格履行依法行政第一责任人责任制度")
    # nothing lost, nothing reordered
    rebuilt = [piece for s in sections for piece in ((s["heading"] or "") + s["text"].replace("\n", ""),)]
    assert "".join(rebuilt) == "".join(seed.paragraphs)


def test_page_contract_and_issuer():
    seeds = {s.seed_id[:3]: s for s in load_seeds()}
    from scrapers.demo.pages import render_report_page

    for sid, issuer in (("001", "绵阳市安州区人民政府"), ("004", "南开区人民政府万兴街道办事处"), ("002", None)):
        s = seeds[sid]
        content = render_report_page(
            "trs", title=s.title, paragraphs=s.paragraphs, publish_date=s.publish_date, source=s.source, site_name="x"
        )
        page = extract_page(content)
        assert page.issuer == issuer
        record = json.loads(json.dumps(page.as_dict(), ensure_ascii=False))
        assert record["publish_date"] == s.publish_date.isoformat()
        assert record["extractor_version"] == EXTRACTOR_VERSION
        assert {"title", "body", "source", "issuer", "report_year", "is_annual_report", "decision_reason"} <= set(
            record
        )
        assert all(set(sec) == {"ord", "level", "heading", "text"} for sec in record["sections"])


def test_prose_that_mentions_widget_words_is_kept():
    prose = [
        "开通“青溪司法”微信公众号，群众扫描二维码即可预约法律咨询，全年服务群众3000余人次。",
        "分享到各村（社区）的普法短视频累计播放12万次，群众反响良好，形成了良好的学法氛围。",
        "如需法律帮助，群众可通过12348热线联系我们的值班律师，全年接听咨询电话2100余个。",
    ]
    body = "".join(f"<p>{p}</p>" for p in prose) + "<p>扫一扫在手机打开当前页</p><p>分享到：</p>"
    assert extract_page(_page(body).encode()).body.splitlines() == prose
