"""marts.coverage_explained, ``fzzf explain`` and the digest's reason, on one real crawl + build.

The demo portal (肇东市 has no report for ``latest - 1``) and a farm government built for this test, whose years each
have one kind of evidence: a report (2023), only a 政府信息公开 look-alike (2022), only another government's repost
(2021), a report link that answers HTTP 500 (2020; run 2 re-checks it behind the list's 304), nothing (2019), only an off-site link (2018); and a
government whose portal now fails and was last read 61 days ago. Both crawled twice, built once (real dbt, GX gates,
publish) with the digest sent to a real webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest
import yaml
from alerts.receiver import Receiver
from farm.server import Farm, Resource
from farm.sites import _add_list_pages, report_paragraphs

from scrapers import cli
from scrapers.collect.crawl import run_crawl
from scrapers.collect.discover import normalise_url
from scrapers.collect.source_stats import SourceStats
from scrapers.demo.pages import render_report_page
from scrapers.demo.portal import DemoPortal
from scrapers.landing import Landing, new_run_id, utcnow
from scrapers.registry.governments import load_registry
from scrapers.settings import Politeness
from scrapers.warehouse.build import run_build

pytestmark = pytest.mark.integration

POLITE = Politeness(delay=0, retries=1, backoff=0, timeout=1.5, allow_private_hosts=True, workers=4)
TODAY = dt.date.today()
HOST = "127.0.0.1"
NAME = "测试县"
REPOST_BY = "测试市人民政府"


def _report_page(title: str, signer: str, year: int, k: int) -> Resource:
    body = render_report_page(
        "trs", title=title, paragraphs=report_paragraphs(signer, year, k), publish_date=dt.date(year + 1, 3, 20),
        source=f"{signer}司法局", site_name=f"{signer}人民政府", related=[],
    )  # fmt: skip
    return Resource(body)


def _explained_site(farm: Farm) -> dict[str, str]:
    """The farm government's column; returns {what: URL path} for the links the tests look at."""
    root = "/fx/"
    paths = {
        "report": f"{root}202403/t20240320_1.html",
        "look_alike": f"{root}202302/t20230210_2.html",
        "repost": f"{root}202204/t20220402_3.html",
        "broken": f"{root}broken/t_4.html",
        "held": f"{root}201703/t20170320_5.html",
    }
    farm.add(HOST, paths["report"], _report_page(f"{NAME}2023年法治政府建设年度报告", NAME, 2023, 1))
    farm.add(HOST, paths["look_alike"], _report_page(f"{NAME}2022年政府信息公开工作年度报告", NAME, 2022, 2))
    farm.add(HOST, paths["repost"], _report_page(f"{REPOST_BY}2021年法治政府建设年度报告", REPOST_BY, 2021, 3))
    farm.add(HOST, paths["broken"], Resource(b"oops", status=500))
    # A report whose body is mostly a table of figures: landed, then held back by the landing gate (cjk_share).
    table = [f"表{i}: 2016-{i:02d} 1234567890 ABCDEFGHIJ KLMNOPQRST 0987654321 UVWXYZ" for i in range(40)]
    held = render_report_page(
        "trs", title=f"{NAME}2016年法治政府建设年度报告", paragraphs=[*report_paragraphs(NAME, 2016, 4)[:1], *table],
        publish_date=dt.date(2017, 3, 20), source=f"{NAME}司法局", site_name=f"{NAME}人民政府", related=[],
    )  # fmt: skip
    farm.add(HOST, paths["held"], Resource(held))
    items = [  # newest first, as portals list them
        (paths["broken"], f"{NAME}2020年法治政府建设年度报告", dt.date(2024, 5, 1)),
        (paths["report"], f"{NAME}2023年法治政府建设年度报告", dt.date(2024, 3, 20)),
        (paths["look_alike"], f"{NAME}2022年政府信息公开工作年度报告", dt.date(2023, 2, 10)),
        (paths["repost"], f"{REPOST_BY}2021年法治政府建设年度报告", dt.date(2022, 4, 2)),
        ("OFFSITE", f"{NAME}2018年法治政府建设年度报告", dt.date(2019, 3, 1)),
        (paths["held"], f"{NAME}2016年法治政府建设年度报告", dt.date(2017, 3, 20)),
    ]
    _add_list_pages(farm, HOST, root, "trs4", items, 3, NAME, 0)
    farm.add(HOST, "/down/", Resource(b"server error", status=500))
    farm.add(HOST, "/robots.txt", Resource(b"", status=404))
    return paths


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("explained")
    farm = Farm()
    paths = _explained_site(farm)
    receiver = Receiver()
    with DemoPortal() as portal, farm, receiver, pytest.MonkeyPatch.context() as mp:
        offsite = farm.url("127.0.0.3", "/x.html")
        for res in farm.sites[HOST].values():
            if isinstance(res, Resource):
                res.body = res.body.replace(b'href="OFFSITE"', f'href="{offsite}"'.encode())
        registry = yaml.safe_load(portal.registry_yaml())
        registry["governments"] += [
            {"id": "fx", "name": NAME, "level": "county", "province": "测试省", "reports_from": 2016,
             "list_urls": [farm.url(HOST, "/fx/")]},
            {"id": "down", "name": "停机县", "level": "county", "province": "测试省", "reports_from": 2024,
             "list_urls": [farm.url(HOST, "/down/")]},
        ]  # fmt: skip
        registry_path = data / "registry.yaml"
        registry_path.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
        governments = list(load_registry(registry_path))
        # 停机县 was read fine 61 days ago (a crawl-log row as that run landed it); its portal fails now.
        then = utcnow() - dt.timedelta(days=61)
        old = SourceStats(list_url=farm.url(HOST, "/down/"), started_at=then, pages_fetched=2)
        old.finished_at = then + dt.timedelta(seconds=5)
        old_run = new_run_id(then)
        Landing(data).ensure().write_rows("crawl_log", old_run, "down", [old.row(old_run, "down")])
        run_crawl(governments, data, POLITE)
        run_crawl(governments, data, POLITE)
        # A re-check row as the crawler lands one (issue 11): the error row carries the title's year and the status.
        recheck_run = new_run_id()
        Landing(data).write_rows("links", recheck_run, "fx", [{
            "run_id": recheck_run, "government_id": "fx", "list_url": farm.url(HOST, "/fx/"),
            "url": farm.url(HOST, "/fx/gone/t_9.html"), "title": f"{NAME}2017年法治政府建设年度报告",
            "decision": "error", "reason": "re-check 4: report page answered HTTP 503", "report_year": 2017,
            "http_status": 503, "seen_at": utcnow(),
        }])  # fmt: skip
        mp.setenv("FZZF_ALERT_URLS", receiver.url)
        build = run_build(data, registry_path, TODAY)
    assert build.published, build.describe()
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        cur = con.execute("select * from marts.coverage_explained")
        names = [d[0] for d in cur.description]
        rows = {
            (r["government_id"], r["report_year"]): r
            for r in (dict(zip(names, t, strict=True)) for t in cur.fetchall())
        }
    finally:
        con.close()
    return {
        "data": data, "registry": registry_path, "rows": rows, "receiver": receiver, "paths": paths,
        "missing": portal.missing, "offsite": offsite, "old_run_day": then.date(), "fx_url": farm.url(HOST, "/fx/"),
    }  # fmt: skip


