"""The crawler end to end on the portal farm and the demo portal: precision and recall, bad cases as crawl-log rows,
incremental re-runs, new versions, gone reports, the per-government lock, and the CLI."""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import urlsplit

import filelock
import pytest
import yaml
from farm.server import Farm, Resource
from farm.sites import PAGINATION, add_robots, build_site

from scrapers import cli
from scrapers.collect import crawl
from scrapers.collect.crawl import crawl_government, run_crawl
from scrapers.demo.portal import DemoPortal
from scrapers.landing import Landing
from scrapers.registry.governments import parse_registry
from scrapers.settings import Politeness

# The timeout is generous for a loaded CI machine; the farm's one slow page sleeps far longer.
POLITE = Politeness(delay=0, retries=1, backoff=0, timeout=1.5, allow_private_hosts=True, workers=4)
HOSTS = ("127.0.0.1", "127.0.0.2")


def registry(farm, govs, extra=()):
    return list(parse_registry({"governments": [g.registry_entry(farm) for g in govs] + list(extra)}, "farm.yaml"))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Seven governments (one per pagination family) on two hosts, a dead portal and an off-site link, crawled once."""
    farm = Farm()
    govs = [
        build_site(
            farm,
            f"g{k}",
            f"测试{k}县",
            HOSTS[k % 2],
            family,
            k=k,
            per_page=3,
            repost_from="测试市人民政府" if k == 2 else None,
        )  # fmt: skip
        for k, family in enumerate(PAGINATION)
    ]
    for host in HOSTS:
        add_robots(farm, host)
    farm.add("127.0.0.1", "/dead/", Resource(b"server error", status=500))
    farm.add("127.0.0.3", "/robots.txt", Resource(b"", status=404))
    data = tmp_path_factory.mktemp("crawl")
    with farm:
        # An off-site report link on g0's first list page (the port is known once the farm runs).
        first = farm.sites["127.0.0.1"]["/g0/"]
        offsite = f'<li><a href="{farm.url("127.0.0.3", "/x.html")}">别处2023年法治政府建设年度报告</a><span>2024-03-01</span></li>'
        first.body = first.body.replace(b'<ul class="list">', b'<ul class="list">' + offsite.encode())
        dead = {
            "id": "dead",
            "name": "停机县",
            "level": "county",
            "province": "测试省",
            "list_urls": [farm.url("127.0.0.1", "/dead/")],
        }
        governments = registry(farm, govs, [dead])
        summary = run_crawl(governments, data, POLITE)
        first_log = list(farm.log)
        farm.reset_log()
        again = run_crawl(governments, data, POLITE)
        rerun_log = list(farm.log)
        farm.reset_log()
        third = run_crawl(governments, data, POLITE)
        yield {"farm": farm, "govs": govs, "data": data, "summary": summary, "again": again, "log": first_log,
               "rerun_log": rerun_log, "third": third, "third_log": list(farm.log)}  # fmt: skip


def test_precision_and_recall_are_one(crawled):
    rows = Landing(crawled["data"]).read_rows("reports")
    got = {(r["government_id"], urlsplit(r["url"]).path, r["report_year"]) for r in rows}
    expected = {(g.id, path, year) for g in crawled["govs"] for path, year in g.expected.items()}
    true_pos = got & expected
    assert len(true_pos) / len(got) == 1.0  # precision
    assert len(true_pos) / len(expected) == 1.0  # recall
    assert len(rows) == len(expected)  # one record per report: the repost landed no second row
    look_alikes = {(g.id, p) for g in crawled["govs"] for p in g.look_alikes + g.unreachable}
    assert not {(gid, path) for gid, path, _ in got} & look_alikes
    assert all(r["body"] and r["raw_sha256"] and r["extractor_version"] for r in rows)


def test_every_link_decision_has_a_reason_and_bad_cases_are_logged(crawled):
    landing = Landing(crawled["data"])
    links = landing.read_rows("links")
    assert all(link["reason"] for link in links)
    by_path = {
        (link["government_id"], urlsplit(link["url"]).path): link
        for link in links
        if link["run_id"] == crawled["summary"].run_id
    }
    for gov in crawled["govs"]:
        k = gov.id[1:]
        assert "robots" in by_path[(gov.id, f"/private/{gov.id}/t_{k}.html")]["reason"]
        assert "HTTP 500" in by_path[(gov.id, f"/{gov.id}/broken/t_{k}.html")]["reason"]
        assert by_path[(gov.id, f"/{gov.id}/repost/t{2021}0401_{k}.html")]["reason"].startswith("duplicate")
    assert by_path[("g0", "/g0/slow/t_0.html")]["decision"] == "error"
    assert "timed out" in by_path[("g0", "/g0/slow/t_0.html")]["reason"]
    assert by_path[("g0", "/x.html")]["reason"].startswith("off-site")
    assert by_path[("g2", "/g2/202504/t20250402_77.html")]["reason"].startswith("repost: signed by 测试市人民政府")
    assert not [
        r for r in crawled["log"] if r.path.startswith("/private/") or r.host == "127.0.0.3" and r.path == "/x.html"
    ]
    logs = {r["government_id"]: r for r in landing.read_rows("crawl_log") if r["run_id"] == crawled["summary"].run_id}
    assert logs["dead"]["status"] == "failed" and "HTTP 500" in logs["dead"]["error"]
    assert all(logs[g.id]["status"] == "partial" and logs[g.id]["error"] for g in crawled["govs"])
    assert crawled["summary"].all_failed is False
    assert "dead: failed" in crawled["summary"].describe()


def test_rerun_lands_nothing_new_and_rechecks_only_the_links_that_failed(crawled):
    again, log = crawled["again"], crawled["rerun_log"]
    assert sum(r.reports_new for r in again.results) == 0
    landing = Landing(crawled["data"])
    assert not [r for r in landing.read_rows("reports") if r["run_id"] == again.run_id]
    # One conditional request per government's list page (robots.txt comes from the on-disk cache; the dead
    # portal's 500 is retried once, as every 5xx is) ...
    list_paths = {g.list_path.split("#")[0] for g in crawled["govs"]}
    list_requests = [r for r in log if r.path in list_paths]
    assert len(list_requests) == len(crawled["govs"])
    assert all(r.headers.get("if-none-match") for r in list_requests)
    # ... and, although every list answered 304, one re-check of each link that failed in run 1 (none of the
    # reports that landed is fetched again).
    failed_paths = {
        urlsplit(r["url"]).path
        for r in landing.read_rows("links")
        if r["run_id"] == crawled["summary"].run_id and r["decision"] == "error"
    }
    others = {r.path for r in log if r not in list_requests and r.path != "/dead/"}
    assert others and others <= failed_paths
    rechecks = [r for r in landing.read_rows("links") if r["run_id"] == again.run_id]
    assert rechecks and all(r["reason"].startswith("re-check 1: ") for r in rechecks)


def test_third_run_waits_for_the_backoff(crawled):
    # The second re-check of a link that keeps failing waits FZZF_RETRY_BACKOFF_HOURS (6 h by default).
    log = crawled["third_log"]
    list_paths = {g.list_path.split("#")[0] for g in crawled["govs"]} | {"/dead/"}
    assert [r.path for r in log if r.path not in list_paths] == []
    state = Landing(crawled["data"]).load_state("g0")
    assert state["pending"] and all(p["attempts"] == 2 for p in state["pending"].values())


def test_new_report_stops_paging_at_the_first_known_page(tmp_path):
    farm = Farm()
    gov = build_site(
        farm, "g0", "测试县", "127.0.0.1", "trs4", range(2015, 2024), per_page=3, look_alikes=False, quirks=False
    )
    with farm:
        (entry,) = registry(farm, [gov])
        assert crawl_government(entry, tmp_path, POLITE).reports_new == 9
        build_site(
            farm, "g0", "测试县", "127.0.0.1", "trs4", range(2015, 2025), per_page=3, look_alikes=False, quirks=False
        )
        farm.reset_log()
        result = crawl_government(entry, tmp_path, POLITE)
    assert result.reports_new == 1 and result.status == "ok"
    # Page 1 held the new report, page 2 only known links: paging stops there, not at the last of 6 pages.
    assert result.pages_fetched == 2
    assert [r.path for r in farm.log if "/2025" in r.path] == ["/g0/202503/t20250320_024.html"]


def test_changed_report_lands_a_new_version_and_a_vanished_one_is_gone(tmp_path, monkeypatch):
    farm = Farm()
    gov = build_site(farm, "g0", "测试县", "127.0.0.1", "query", range(2021, 2024), look_alikes=False, quirks=False)
    with farm:
        (entry,) = registry(farm, [gov])
        crawl_government(entry, tmp_path, POLITE)
        changed, vanished, _ = sorted(gov.expected)
        site = farm.sites["127.0.0.1"]
        site[changed].body = site[changed].body.replace("坚持以习近平".encode(), "始终坚持以习近平".encode())
        del site[vanished]
        monkeypatch.setenv("FZZF_REVISIT_DAYS", "0")
        second = crawl_government(entry, tmp_path, POLITE)
        third = crawl_government(entry, tmp_path, POLITE)
    landing = Landing(tmp_path)
    versions = [r for r in landing.read_rows("reports") if urlsplit(r["url"]).path == changed]
    assert len(versions) == 2 and versions[0]["content_hash"] != versions[1]["content_hash"]
    assert second.run_id in {v["run_id"] for v in versions} and second.reports_new == 1
    gone = [row for row in landing.read_rows("links") if row["decision"] == "gone"]
    assert [(urlsplit(g["url"]).path, g["run_id"], g["http_status"]) for g in gone] == [(vanished, second.run_id, 404)]
    assert any(urlsplit(r["url"]).path == vanished for r in landing.read_rows("reports"))  # still in the landing
    assert third.reports_new == 0


def test_second_crawl_of_a_government_is_refused_while_one_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(crawl, "GOV_LOCK_WAIT", 0.1)
    entry = parse_registry({"governments": [{"id": "110000", "name": "北京市", "level": "province", "province": "北京",
                                             "list_urls": ["http://127.0.0.1:9/"]}]}, "x.yaml").governments[0]  # fmt: skip
    (tmp_path / "locks").mkdir()
    with filelock.FileLock(str(tmp_path / "locks" / "gov-110000.lock")):
        result = crawl_government(entry, tmp_path, POLITE)
    assert result.status == "locked" and "gov-110000.lock" in result.error
    assert not list((tmp_path / "landing" / "crawl_log").glob("*/*.jsonl"))


def test_demo_portal_end_to_end_with_progress_bar(tmp_path, capsys):
    with DemoPortal() as portal:
        governments = list(parse_registry(yaml.safe_load(portal.registry_yaml()), "demo.yaml"))
        summary = run_crawl(governments, tmp_path, POLITE, progress=True)
        again = run_crawl(governments, tmp_path, POLITE)
        expected, look_alikes = set(portal.expected_reports()), {url for _, url in portal.look_alikes()}
    assert len(expected) == 24 and len(look_alikes) == 15
    rows = Landing(tmp_path).read_rows("reports")
    assert {(r["government_id"], r["report_year"], r["url"]) for r in rows} == expected
    missing = {(g.id, y) for g in portal.governments for y in portal.years} - {(g, y) for g, y, _ in expected}
    assert missing == {("231282", portal.latest - 1)}
    skipped = {row["url"] for row in Landing(tmp_path).read_rows("links") if row["decision"] == "skipped"}
    assert skipped == look_alikes
    assert summary.describe().startswith(f"crawl {summary.run_id}: 5 governments (ok 5)")
    assert sum(r.reports_new for r in again.results) == 0
    err = capsys.readouterr().err
    assert "5/5 governments" in err and "reports 24" in err


def test_cli_crawl_prints_plain_log_lines(tmp_path, caplog):
    with DemoPortal() as portal:
        reg = tmp_path / "registry.yaml"
        reg.write_text(portal.registry_yaml(), encoding="utf-8")
        with caplog.at_level(logging.INFO, logger="fzzf.crawl"):
            code = cli.main(["crawl", "--registry", str(reg), "--data-dir", str(tmp_path / "d"), "--allow-private-hosts",
                             "--delay", "0", "--only", "510705"])  # fmt: skip
    assert code == 0
    assert any("510705: ok" in m for m in caplog.messages)


def test_politeness_delay_bounds_a_real_crawl(tmp_path):
    """With a real delay, one host's requests are spaced: the run takes at least (requests - 1) x delay."""
    farm = Farm()
    gov = build_site(farm, "g0", "测试县", "127.0.0.1", "trs4", range(2022, 2024), look_alikes=False, quirks=False)
    with farm:
        (entry,) = registry(farm, [gov])
        result = crawl_government(entry, tmp_path, replace(POLITE, delay=0.05))
    times = [r for r in farm.log]
    assert result.requests == len(times) == 4  # robots, list, two reports
    assert result.seconds >= 3 * 0.05


