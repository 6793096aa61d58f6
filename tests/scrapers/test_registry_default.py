"""The registry shipped with fzzf: it validates, covers all 31 provinces, and is honest about unverified URLs."""

from __future__ import annotations

import re

from scrapers.registry.governments import load_registry
from scrapers.settings import DEFAULT_REGISTRY

PROVINCE_CODES = {
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000", "310000", "320000", "330000",
    "340000", "350000", "360000", "370000", "410000", "420000", "430000", "440000", "450000", "460000", "500000",
    "510000", "520000", "530000", "540000", "610000", "620000", "630000", "640000", "650000",
}  # fmt: skip


def test_default_registry_validates_and_covers_31_provinces():
    registry = load_registry(DEFAULT_REGISTRY)
    provinces = [g for g in registry if g.level == "province"]
    assert {g.id for g in provinces} == PROVINCE_CODES
    assert len({g.province for g in provinces}) == 31
    # Every other entry names one of those provinces the same way.
    assert {g.province for g in registry} == {g.province for g in provinces}


def test_ids_division_codes_and_parents():
    registry = load_registry(DEFAULT_REGISTRY)
    ids = {g.id for g in registry}
    for gov in registry:
        assert re.fullmatch(r"\d{6}(-[a-z]+)?", gov.id), gov.id
        assert gov.division_code == gov.id[:6], gov.id
        if "-" in gov.id:
            assert gov.level in ("department", "township"), gov.id
        if gov.level != "province":
            assert gov.parent_id and gov.parent_id[:2] == gov.id[:2], gov.id
        if gov.parent_id in ids:
            assert registry.get(gov.parent_id).province == gov.province


def test_rebuilt_or_guessed_urls_are_flagged_unverified_with_a_note():
    registry = load_registry(DEFAULT_REGISTRY)
    for gov in registry:
        if gov.url_status == "none":
            assert gov.no_url and not gov.note, gov.id  # generated from the division codes alone
            continue
        assert gov.note or gov.sources, gov.id  # every URL says where it came from
        if gov.note and ("rebuilt" in gov.note or "verify" in gov.note):
            assert gov.verified is False, gov.id
        if gov.url_status == "home":
            assert "home" in gov.note, gov.id
    # The rows from portals.csv that public crawler code used are the verified ones.
    assert sum(g.verified for g in registry) >= 10
    assert "500000-jw" in {g.id for g in registry if g.verified}


def test_every_government_of_the_mainland_is_registered_and_url_less_ones_say_so():
    registry = load_registry(DEFAULT_REGISTRY)
    levels = {lvl: sum(g.level == lvl for g in registry) for lvl in ("province", "city", "county")}
    assert levels == {"province": 31, "city": 333, "county": 2845}
    by_status = {s: sum(g.url_status == s for g in registry) for s in ("list", "report", "home", "none")}
    assert by_status["none"] > 3000 and by_status["list"] >= 36 and by_status["report"] >= 40
    # A home page is never read as a list page any more.
    assert not [g.id for g in registry if g.home_url and g.home_url in g.list_urls]


def test_how_to_add_a_government_is_documented_at_the_top():
    head = DEFAULT_REGISTRY.read_text(encoding="utf-8")[:3000]
    assert "Add a government" in head and "fzzf registry" in head and "verified: false" in head