def reason(world, gov: str, year: int) -> str:
    return world["rows"][(gov, year)]["reason"]


def test_each_kind_of_evidence_gets_its_one_line_reason(world):
    gov, year = world["missing"]
    assert reason(world, gov, year) == "no link for this year on 3 list pages"
    assert world["rows"][(gov, year)]["status"] == "missing"
    assert reason(world, "fx", 2022) == "only a look-alike: 政府信息公开工作年度报告"
    assert reason(world, "fx", 2021).startswith(f"only a repost: signed by {REPOST_BY}, not by {NAME}")
    assert reason(world, "fx", 2020) == "link found, HTTP 500 on 2 runs, retrying"
    assert world["rows"][("fx", 2020)]["status"] == "unknown"  # a candidate that failed: never `missing`
    assert world["rows"][("fx", 2020)]["http_status"] == 500
    assert reason(world, "fx", 2019) == "no link for this year on 2 list pages"
    assert reason(world, "fx", 2018) == f"only an off-site link: {world['offsite']}"
    assert reason(world, "fx", 2017) == "link found, HTTP 503 on 1 run, retrying"
    held = world["rows"][("fx", 2016)]
    assert (held["status"], held["reason_kind"]) == ("unknown", "held_back")
    assert held["reason"] == "report found but held back by the landing gate: too little Chinese text in the body"
    assert ("fx", 2023) not in world["rows"]  # published: nothing to explain
    down = world["rows"][("down", 2024)]
    assert down["status"] == "unknown" and down["reason_kind"] == "portal_unreached"
    assert down["reason"] == f"portal not reached since {world['old_run_day'].isoformat()}"
    this_year = [r for (g, y), r in world["rows"].items() if g == "fx" and y == TODAY.year]
    assert this_year and this_year[0]["reason"].startswith(f"not due until {TODAY.year + 1}-04-01: ")