def _crawl_in_process(entry, data_dir, politeness):
    crawl_government(entry, data_dir, politeness)


def test_host_delay_holds_across_processes(tmp_path):
    """Two processes (as Airflow's mapped tasks) crawl two governments on one host: requests stay spaced."""
    import multiprocessing

    farm = Farm()
    govs = [
        build_site(
            farm, f"g{k}", f"测试{k}县", "127.0.0.1", "trs4", range(2021, 2024), look_alikes=False, quirks=False, k=k
        )
        for k in range(2)
    ]
    delay = 0.25  # large against a loaded machine's scheduling jitter, which the arrival times include
    with farm:
        entries = registry(farm, govs)
        ctx = multiprocessing.get_context("fork")
        procs = [
            ctx.Process(target=_crawl_in_process, args=(e, tmp_path, replace(POLITE, delay=delay))) for e in entries
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        arrivals = sorted(r.at for r in farm.log)
    assert all(p.exitcode == 0 for p in procs)
    assert len(arrivals) >= 8  # robots (shared), 2 list pages, 6 reports
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    # The gate spaces request starts; arrivals jitter by connection set-up and a loaded machine's scheduling, so
    # check that no two requests came together and that the whole schedule was not compressed.
    assert min(gaps) >= delay / 2, gaps
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) * delay * 0.95
    assert len(Landing(tmp_path).read_rows("reports")) == 6


