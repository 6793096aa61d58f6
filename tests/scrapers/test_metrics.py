"""extract_metrics on the phrasings listed in the domain notes and on sentences taken from the seed reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrapers import landing
from scrapers.extract.metrics import TOPICS, cn_to_number, extract_metrics, parse_number

SEEDS = Path(__file__).resolve().parents[2] / "scrapers" / "demo" / "seeds"


def figures(text, sections=None):
    return {(m["metric"], m["value"]) for m in extract_metrics(text, sections)}


def by_metric(text):
    return {m["metric"]: m for m in extract_metrics(text)}


def test_keys_match_the_landing_struct():
    struct = landing.STREAMS["reports"]["metrics"]
    keys = [part.split()[0] for part in struct[len("STRUCT(") : -len(")[]")].split(", ")]
    m = extract_metrics("共收到行政复议申请20件，已办结19件。")[0]
    assert list(m) == keys
    assert isinstance(m["value"], float)


@pytest.mark.parametrize(
    ("num", "mult", "expected"),
    [
        ("3400", None, 3400),
        ("1.2", "万", 12000),
        ("２０", None, 20),
        ("1,234", None, 1234),
        ("二十三", None, 23),
        ("一百零五", None, 105),
        ("两千", None, 2000),
        ("十", None, 10),
        ("3", "亿", 300_000_000),
    ],
)
def test_parse_number(num, mult, expected):
    assert parse_number(num, mult) == expected


def test_cn_to_number_rejects_other_characters():
    assert cn_to_number("十四五") is None  # 十四五规划 is a name, not 19
    assert cn_to_number("") is None
    assert cn_to_number("三个") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # phrasings named in docs/domain notes
        (
            "今年，共收到行政复议申请20件，已办结19件。",
            {("admin_reconsideration_received", 20), ("admin_reconsideration_closed", 19)},
        ),
        ("行政机关负责人出庭率达100%。", {("leader_court_appearance_rate", 100)}),
        (
            "2022年，受理各类矛盾纠纷2150件，调解成功2122件，协议涉及金额2722.56元。",
            {("mediation_received", 2150), ("mediation_success", 2122)},
        ),
        # full-width digits and signs
        (
            "全区共收到行政复议申请２０件，已办结１９件，纠错率为１５．５％。",
            {
                ("admin_reconsideration_received", 20),
                ("admin_reconsideration_closed", 19),
                ("admin_reconsideration_correction_rate", 15.5),
            },
        ),
        # 万 and 余
        (
            "全市各级人民调解组织共受理矛盾纠纷1.2万件，调解成功1.1万余件，调解成功率达98.5%。",
            {("mediation_received", 12000), ("mediation_success", 11000), ("mediation_success_rate", 98.5)},
        ),
        # Chinese numerals
        (
            "市政府本级收到行政复议申请二十三件，审结二十件。",
            {("admin_reconsideration_received", 23), ("admin_reconsideration_closed", 20)},
        ),
        (
            "全年新收行政应诉案件45件，败诉3件，败诉率6.7%。",
            {("admin_litigation_cases", 45), ("admin_litigation_lost", 3), ("admin_litigation_loss_rate", 6.7)},
        ),
        (
            "全年共办理行政处罚案件1,234件，罚没款共计356.8万元。",
            {("admin_penalty_cases", 1234), ("admin_penalty_amount", 3_568_000)},
        ),
        (
            "制定规范性文件3件，审查规范性文件12件，清理规范性文件45件。",
            {("normative_docs_issued", 3), ("normative_docs_reviewed", 12), ("normative_docs_cleaned", 45)},
        ),
        ("全年作出重大行政决策5项。", {("major_decisions", 5)}),
        ("聘请法律顾问8名。", {("legal_advisers", 8)}),
        ("区政府聘请5名常年法律顾问。", {("legal_advisers", 5)}),
        ("全县行政执法人员持证率达98%。", {("enforcement_certification_rate", 98)}),
        ("全年办理法律援助案件356件。", {("legal_aid_cases", 356)}),
        ("全年组织学法12次。", {("law_study_sessions", 12)}),
        ("出庭应诉率为 85.7 %。", {("leader_court_appearance_rate", 85.7)}),
        (
            "共办理行政复议案件15件，其中维持10件，撤销2件，纠错率13.3%。",
            {
                ("admin_reconsideration_cases", 15),
                ("admin_reconsideration_corrected", 2),
                ("admin_reconsideration_correction_rate", 13.3),
            },
        ),
        (
            "全市法院共受理一审行政案件1,200件，行政诉讼案件败诉率为3.2%。",
            {("admin_litigation_cases", 1200), ("admin_litigation_loss_rate", 3.2)},
        ),
        ("全年备案审查规范性文件12件。", {("normative_docs_reviewed", 12)}),
        (
            "收到行政复议申请30件，不予受理3件，受理27件，审结25件。",
            {("admin_reconsideration_received", 30), ("admin_reconsideration_closed", 25)},
        ),
        ("开展法治政府建设专项督察3次。", {("law_supervision_inspections", 3)}),
        ("组织45名部门主要负责人现场述法。", {("leaders_law_reports", 45)}),
        # sentences from the seed reports
        (
            "2019年,我镇办理行政处罚14件,罚款金额共计27120元,行政检查21次,检查后处罚9件、办理行政许可217件。",
            {("admin_penalty_cases", 14), ("admin_penalty_amount", 27120)},
        ),
        (
            "2019年,各级调解组织及时调处了348件,调解成功340件,成功率达97.7%,没有发生因纠纷调处不及时而引发的恶性案件发生。",
            {("mediation_received", 348), ("mediation_success", 340), ("mediation_success_rate", 97.7)},
        ),
        ("通过清理,目前,我镇有20人持有合法有效的行政执法证件。", {("enforcement_certified_personnel", 20)}),
        (
            "2022年共办理行政诉讼案件10宗、行政复议案件2宗，行政诉讼案件负责人出庭应诉率达100%，通过行政机关负责人出庭。",
            {("admin_litigation_cases", 10), ("admin_reconsideration_cases", 2), ("leader_court_appearance_rate", 100)},
        ),
        (
            "2022年，全镇共办理行政处罚案件700余宗，其中立案查处环境违法行为92宗；查处非法行医案件罚没款约129万元。",
            {("admin_penalty_cases", 700), ("admin_penalty_amount", 1_290_000)},
        ),
        (
            "2022年以来，各调解组织共受理调解案件5911宗，成功调解5693宗，调解成功率为96.3%，涉及金额5792.14元。",
            {("mediation_received", 5911), ("mediation_success", 5693), ("mediation_success_rate", 96.3)},
        ),
        ("2022年常平镇出台规范性文件6份，不存在文件程序或内容违法的情形。", {("normative_docs_issued", 6)}),
        (
            "截至2022年12月28日，全区共领取全国统一行政执法证件666个，其中乡镇行政执法人员237个。",
            {("enforcement_certificates", 666)},
        ),
        ("今年，办理公证事项1693件，提供法律援助25件，参与公益法律服务活动39件。", {("legal_aid_cases", 25)}),
        (
            "对2004年1月1日至2021年12月31日止制发的规范性文件进行专项清理，其中保留147件、需修订9件、废止和失效69件。",
            {("normative_docs_retained", 147), ("normative_docs_repealed", 69)},
        ),
        (
            "2016年,全市各级行政复议机构共收到行政复议申请31件,其中立案受理31件。已受理的案件中,审结31件,其中维持30件,撤销和确认违法1件。",
            {
                ("admin_reconsideration_received", 31),
                ("admin_reconsideration_closed", 31),
                ("admin_reconsideration_corrected", 1),
            },
        ),
        ("2022年共举办了8场领导干部专题学法。", {("law_study_sessions", 8)}),
    ],
)
def test_phrasings(text, expected):
    assert figures(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "全面提高行政机关负责人出庭应诉率，有效降低行政案件败诉率，进一步提高依法行政水平。",
        "2021年12月31日，区政府召开常务会议研究法治政府建设年度报告。",
        "第一次集体学习行政复议法。",
        "开通热线04557711365，受理群众诉求。",
        "严格执行规范性文件审查备案登记制度，审查后报区相关部门备案。",
        "常平镇累计有效注册商标21400件，本年新增注册商标2487件。",  # counts outside every topic
        "人民调解成功率同比提高150%。",  # a change next to a rate word is not a rate
        "开展2022年度述法评议工作。",  # a year is not a number of people
    ],
)
def test_no_figure_where_there_is_none(text):
    assert extract_metrics(text) == []


def test_scope_jurisdiction_government_unknown():
    assert by_metric("全区共收到行政复议申请20件。")["admin_reconsideration_received"]["scope"] == "jurisdiction"
    assert by_metric("市政府本级收到行政复议申请12件。")["admin_reconsideration_received"]["scope"] == "government"
    m = by_metric("参加绵阳市安州区人民政府作为被告的行政诉讼案件2件，行政机关负责人出庭率达100%。")
    assert m["admin_litigation_cases"]["scope"] == "government"
    assert by_metric("今年，共收到行政复议申请20件。")["admin_reconsideration_received"]["scope"] == "unknown"
    # a 全省 after the figure does not make it a province-wide figure
    m = by_metric("共举办了8场领导干部专题学法，传达学习全省党内法规工作会议精神。")
    assert m["law_study_sessions"]["scope"] == "unknown"


def test_sentence_kept_as_printed_and_section_found():
    body = "一、主要成效\n今年，共收到行政复议申请２０件，已办结１９件。\n二、存在不足\n执法力量薄弱。"
    sections = [
        {"ord": 1, "level": 1, "heading": "一、主要成效", "text": "今年，共收到行政复议申请２０件，已办结１９件。"},
        {"ord": 2, "level": 1, "heading": "二、存在不足", "text": "执法力量薄弱。"},
    ]
    out = extract_metrics(body, sections)
    assert [m["value"] for m in out] == [20.0, 19.0]
    assert out[0]["sentence"] == "今年，共收到行政复议申请２０件，已办结１９件"  # full-width kept
    assert {m["section"] for m in out} == {"一、主要成效"}
    assert extract_metrics(body)[0]["section"] is None


def test_deepest_section_wins():
    sentence = "全年办理法律援助案件356件。"
    sections = [
        {"ord": 1, "level": 1, "heading": "一、成效", "text": "（一）公共法律服务\n" + sentence},
        {"ord": 2, "level": 2, "heading": "（一）公共法律服务", "text": sentence},
    ]
    assert extract_metrics(sentence, sections)[0]["section"] == "（一）公共法律服务"


def test_every_topic_has_fields_with_a_number_placeholder():
    for topic in TOPICS:
        assert topic.fields
        for field in topic.fields:
            assert all("{N}" in p for p in field.patterns), field.metric


def test_seed_reports_yield_their_headline_figures():
    """The five seed texts: every figure the labelled sentences state, and none outside the known metric names."""
    if not SEEDS.exists():
        pytest.skip("seed texts not bundled")
    found = {}
    for path in sorted(SEEDS.glob("*.txt")):
        found[path.name[:3]] = figures(path.read_text(encoding="utf-8"))
    assert {
        ("admin_reconsideration_received", 20),
        ("admin_reconsideration_closed", 19),
        ("leader_court_appearance_rate", 100),
        ("mediation_received", 2150),
        ("mediation_success", 2122),
        ("enforcement_certificates", 666),
    } <= found["001"]
    assert {("admin_reconsideration_received", 31), ("admin_reconsideration_closed", 31)} <= found["002"]
    assert {("admin_litigation_cases", 10), ("admin_penalty_cases", 700), ("mediation_success_rate", 96.3)} <= found[
        "003"
    ]
    assert found["004"] == {("leader_court_appearance_rate", 100)}
    names = {f.metric for t in TOPICS for f in t.fields}
    assert {metric for s in found.values() for metric, _ in s} <= names