def test_every_unpublished_coverage_row_has_a_reason(world):
    con = duckdb.connect(str(world["data"] / "warehouse.duckdb"), read_only=True)
    try:
        unpublished = con.execute("select count(*) from marts.report_coverage where not is_published").fetchone()[0]
    finally:
        con.close()
    assert unpublished == len(world["rows"]) and all(r["reason"] for r in world["rows"].values())


def test_the_digest_line_of_a_missing_report_carries_its_reason(world):
    (post,) = world["receiver"].titled("newly missing")
    message = post["json"]["message"]
    gov, year = world["missing"]
    assert f"肇东市 [{gov}] {year}年度: due {year + 1}-04-01, " in message
    line = next(line for line in message.splitlines() if f"[{gov}] {year}年度" in line)
    assert line.endswith("days overdue; no link for this year on 3 list pages")
    fx = {int(line.split("] ")[1][:4]): line for line in message.splitlines() if "[fx]" in line}
    assert fx[2022].endswith("; only a look-alike: 政府信息公开工作年度报告")
    assert fx[2018].endswith(f"; only an off-site link: {world['offsite']}")
    assert fx[2019].endswith("; no link for this year on 2 list pages")
    # unknown is not missing (a candidate failed, a report was held back, the portal is down): nothing is alerted
    assert {2016, 2017, 2020} & set(fx) == set() and "[down]" not in message


def explain(capsys, world, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["explain", *argv, "--registry", str(world["registry"]), "--data-dir", str(world["data"])])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_explain_the_demo_missing_year_in_text(world, capsys):
    gov, year = world["missing"]
    code, out, _ = explain(capsys, world, gov, str(year))
    assert code == 0
    assert out.startswith(f"肇东市 [{gov}] {year}年度: missing (due {year + 1}-04-01, as of {TODAY})")
    assert "reason: no link for this year on 3 list pages" in out
    assert "2 run(s) since" in out and "3 in its longest read" in out
    assert "versions collected: none" in out and "next crawl:" in out


def test_explain_a_failed_link_says_status_runs_and_the_retry(world, capsys):
    code, out, _ = explain(capsys, world, "fx", "2020", "--json")
    result = json.loads(out)
    assert code == 0 and result["status"] == "unknown" and result["reason_kind"] == "link_error"
    (link,) = result["links"]
    assert link["decision"] == "error" and link["http_status"] == 500 and link["error_runs"] == 2
    assert link["reason"] == "re-check 1: report page answered HTTP 500"
    assert [h["decision"] for h in link["history"]] == ["error", "error"]
    # the crawl state's pending entry: two attempts so far, the next after the backoff
    plan = next(p for p in result["next_crawl"] if link["url"] in p)
    assert plan.startswith(f"re-check {link['url']} from ")
    assert plan.endswith("(attempt 3; last: re-check 1: report page answered HTTP 500)")