@pytest.mark.parametrize(
    ("name", "level", "issuer", "repost"),
    [
        ("绵阳市安州区", "county", "绵阳市安州区人民政府", False),
        ("绵阳市安州区人民政府", "county", "安州区人民政府", False),  # the signature drops the city
        ("天津市南开区万兴街道", "township", "南开区人民政府万兴街道办事处", False),
        ("嘉兴市人民政府", "city", "嘉兴市人民政府", False),
        ("莎车县人民政府", "county", "新疆维吾尔自治区人民政府", True),  # a county site reposting the region's report
        ("北京市教育委员会", "department", "北京市人民政府", True),  # a department reposting its government's
        ("孝感市司法局", "department", "孝感市司法局", False),
        ("某县人民政府", "county", "某县司法局", False),  # the drafting 司法局 signs: not a repost
        ("某县人民政府", "county", None, False),
    ],
)
def test_reposts_are_told_by_a_government_signature(name, level, issuer, repost):
    from scrapers.collect.judge import issued_elsewhere

    gov = parse_registry({"governments": [{"id": "1", "name": name, "level": level, "province": "x",
                                           "list_urls": ["http://a.gov.cn/"]}]}, "x.yaml").governments[0]  # fmt: skip
    assert bool(issued_elsewhere(gov, issuer)) is repost


