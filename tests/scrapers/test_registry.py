"""Registry validation: a good file loads; every kind of bad entry names the file, the entry and the field."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import yaml

from scrapers.registry.governments import RegistryError, load_registry

GOOD = {
    "defaults": {"reports_from": 2018, "grace_days": 45},
    "governments": [
        {
            "id": "510705",
            "name": "绵阳市安州区人民政府",
            "level": "county",
            "province": "四川省",
            "list_urls": ["https://www.anzhou.gov.cn/zwgk/fzzfjs/"],
            "reports_from": 2019,
            "parent_id": "510700",
        },
        {
            "id": "510700",
            "name": "绵阳市人民政府",
            "level": "city",
            "province": "四川省",
            "list_urls": ["https://www.my.gov.cn/fzzfjsndbg/", "http://sfj.my.gov.cn/fzjs/"],
            "due": "03-01",
        },
    ],
}


def write(tmp_path, data, name="registry.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_good_registry_loads_with_defaults_applied(tmp_path):
    reg = load_registry(write(tmp_path, GOOD))
    assert len(reg) == 2
    anzhou, mianyang = reg.get("510705"), reg.get("510700")
    assert anzhou.reports_from == 2019 and anzhou.grace_days == 45 and anzhou.due == "04-01"
    assert mianyang.reports_from == 2018 and mianyang.due == "03-01"
    assert mianyang.list_urls == ("https://www.my.gov.cn/fzzfjsndbg/", "http://sfj.my.gov.cn/fzjs/")
    assert anzhou.due_date(2022) == dt.date(2023, 4, 1)
    assert [g.id for g in reg.select(["510700"])] == ["510700"]


def test_entries_without_a_list_page_load_and_say_what_they_have(tmp_path):
    data = mutate(lambda d: None)
    report = "https://www.beijing.gov.cn/gongkai/fzzfjsbg/qzf/dcq/202403/t20240327_3602388.html"
    data["governments"] += [
        {"id": "510722", "name": "三台县人民政府", "level": "county", "province": "四川省", "no_url": True},
        {"id": "510723", "name": "盐亭县人民政府", "level": "county", "province": "四川省", "list_urls": [],
         "home_url": "http://www.yanting.gov.cn/"},
        {"id": "110101", "name": "北京市东城区人民政府", "level": "county", "province": "北京市", "list_urls": [],
         "report_urls": [report], "sources": [{"url": report, "evidence": "pages: seen published"}]},
    ]  # fmt: skip
    reg = load_registry(write(tmp_path, data))
    santai, yanting, dongcheng = reg.get("510722"), reg.get("510723"), reg.get("110101")
    assert santai.no_url and santai.list_urls == () and santai.crawl_urls == () and santai.url_status == "none"
    assert santai.division_code == "510722"  # a plain code id is its own division code
    # a home page only: crawled from there (column discovery), yet coverage says unknown until a list is registered
    assert yanting.url_status == "home" and yanting.crawl_urls == ("http://www.yanting.gov.cn/",)
    assert dongcheng.url_status == "report" and dongcheng.crawl_urls == (report,)
    assert dongcheng.sources == ((report, "pages: seen published"),)
    assert dongcheng.as_row()["sources"] == [{"url": report, "evidence": "pages: seen published"}]
    assert reg.get("510705").url_status == "list"


def mutate(fn):
    data = yaml.safe_load(yaml.safe_dump(GOOD, allow_unicode=True))
    fn(data)
    return data


BAD = [
    ("unknown key", lambda d: d["governments"][0].update(homepage="x"), "'510705' (#1)", "homepage"),
    ("missing name", lambda d: d["governments"][1].pop("name"), "'510700' (#2)", "name"),
    ("missing id", lambda d: d["governments"][1].pop("id"), "#2", "id"),
    ("bad level", lambda d: d["governments"][0].update(level="village"), "'510705' (#1)", "level"),
    ("year as string", lambda d: d["governments"][0].update(reports_from="2019"), "'510705' (#1)", "reports_from"),
    ("bool year", lambda d: d["governments"][0].update(reports_from=True), "'510705' (#1)", "reports_from"),
    ("id as int", lambda d: d["governments"][0].update(id=510705), "#1", "id"),
    # ids name files (state, landing, locks): "510705 a" would share 510705_a's, "../x" would leave the data dir
    ("id with a space", lambda d: d["governments"][0].update(id="510705 a"), "'510705 a' (#1)", "id"),
    ("id with a path", lambda d: d["governments"][0].update(id="../../x"), "'../../x' (#1)", "id"),
    ("id with a dot", lambda d: d["governments"][0].update(id="510705.a"), "'510705.a' (#1)", "id"),
    (
        "ids apart by case",
        lambda d: d["governments"][1].update(id="510705-A") or d["governments"][0].update(id="510705-a"),
        "'510705-A' (#2)",
        "id",
    ),
    (
        "list_urls a string",
        lambda d: d["governments"][0].update(list_urls="https://a.gov.cn/"),
        "'510705' (#1)",
        "list_urls",
    ),
    ("relative url", lambda d: d["governments"][0].update(list_urls=["/zwgk/"]), "'510705' (#1)", "list_urls"),
    ("ftp url", lambda d: d["governments"][0].update(list_urls=["ftp://a.gov.cn/"]), "'510705' (#1)", "list_urls"),
    ("empty url list", lambda d: d["governments"][0].update(list_urls=[]), "'510705' (#1)", "list_urls"),
    ("bad due", lambda d: d["governments"][1].update(due="4-1"), "'510700' (#2)", "due"),
    ("feb 29 due", lambda d: d["governments"][1].update(due="02-29"), "'510700' (#2)", "due"),
    ("negative grace", lambda d: d["governments"][1].update(grace_days=-1), "'510700' (#2)", "grace_days"),
    ("duplicate id", lambda d: d["governments"][1].update(id="510705"), "'510705' (#2)", "id"),
    ("unknown default", lambda d: d["defaults"].update(deadline="04-01"), "defaults", "deadline"),
    # URL-less entries must say so, and say so truthfully; evidence must be about the entry's own URLs.
    ("list_urls left out", lambda d: d["governments"][0].pop("list_urls"), "'510705' (#1)", "list_urls"),
    ("no_url with a URL", lambda d: d["governments"][0].update(no_url=True), "'510705' (#1)", "no_url"),
    ("no_url a string", lambda d: d["governments"][0].update(no_url="yes"), "'510705' (#1)", "no_url"),
    (
        "no_url with a report URL",
        lambda d: d["governments"][0].update(no_url=True, list_urls=[], report_urls=["https://a.gov.cn/t.html"]),
        "'510705' (#1)",
        "no_url",
    ),
    (
        "relative report url",
        lambda d: d["governments"][0].update(report_urls=["/t.html"]),
        "'510705' (#1)",
        "report_urls",
    ),
    ("home_url no scheme", lambda d: d["governments"][0].update(home_url="www.a.gov.cn"), "'510705' (#1)", "home_url"),
    (
        "home_url a list",
        lambda d: d["governments"][0].update(home_url=["https://a.gov.cn/"]),
        "'510705' (#1)",
        "home_url",
    ),
    (
        "evidence for another URL",
        lambda d: d["governments"][0].update(sources=[{"url": "https://b.gov.cn/", "evidence": "seen"}]),
        "'510705' (#1)",
        "sources",
    ),
    (
        "evidence missing",
        lambda d: d["governments"][0].update(sources=[{"url": "https://www.anzhou.gov.cn/zwgk/fzzfjs/"}]),
        "'510705' (#1)",
        "sources",
    ),
    (
        "evidence empty",
        lambda d: d["governments"][0].update(
            sources=[{"url": "https://www.anzhou.gov.cn/zwgk/fzzfjs/", "evidence": " "}]
        ),
        "'510705' (#1)",
        "sources",
    ),
]


@pytest.mark.parametrize(("case", "change", "entry", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_entry_names_file_entry_and_field(tmp_path, case, change, entry, field):
    path = write(tmp_path, mutate(change))
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    err = info.value
    assert err.path == str(path)
    assert err.entry == entry
    assert err.field == field
    message = str(err)
    assert str(path) in message and entry in message and f"'{field}'" in message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("governments: [\n  - id: 1\n    name: [", "not valid YAML at line"),
        ("- just a list\n", "must be a mapping"),
        ("governments: []\n", "non-empty list"),
        ("govs: []\n", "unknown top-level key"),
    ],
)
def test_unusable_files(tmp_path, text, needle):
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match=needle):
        load_registry(path)


def test_missing_file(tmp_path):
    with pytest.raises(RegistryError, match="file not found"):
        load_registry(tmp_path / "nope.yaml")


def test_cli_exits_2_and_writes_nothing_on_bad_registry(tmp_path):
    """The contract: a bad registry is a configuration error (exit 2) and nothing is crawled or written."""
    path = write(tmp_path, mutate(lambda d: d["governments"][0].update(level="village")))
    data_dir = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapers.cli", "crawl", "--registry", str(path), "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert str(path) in proc.stderr and "'510705' (#1)" in proc.stderr and "'level'" in proc.stderr
    assert not data_dir.exists()


def test_cli_registry_summary(tmp_path):
    path = write(tmp_path, GOOD)
    proc = subprocess.run(
        [sys.executable, "-m", "scrapers.cli", "registry", "--registry", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 governments (city 1, county 1)" in proc.stdout
    assert "best URL known: list 2, report 0, home 0, none 0" in proc.stdout


def test_ids_that_would_share_or_escape_files_stop_the_crawl_before_anything_is_written(tmp_path):
    """'510705 a' and '510705_a' once shared state/510705_a.json (the second government's report was "known" and
    never landed); '../../escape' wrote a lock file outside the data directory. Against a live local portal the
    crawl now exits 2 naming the entry and the field, and writes nothing anywhere."""
    from reliability.farm import Site, list_page, page

    site = Site("ids", "127.0.120.5")
    try:
        site.set("/fzzf/", page(list_page([("测试县2023年法治政府建设年度报告", "/fzzf/2023.html", "2024-03-20")])))
        url = site.url("/fzzf/")
        for ids, named in ((["510705 a", "510705_a"], "'510705 a' (#1)"), (["../../escape"], "'../../escape' (#1)")):
            entries = [{"id": i, "name": f"测试{n}县人民政府", "level": "county", "province": "四川省", "list_urls": [url]}
                       for n, i in enumerate(ids)]  # fmt: skip
            work = tmp_path / str(len(ids))
            work.mkdir()
            path = write(work, {"governments": entries})
            data_dir = work / "a" / "b" / "data"
            proc = subprocess.run(
                [sys.executable, "-m", "scrapers.cli", "crawl", "--registry", str(path), "--data-dir", str(data_dir),
                 "--allow-private-hosts", "--delay", "0", "--no-progress"],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert proc.returncode == 2, proc.stderr
            assert named in proc.stderr and "'id'" in proc.stderr and str(path) in proc.stderr
            assert sorted(p.name for p in work.rglob("*")) == ["registry.yaml"]  # no data dir, no stray lock
        assert site.hits() == []
    finally:
        site.close()