def test_explain_a_repost_a_look_alike_and_a_published_year(world, capsys):
    _, out, _ = explain(capsys, world, "fx", "2021", "--json")
    repost = json.loads(out)
    assert [link["reason"].split(":")[0] for link in repost["links"]] == ["repost"]
    _, out, _ = explain(capsys, world, "fx", "2022")
    assert "reason: only a look-alike: 政府信息公开工作年度报告" in out
    assert (
        "[skipped] 测试县2022年政府信息公开工作年度报告" in out and "title: look-alike: 政府信息公开工作年度报告" in out
    )
    _, out, _ = explain(capsys, world, "fx", "2023", "--json")
    published = json.loads(out)
    assert published["status"] in ("on_time", "late") and published["reason"] is None
    assert published["canonical_url"].endswith(world["paths"]["report"])
    assert [v["is_canonical"] for v in published["versions"]] == [True]
    assert any(plan.startswith("re-check ") and "conditional GET" in plan for plan in published["next_crawl"])


def test_explain_reads_the_pending_retries_when_the_state_has_them(world, capsys, tmp_path):
    """The crawl state's ``pending`` dict (issue 11): what the next crawl does comes from it."""
    data = tmp_path / "data"
    shutil.copytree(world["data"], data, ignore=shutil.ignore_patterns("raw", "build"))
    state_path = data / "state" / "fx.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    url = world["fx_url"].rstrip("/") + world["paths"]["broken"][len("/fx") :]
    state["pending"] = {
        normalise_url(url): {
            "url": url, "list_url": world["fx_url"], "title": f"{NAME}2020年法治政府建设年度报告", "report_year": 2020,
            "attempts": 2, "last_reason": "report page answered HTTP 500", "last_status": 500, "next_at": 1893456000,
        }
    }  # fmt: skip
    state_path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    code = cli.main(["explain", "fx", "2020", "--registry", str(world["registry"]), "--data-dir", str(data)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"re-check {url} from 2030-01-01 00:00 UTC (attempt 3; last: report page answered HTTP 500)" in out


def test_explain_an_unknown_government_exits_2_naming_the_registry(world, capsys):
    code, out, err = explain(capsys, world, "no-such-id", "2024")
    assert code == 2 and out == ""
    assert str(world["registry"]) in err and "'no-such-id'" in err


def test_explain_a_corrupt_state_file_exits_1_naming_it(world, capsys, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(world["data"] / "landing", data / "landing")
    (data / "state").mkdir()
    (data / "state" / "fx.json").write_text("{not json", encoding="utf-8")
    code = cli.main(["explain", "fx", "2020", "--registry", str(world["registry"]), "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert code == 1 and str(data / "state" / "fx.json") in err and "not valid JSON" in err


def test_every_unknown_year_reaches_the_weekly_cannot_verify_digest(world):
    """Issue 20 item 12: the build's `unknown` years (a portal down for 61 days, a link answering 503 on re-checks)
    go to the channel in the "cannot verify" digest, counted by reason and province, each named the first time."""
    (post,) = world["receiver"].titled("cannot be verified")
    message = post["json"]["message"]
    unknown = sorted(k for k, r in world["rows"].items() if r["status"] == "unknown")
    assert unknown and f": {len(unknown)} cannot be verified" in post["json"]["title"]
    for gov, year in unknown:
        assert f"[{gov}] {year}年度: " in message
    lines = message.splitlines()
    assert any(line.startswith("  portal unreachable: ") and "测试省" in line for line in lines)
    assert any(line.startswith("  report link failing, re-checked: ") for line in lines)
    assert f"{len(unknown)} newly unknown" in message and "missing" not in post["json"]["title"]