def test_reports_landed_before_a_crash_are_not_landed_again(tmp_path):
    """A run killed after landing its reports but before saving its state: the next run lands no report twice."""
    farm = Farm()
    gov = build_site(farm, "g0", "测试县", "127.0.0.1", "trs4", range(2021, 2024), look_alikes=False, quirks=False)
    with farm:
        (entry,) = registry(farm, [gov])
        first = crawl_government(entry, tmp_path, POLITE)
        landing = Landing(tmp_path)
        landing.state_path("g0").unlink()  # as if the process died just before save_state
        again = crawl_government(entry, tmp_path, POLITE)
    assert first.reports_new == 3 and again.reports_new == 0
    keys = [(r["url"], r["content_hash"]) for r in landing.read_rows("reports")]
    assert len(keys) == len(set(keys)) == 3


def test_a_failing_link_is_never_given_up(tmp_path, monkeypatch):
    # Giving a report link up would turn its year `missing` while the report sits on the portal. With no backoff
    # (FZZF_RETRY_BACKOFF_HOURS=0) it is asked on every run, however often it failed.
    monkeypatch.setenv("FZZF_RETRY_BACKOFF_HOURS", "0")
    farm = Farm()
    gov = build_site(farm, "g0", "测试县", "127.0.0.1", "trs4", range(2022, 2024), look_alikes=False, quirks=False)
    farm.add("127.0.0.1", "/g0/202403/t20240320_023.html", Resource(b"down", status=500))  # the 2023 report
    with farm:
        (entry,) = registry(farm, [gov])
        for _ in range(4):
            crawl_government(entry, tmp_path, POLITE)
    broken = [r for r in farm.log if r.path == "/g0/202403/t20240320_023.html"]
    assert len(broken) == 8  # 4 runs x 2 attempts (retries=1)
    rows = [r for r in Landing(tmp_path).read_rows("links") if r["url"].endswith("_023.html")]
    assert [r["decision"] for r in rows] == ["error"] * 4
    assert sorted(r["reason"].split(":")[0] for r in rows) == [
        "re-check 1", "re-check 2", "re-check 3", "report page answered HTTP 500",
    ]  # fmt: skip
    assert {r["report_year"] for r in rows} == {2023} and {r["http_status"] for r in rows} == {500}
    (pending,) = Landing(tmp_path).load_state("g0")["pending"].values()
    assert pending["attempts"] == 4 and pending["report_year"] == 2023 and pending["last_status"] == 500
