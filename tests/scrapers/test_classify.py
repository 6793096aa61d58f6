"""The annual-report classifier: title patterns, look-alikes, ambiguous titles decided by the body, report year."""

from __future__ import annotations

import datetime as dt

import pytest

from scrapers.classify import classify, report_year, title_verdict, year_in

REPORTS = [
    ("北京市2021年法治政府建设年度情况报告", 2021),
    ("2021年上海市法治政府建设情况报告", 2021),
    ("静海区2023年度法治政府建设情况报告", 2023),
    ("广州市人民政府关于2023年度法治政府建设情况的报告", 2023),
    ("中共嘉兴市委 嘉兴市人民政府关于嘉兴市2021年法治政府建设的年度报告", 2021),
    ("石门镇2022年法治政府建设工作总结的报告", 2022),
    ("青溪县司法局2024年度法治建设年度报告", 2024),
    ("青溪县交通运输局二〇二三年度法治政府建设工作报告", 2023),
    ("青溪县二○二二年法治政府建设年度报告", 2022),
    ("绵阳市安州区人民政府 2022年法治政府建设年度报告", 2022),
    ("XX镇２０２２年度法治政府建设年度情况报告", 2022),
    ("青溪县2015年度依法行政工作情况报告", 2015),
    ("关于青溪区2023年法治政府建设情况和2024年工作安排的报告", 2023),
    ("柳荫镇2019年法治政府建设工作情况汇报", 2019),
]

LOOK_ALIKES = [
    ("青溪县2022年政府信息公开工作年度报告", "政府信息公开"),
    ("青溪县人民政府办公室2023年政务公开工作年度报告", "政府信息公开"),
    ("2023年法治政府建设工作要点", "工作要点"),
    ("关于印发《青溪县2023年法治政府建设工作要点》的通知", "工作要点"),
    ("青溪县法治政府建设实施方案（2021—2025年）", "实施方案"),
    ("关于开展法治政府建设示范创建活动的通知", "示范创建"),
    ("青溪市法治政府建设第三方评估报告", "评估报告"),
    ("图解：2022年青溪县法治政府建设年度报告", "解读"),
    ("政策解读：《2022年法治政府建设年度报告》", "解读"),
    ("青溪县法治政府建设五年工作总结（2021-2025年）", "five-year"),
    ("2016—2020年法治政府建设情况报告", "five-year"),
    ("2022年度党政主要负责人述法报告", "述法"),
    ("县政府常务会议审议《2022年法治政府建设情况报告》", "meeting"),
    ("区委全面依法治区委员会召开会议 听取2022年法治政府建设情况报告", "meeting"),
    ("【转载】江苏省2022年法治政府建设年度报告", "repost"),
    ("关于报送2022年度法治政府建设情况报告的通知", "notice"),
]


@pytest.mark.parametrize(("title", "year"), REPORTS)
def test_report_titles(title, year):
    assert title_verdict(title) is True
    decision = classify(title)
    assert decision.is_annual_report is True, decision.reason
    assert (decision.report_year, decision.year_source) == (year, "title")


@pytest.mark.parametrize(("title", "kind"), LOOK_ALIKES)
def test_look_alikes(title, kind):
    assert title_verdict(title) is False
    decision = classify(title, body="现将2022年法治政府建设情况报告如下：" * 3)
    assert decision.is_annual_report is False
    assert decision.reason.startswith("look-alike") and kind in decision.reason


def test_off_topic_titles_are_rejected():
    for title in ("青溪县2022年政府工作报告", "关于2023年财政预算执行情况的报告", "青溪县召开安全生产会议"):
        assert title_verdict(title) is False, title
        assert classify(title).is_annual_report is False


def test_title_without_year_takes_the_body_year_then_publish_year_minus_one():
    title = "重庆市人民政府关于法治政府建设情况的报告"
    assert title_verdict(title) is True
    body = "市人大常委会：\n2016年，市政府紧紧围绕基本建成法治政府的总体目标……"
    decision = classify(title, body=body, publish_date=dt.date(2017, 9, 30))
    assert (decision.is_annual_report, decision.report_year, decision.year_source) == (True, 2016, "body")
    decision = classify(title, publish_date=dt.date(2024, 3, 28))
    assert (decision.report_year, decision.year_source) == (2023, "publish_date")
    assert classify(title).report_year is None


def test_ambiguous_titles_are_decided_by_the_body():
    assert title_verdict("法治政府建设") is None
    assert title_verdict("2022年度工作情况") is None
    report = "2022年，我局认真贯彻落实法治政府建设部署……现将2022年度法治政府建设工作情况报告如下：\n一、主要举措"
    decision = classify("法治政府建设", body=report, publish_date=dt.date(2023, 2, 1))
    assert decision.is_annual_report is True and decision.reason.startswith("body")
    assert (decision.report_year, decision.year_source) == (2022, "body")
    news = "3月5日，区政府召开常务会议，研究部署今年重点工作。会议强调，要持续优化营商环境。"
    decision = classify("法治政府建设", body=news)
    assert decision.is_annual_report is False and decision.reason.startswith("body")
    assert classify("法治政府建设").reason == "ambiguous title and no body to decide on"


def test_year_helpers():
    assert year_in("关于二〇二二年度法治政府建设情况的报告") == 2022
    assert year_in("法治政府建设实施纲要（2021—2025年）") is None  # a range is no report year
    assert year_in("2023度法治政府建设报告") == 2023
    assert report_year("", "成立于2004年1月1日", None) == (2004, "body")
    # a year after the publication is a typo or a plan, not the report year
    assert report_year("2031年法治政府建设情况报告", None, dt.date(2023, 3, 1)) == (2022, "publish_date")
