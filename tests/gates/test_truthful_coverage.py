"""No false "missing", no lost report, no what-if that touches production (issue 11), on real crawls and real builds.

One data directory: two governments crawled from the local farm with ``fzzf crawl`` (one whose 2023 report link
answers HTTP 500 on every try, one that never published its 2023 report), two more landed through the landing API
(a report edited after its due date; a report whose text the landing gate holds back), and a landing file damaged
on disk. Then ``fzzf build`` without ``--registry``, a what-if build, and builds with a registry that drops landed
governments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb
import pytest
import yaml
from alerts.receiver import Receiver
from farm.server import Farm, Resource
from farm.sites import build_site

from scrapers import cli
from scrapers.landing import Landing

from .helpers import SEEDS, land, record

pytestmark = [pytest.mark.gates, pytest.mark.integration]

TODAY = dt.date(2024, 6, 30)  # past due (2024-04-01) and grace (30 days) of the 2023 reports
WHAT_IF = dt.date(2025, 6, 30)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _coverage(warehouse, gov):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            year: (status, reason)
            for year, status, reason in con.execute(
                "select report_year, status, status_reason from marts.report_coverage where government_id = ?", [gov]
            ).fetchall()
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("truth")
    data = tmp / "data"
    mp = pytest.MonkeyPatch()
    mp.setenv("FZZF_TODAY", TODAY.isoformat())
    mp.setenv("FZZF_RETRIES", "1")
    mp.setenv("FZZF_BACKOFF", "0")
    mp.delenv("FZZF_REGISTRY", raising=False)
    farm = Farm()
    failing = build_site(farm, "f1", "失败县", "127.0.0.1", "trs4", range(2021, 2024), look_alikes=False, quirks=False)
    farm.add("127.0.0.1", "/f1/202403/t20240320_023.html", Resource(b"server error", status=500))
    gap = build_site(farm, "f2", "缺报县", "127.0.0.2", "trs4", range(2021, 2023), look_alikes=False, quirks=False)
    receiver = Receiver().__enter__()
    mp.setenv("FZZF_ALERT_URLS", receiver.url)
    with farm:
        entries = [{**g.registry_entry(farm), "reports_from": 2021} for g in (failing, gap)]
        entries += [
            {"id": gid, "name": f"测试{gid}", "level": "county", "province": "四川省", "reports_from": 2023,
             "list_urls": [f"http://{gid}.example.gov.cn/fzzf/"]}
            for gid in ("e1", "q1")
        ]  # fmt: skip
        registry = tmp / "registry.yaml"
        registry.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
        crawl = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts", "--delay",
                 "0", "--no-progress", "--only", "f1", "f2"]  # fmt: skip
        assert cli.main(crawl) == 0
    # e1: the 2023 report with no stated date, first seen before the due date, edited (new text) after it.
    seed = SEEDS["003"]
    url = "http://e1.example.gov.cn/fzzf/2023.html"
    before = record("e1", publish_date=None, report_year=2023, url=url)
    before["fetched_at"], before["publish_date"] = dt.datetime(2024, 3, 20, 8), None  # (record() fills None in)
    after = record("e1", body=seed.body + "\n（2024年5月修订）", publish_date=None, report_year=2023, url=url)
    after["fetched_at"], after["publish_date"] = dt.datetime(2024, 5, 10, 8), None
    after["extractor_version"] = "test-2"
    land(data, [before])
    land(data, [after])
    # q1: a real 2023 report whose body kept page chrome: the landing gate quarantines it.
    held = record("q1", body=seed.body + "\n扫一扫在手机打开当前页\n", report_year=2023)
    land(data, [{**held, "publish_date": dt.date(2024, 3, 25)}])
    # e1 and q1 were crawled successfully the day before "today" (otherwise: unknown, portal not read lately).
    landing = Landing(data)
    for gid in ("e1", "q1"):
        landing.write_rows("crawl_log", "20240629T020000Z-recent", gid, [{
            "run_id": "20240629T020000Z-recent", "government_id": gid, "list_url": f"http://{gid}.example.gov.cn/fzzf/",
            "status": "ok", "pages_fetched": 1, "requests": 1, "links_seen": 1, "reports_found": 1, "reports_new": 0,
            "links_skipped": 0, "errors": 0, "error": None, "started_at": dt.datetime(2024, 6, 29, 2),
            "finished_at": dt.datetime(2024, 6, 29, 2),
        }])  # fmt: skip
    # A landing file damaged on disk.
    damaged = data / "landing" / "links" / "20240101T000000Z-dead00" / "f2.jsonl"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b'{"run_id": "20240101T000000Z-dead00", "government_id": "f2", "url": \n')
    yield {"data": data, "registry": registry, "tmp": tmp, "receiver": receiver, "damaged": damaged, "mp": mp}
    receiver.__exit__(None, None, None)
    mp.undo()


@pytest.fixture(scope="module")
def built(world):
    code = cli.main(["build", "--data-dir", str(world["data"])])  # no --registry: the data dir's own
    return code


def test_build_uses_the_registry_the_data_was_crawled_with(world, built):
    assert built == 0
    warehouse = world["data"] / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        governments = {g for (g,) in con.execute("select government_id from marts.governments").fetchall()}
    finally:
        con.close()
    assert governments == {"f1", "f2", "e1", "q1"}  # not the shipped registry's
    recorded = json.loads((world["data"] / "registry" / "current.json").read_text(encoding="utf-8"))
    assert recorded["path"] == str(world["registry"]) and recorded["governments"] == 4


def test_a_year_whose_only_link_failed_is_unknown_with_the_reason(world, built):
    status, reason = _coverage(world["data"] / "warehouse.duckdb", "f1")[2023]
    assert status == "unknown"
    assert "could not be fetched" in reason and "HTTP 500" in reason and "retrying" in reason
    assert _coverage(world["data"] / "warehouse.duckdb", "f1")[2022][0] == "on_time"


def test_a_report_held_back_by_the_gate_is_unknown_not_missing(world, built):
    status, reason = _coverage(world["data"] / "warehouse.duckdb", "q1")[2023]
    assert status == "unknown" and "held back by the landing gate" in reason and "chrome" in reason


def test_an_edit_after_the_due_date_keeps_the_report_on_time(world, built):
    status, _ = _coverage(world["data"] / "warehouse.duckdb", "e1")[2023]
    assert status == "on_time"


def test_only_the_real_gap_is_missing_and_alerted(world, built):
    con = duckdb.connect(str(world["data"] / "warehouse.duckdb"), read_only=True)
    try:
        missing = con.execute("select government_id, report_year from marts.missing_reports").fetchall()
    finally:
        con.close()
    assert missing == [("f2", 2023)]
    messages = world["receiver"].messages("newly missing")
    assert len(messages) == 1 and "[f2] 2023" in messages[0]
    assert not [g for g in ("[f1]", "[e1]", "[q1]") if g in messages[0]]


def test_a_damaged_landing_file_is_quarantined_and_the_rest_builds(world, built):
    kept = world["data"] / "quarantine" / "landing" / "links" / "20240101T000000Z-dead00" / "f2.jsonl"
    assert not world["damaged"].exists() and kept.exists()
    assert kept.read_bytes().startswith(b'{"run_id"')
    assert "line 1: not JSON" in kept.with_name("f2.jsonl.why").read_text(encoding="utf-8")


def test_a_what_if_build_touches_nothing_in_production(world, built, capsys):
    data = world["data"]
    published = _sha(data / "warehouse.duckdb")
    alert_state = _sha(data / "alerts" / "state.json")
    posts = len(world["receiver"].posts)
    assert cli.main(["build", "--data-dir", str(data), "--as-of", WHAT_IF.isoformat()]) == 0
    out = capsys.readouterr().out
    what_if = data / "whatif" / WHAT_IF.isoformat() / "warehouse.duckdb"
    assert "what-if build as of 2025-06-30: WRITTEN" in out and str(what_if) in out
    assert _sha(data / "warehouse.duckdb") == published
    assert _sha(data / "alerts" / "state.json") == alert_state
    assert len(world["receiver"].posts) == posts
    # Its own file has its own answer: a year later, f2's 2024 report is missing too.
    assert _coverage(what_if, "f2")[2024][0] == "missing"


def test_fzzf_missing_on_another_day_reads_a_what_if_build(world, built, capsys):
    data = world["data"]
    published, alert_state = _sha(data / "warehouse.duckdb"), _sha(data / "alerts" / "state.json")
    posts = len(world["receiver"].posts)

    def missing(*args: str) -> tuple[int, set, str]:
        code = cli.main(["missing", "--data-dir", str(data), "--json", *args])
        out, err = capsys.readouterr()
        return code, {(r["government_id"], r["report_year"]) for r in map(json.loads, out.splitlines())}, err

    assert missing()[:2] == (0, {("f2", 2023)})  # the published warehouse's, as of its own day
    code, rows, err = missing("--as-of", WHAT_IF.isoformat())
    assert code == 0 and {("f2", 2023), ("f2", 2024)} <= rows
    assert str(data / "whatif" / WHAT_IF.isoformat() / "warehouse.duckdb") in err
    assert _sha(data / "warehouse.duckdb") == published
    assert _sha(data / "alerts" / "state.json") == alert_state
    assert len(world["receiver"].posts) == posts

    # A what-if build that cannot run says so and which step stopped it; it lists nothing.
    small = world["tmp"] / "one.yaml"
    doc = yaml.safe_load(world["registry"].read_text(encoding="utf-8"))
    small.write_text(yaml.safe_dump({**doc, "governments": doc["governments"][:1]}, allow_unicode=True), "utf-8")
    code, rows, err = missing("--as-of", WHAT_IF.isoformat(), "--registry", str(small))
    assert code != 0 and rows == set()
    assert "what-if build as of 2025-06-30 failed at step 'registry'" in err and str(small) in err


def test_a_registry_that_drops_landed_governments_stops_the_build(world, built, capsys):
    data = world["data"]
    small = world["tmp"] / "small.yaml"
    doc = yaml.safe_load(world["registry"].read_text(encoding="utf-8"))
    doc["governments"] = doc["governments"][:1]
    small.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    published = _sha(data / "warehouse.duckdb")
    assert cli.main(["build", "--data-dir", str(data), "--registry", str(small)]) == 2
    err = capsys.readouterr().err
    assert str(small) in err and "3 government(s) with landed reports are not in this registry" in err
    assert _sha(data / "warehouse.duckdb") == published
