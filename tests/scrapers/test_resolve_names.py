"""Name forms, former codes and host guesses of ``fzzf registry resolve`` on real registry entries."""

from __future__ import annotations

import pytest

from scrapers.registry.governments import load_registry
from scrapers.registry.resolve.guess import host_guesses, initials, pinyin, seed_urls
from scrapers.registry.resolve.names import Names, strip_suffix
from scrapers.settings import DEFAULT_REGISTRY


@pytest.fixture(scope="module")
def shipped():
    registry = load_registry(DEFAULT_REGISTRY)
    return registry, Names(registry)


@pytest.mark.parametrize(
    ("name", "stem"),
    [("兴庆区", "兴庆"), ("峨边彝族自治县", "峨边"), ("海西蒙古族藏族自治州", "海西"), ("宁夏回族自治区", "宁夏"),
     ("赵县", "赵县"), ("井陉矿区", "井陉"), ("青海省", "青海")],
)  # fmt: skip
def test_strip_suffix(name, stem):
    assert strip_suffix(name) == stem


def test_place_readings_override_pypinyin():
    assert pinyin("什邡") == "shifang" and pinyin("宁都县") == "ningduxian" and pinyin("单县") == "shanxian"
    assert initials("长子") == "zz"  # an override keeps its syllables apart


def test_a_renamed_county_keeps_its_former_code_and_name(shipped):
    registry, names = shipped
    huangzhong = registry.get("630106")  # 湟中县 -> 湟中区 in 2019
    assert names.codes(huangzhong) == {"630106", "630122"}
    assert {"湟中县", "西宁市湟中县"} <= names.places(huangzhong)
    assert "湟中县" in names.link_names(huangzhong)


def test_a_former_code_now_held_by_another_government_proves_nothing(shipped):
    registry, names = shipped
    current = {g.division_code for g in registry if g.division_code}
    for gov in registry:
        assert not (names.codes(gov) - {gov.division_code}) & current, gov.id


def test_a_stem_two_siblings_share_is_not_a_link_name(shipped):
    registry, names = shipped
    stems = {}
    for gov in names.children["640100"]:
        for name in names.link_names(gov):
            assert stems.setdefault(name, gov.id) == gov.id, name  # no link text names two of 银川's districts


def test_host_guesses_start_with_the_plain_pinyin(shipped):
    registry, names = shipped
    guesses = host_guesses(registry.get("640121"), names)  # 永宁县
    assert guesses[0] == "http://www.yongning.gov.cn/"
    assert {"http://www.yongningxian.gov.cn/", "http://www.ynx.gov.cn/", "http://www.ycyongning.gov.cn/"} <= set(
        guesses
    )
    assert 20 <= len(guesses) <= 50 and len(guesses) == len(set(guesses))


def test_provinces_start_from_gov_site_list(shipped):
    registry, _ = shipped
    assert seed_urls(registry.get("640000")) == ["http://www.nx.gov.cn/", "https://www.nx.gov.cn/"]
    assert seed_urls(registry.get("640100")) == []
    assert sum(1 for g in registry if g.level == "province" and seed_urls(g)) == 31


def test_a_corrected_reading_is_tried_first_and_the_everyday_one_after(shipped):
    registry, names = shipped
    guesses = host_guesses(registry.get("320116"), names)  # 南京市六合区: lù hé, often written liuhe
    assert guesses.index("http://www.luhe.gov.cn/") < guesses.index("http://www.liuhe.gov.cn/")


def test_a_name_dns_does_not_know_costs_one_attempt_and_no_request(monkeypatch):
    """Without FZZF_HOSTS a guess is looked up first: a fetch would spend its retry series on robots.txt."""
    import dataclasses
    import socket

    from scrapers.collect.fetch import Fetcher
    from scrapers.registry.resolve.follow import Unreachable, land
    from scrapers.settings import Politeness

    monkeypatch.delenv("FZZF_HOSTS", raising=False)
    asked = []

    def lookup(host, port, proto=0):  # the resolver's answer for a name nobody registered
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetcher = Fetcher(dataclasses.replace(Politeness(), allow_private_hosts=True, retries=3, backoff=1.0))
    with pytest.raises(Unreachable) as caught:
        land(fetcher, "http://www.yongningxian.gov.cn/", lookup=lookup)
    assert caught.value.kind == "no_host" and caught.value.requests == 1
    assert asked == ["www.yongningxian.gov.cn"] and fetcher.requests_made == 0
