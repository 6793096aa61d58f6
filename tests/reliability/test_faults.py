"""One crawl against a farm of misbehaving portals (see pipeline.py), then more after reports changed or vanished.

Two healthy governments sit among seventeen faulty ones; each faulty government has its own site (its own loopback
address) with one fault. The healthy governments are also crawled alone, on a clean data directory, so "every other
government's results are intact" is a comparison, not a count.
"""

from __future__ import annotations

import gzip
import os
import unicodedata

import pytest

from .conftest import all_landing_files_parse, landing_rows, netlog, query, runs
from .pipeline import HEALTHY

pytestmark = pytest.mark.reliability

CAP = 8 * 1024 * 1024  # the crawler's default size cap (settings.Politeness.max_bytes)


@pytest.fixture(scope="module")
def scenario(pipeline):
    return pipeline


def _run1_hits(scenario, gid, path=None):
    """Requests a farm site received during the baseline and run 1 (later runs ask again)."""
    end = scenario.marks["crawl1"]
    return [h for h in scenario.govs[gid].site.hits(path) if h.at <= end]


def _log(scenario, gid, run_index=0):
    run = runs(scenario.data)[run_index]
    rows = [r for r in landing_rows(scenario.data, "crawl_log") if r["government_id"] == gid and r["run_id"] == run]
    return rows


def _links(scenario, gid, run_index=0):
    run = runs(scenario.data)[run_index]
    return [r for r in landing_rows(scenario.data, "links") if r["government_id"] == gid and r["run_id"] == run]


def _reports(data, gid):
    return [r for r in landing_rows(data, "reports") if r["government_id"] == gid]


# the run as a whole ------------------------------------------------------------------------------------------------
def test_the_run_completes_and_lands_only_whole_files(scenario):
    assert scenario.steps["crawl1"].returncode == 0, scenario.steps["crawl1"].output[-3000:]
    assert scenario.steps["crawl2"].returncode == 0, scenario.steps["crawl2"].output[-3000:]
    for n in (3, 4):
        assert scenario.steps[f"crawl{n}"].returncode == 0, scenario.steps[f"crawl{n}"].output[-3000:]
    assert len(runs(scenario.data)) == 4
    assert all_landing_files_parse(scenario.data) == []
    # Every government has exactly one crawl-log row per run (one list URL each).
    for run_index in range(4):
        for gid in scenario.govs:
            assert len(_log(scenario, gid, run_index)) == 1, (gid, run_index)


def test_healthy_governments_results_are_intact(scenario):
    def key(rows):
        return sorted((r["url"], r["title"], r["report_year"], r["publish_date"], r["content_hash"]) for r in rows)

    for gid in HEALTHY:
        alone = _reports(scenario.baseline, gid)
        among_faults = [r for r in _reports(scenario.data, gid) if r["run_id"] == runs(scenario.data)[0]]
        assert len(alone) == 2
        assert key(among_faults) == key(alone), gid
        (row,) = _log(scenario, gid)
        assert row["status"] == "ok" and row["error"] is None, row
    # the look-alike is judged and skipped with a reason, not fetched as a report
    skipped = [r for r in _links(scenario, "ok_a") if "信息公开" in (r["title"] or "")]
    assert skipped and skipped[0]["decision"] == "skipped" and skipped[0]["reason"]


# one test per fault -----------------------------------------------------------------------------------------------
def test_5xx_then_recovery_lands_everything_within_the_retry_budget(scenario):
    (row,) = _log(scenario, "f_5xx")
    assert row["status"] == "ok", row
    assert len(_reports(scenario.data, "f_5xx")) == 2
    # 3 errors + 1 success on the list page in run 1: FZZF_RETRIES=3 is used up, not exceeded.
    list_hits = _run1_hits(scenario, "f_5xx", scenario.govs["f_5xx"].list_path)
    assert len(list_hits) == 4, [h.path for h in list_hits]


def test_timeout_is_one_failed_entry_naming_the_timeout(scenario):
    """The whole site hangs (robots.txt too): the log must say it timed out, not blame robots.txt."""
    (row,) = _log(scenario, "f_timeout")
    assert row["status"] == "failed", row
    assert "timed out" in row["error"].lower() or "timeout" in row["error"].lower(), row["error"]
    # bounded: robots.txt and the list page at most retries+1 times each in one run
    hits = _run1_hits(scenario, "f_timeout")
    assert len(hits) <= 2 * 4, [h.path for h in hits]


def test_connection_reset_is_one_failed_entry_naming_the_reset(scenario):
    (row,) = _log(scenario, "f_reset")
    assert row["status"] == "failed", row
    assert "reset" in row["error"].lower() or "connection" in row["error"].lower(), row["error"]
    assert _reports(scenario.data, "f_reset") == []
    assert len(_run1_hits(scenario, "f_reset", scenario.govs["f_reset"].list_path)) == 4  # retries+1


def test_truncated_body_is_not_landed_and_is_logged(scenario):
    (row,) = _log(scenario, "f_truncated")
    assert row["status"] == "partial", row
    assert row["error"] and scenario.notes["truncated_url"] in row["error"], row
    landed = _reports(scenario.data, "f_truncated")
    assert [r["report_year"] for r in landed] == [2021]
    (link,) = [r for r in _links(scenario, "f_truncated") if r["url"] == scenario.notes["truncated_url"]]
    assert link["decision"] == "error" and link["reason"], link


def test_ten_megabyte_pages_are_refused_at_the_cap(scenario):
    (row,) = _log(scenario, "f_huge")
    assert row["status"] == "partial", row
    assert row["error"] and "cap" in row["error"], row  # the fault's reason is in the crawl log, not only in links
    assert [r["report_year"] for r in _reports(scenario.data, "f_huge")] == [2022]
    for url in scenario.notes["huge_urls"]:
        (link,) = [r for r in _links(scenario, "f_huge") if r["url"] == url]
        assert link["decision"] == "error" and "cap" in link["reason"], link
    # nothing bigger than the cap was kept in the raw store
    for path in (scenario.data / "raw").rglob("*.gz"):
        assert len(gzip.decompress(path.read_bytes())) <= CAP, path


def test_gzip_bomb_is_stopped_at_the_cap(scenario):
    (row,) = _log(scenario, "f_gzipbomb")
    assert row["status"] == "partial" and row["error"] and "cap" in row["error"], row
    (link,) = [r for r in _links(scenario, "f_gzipbomb") if r["url"] == scenario.notes["bomb_url"]]
    assert link["decision"] == "error" and "cap" in link["reason"], link
    assert [r["report_year"] for r in _reports(scenario.data, "f_gzipbomb")] == [2022]


def test_slow_drip_is_stopped_by_a_deadline(scenario):
    """A list page that sends one byte every 0.3 s never trips a 1 s read timeout; only a total deadline per request
    stops it. Without one, a hostile portal holds a crawl worker as long as it likes (here 4 s, for 1 KB)."""
    (row,) = _log(scenario, "f_trickle")
    assert row["status"] == "failed", row
    assert "timed out" in row["error"].lower() or "deadline" in row["error"].lower(), row["error"]


def test_one_malformed_link_does_not_lose_the_list(scenario):
    """A broken link (``http://[::1/...``) among good ones: the good reports land, the bad link is judged."""
    assert [r["report_year"] for r in sorted(_reports(scenario.data, "f_badhref"), key=lambda r: r["report_year"])] == [
        2021,
        2022,
    ], _log(scenario, "f_badhref")


def test_redirect_loop_is_one_failed_entry_and_bounded(scenario):
    (row,) = _log(scenario, "f_loop")
    assert row["status"] == "failed", row
    assert "redirect" in row["error"].lower(), row["error"]
    loop_hits = [h for h in _run1_hits(scenario, "f_loop") if h.path != "/robots.txt"]
    assert len(loop_hits) <= 5 + 1, len(loop_hits)  # max_redirects=5


def test_offsite_redirect_is_not_followed(scenario):
    recorder_a = scenario.recorders[0]
    assert recorder_a.hits() == [], recorder_a.hits()
    (row,) = _log(scenario, "f_offsite")
    assert row["status"] == "partial", row
    assert row["error"] and "off the site" in row["error"], row
    (link,) = [r for r in _links(scenario, "f_offsite") if r["url"] == scenario.notes["offsite_url"]]
    assert link["decision"] == "error" and "off the site" in link["reason"], link
    assert [r["report_year"] for r in _reports(scenario.data, "f_offsite")] == [2022]


def test_robots_txt_forbidding_the_column_is_obeyed(scenario):
    site = scenario.govs["f_robots"].site
    assert {h.path for h in site.hits()} == {"/robots.txt"}, [h.path for h in site.hits()]
    (row,) = _log(scenario, "f_robots")
    assert row["status"] == "failed" and "robots" in row["error"], row


def test_binary_junk_is_not_landed_as_a_report(scenario):
    landed = _reports(scenario.data, "f_binary")
    assert [r["report_year"] for r in landed] == [2021], [(r["url"], r["title"]) for r in landed]
    (link,) = [r for r in _links(scenario, "f_binary") if r["url"] == scenario.notes["binary_url"]]
    assert link["decision"] in ("skipped", "error") and link["reason"], link
    (row,) = _log(scenario, "f_binary")
    assert row["status"] == "partial" and row["error"] and scenario.notes["binary_url"] in row["error"], row


def test_every_landed_body_is_clean_text(scenario):
    """No landed report carries decoding debris: U+FFFD, C0/C1 control characters or private-use characters."""
    for r in landing_rows(scenario.data, "reports"):
        bad = sorted({c for c in r["body"] if c == "\ufffd" or (unicodedata.category(c) in ("Cc", "Co") and c != "\n")})
        assert not bad, (r["government_id"], r["url"], [hex(ord(c)) for c in bad[:10]])


def test_wrong_charset_declarations_still_decode_correctly(scenario):
    landed = sorted(_reports(scenario.data, "f_charset"), key=lambda r: r["report_year"])
    assert [r["report_year"] for r in landed] == [2020, 2021, 2022]
    for r, report in zip(landed, scenario.govs["f_charset"].reports, strict=True):
        assert r["title"] == report.title, r["title"]
        assert report.paragraphs[0] in r["body"], r["body"][:200]
        assert "\ufffd" not in r["body"]


def test_malformed_html_is_extracted(scenario):
    (r,) = _reports(scenario.data, "f_malformed")
    report = scenario.notes["malformed_report"]
    assert r["title"] == report.title
    assert report.paragraphs[0] in r["body"]
    assert report.paragraphs[-1] in r["body"]


def test_private_foreign_and_scripted_links_are_never_requested(scenario):
    for recorder in scenario.recorders:
        assert recorder.hits() == [], (recorder.name, recorder.hits())
    events = netlog(scenario.tmp)
    outside = [e for e in events if e["event"] == "connect" and not e["allowed"]]
    assert outside == [], outside
    assert [e for e in events if e["event"] == "canary"] == []
    looked_up = {e["host"] for e in events if e["event"] == "getaddrinfo"}
    assert not looked_up & {"10.0.0.1", "169.254.169.254", "::ffff:10.0.0.2", "127.0.0.2", "127.0.0.3"}, looked_up
    links = {r["url"]: r for r in _links(scenario, "f_private")}
    for href in scenario.notes["bait"]:
        if href.startswith("http"):
            # judged and refused with a reason: an off-site link is a visible decision, not a silent drop
            assert href in links, (href, sorted(links))
            assert links[href]["decision"] == "skipped" and links[href]["reason"], links[href]
    assert [r["report_year"] for r in _reports(scenario.data, "f_private")] == [2022]


# after publication ---------------------------------------------------------------------------------------------------
def test_changed_report_lands_as_a_new_version(scenario):
    url, _switch, edited = scenario.notes["changed"]
    landed = [r for r in _reports(scenario.data, "f_changed") if r["url"] == url]
    assert len(landed) == 2, [(r["run_id"], r["content_hash"]) for r in landed]
    assert landed[0]["content_hash"] != landed[1]["content_hash"]
    assert edited.paragraphs[-1] in landed[1]["body"]
    wh = scenario.data / "warehouse.duckdb"
    (n,) = query(wh, "select count(*) from marts.report_versions where url = ?", [url])[0]
    assert n == 2
    (body,) = query(wh, "select body from marts.annual_reports where url = ?", [url])[0]
    assert edited.paragraphs[-1] in body


def test_deleted_report_stays_in_the_warehouse_marked_offline(scenario):
    g, reports = scenario.notes["deleted"]
    gone_url = g.report_url(reports[1])
    assert scenario.steps["build5"].returncode == 0, scenario.steps["build5"].output[-3000:]
    links = [r for r in _links(scenario, "f_deleted", 3) if r["url"] == gone_url]
    assert links and links[0]["decision"] == "gone" and links[0]["http_status"] == 404, links
    wh = scenario.data / "warehouse.duckdb"
    rows = query(wh, "select url, is_online from marts.annual_reports where government_id = 'f_deleted' order by url")
    assert dict(rows) == {g.report_url(reports[0]): True, gone_url: False}, rows


def test_builds_publish_and_every_fault_shows_in_crawl_health(scenario):
    for n in (1, 2, 3, 5):
        assert scenario.steps[f"build{n}"].returncode == 0, scenario.steps[f"build{n}"].output[-3000:]
    wh = scenario.data / "warehouse.duckdb"
    landed_ids = {r["government_id"] for r in landing_rows(scenario.data, "reports")}
    in_wh = {r[0] for r in query(wh, "select distinct government_id from marts.annual_reports")}
    assert landed_ids <= in_wh, landed_ids - in_wh
    health = {
        r[0]: r[1:] for r in query(wh, "select government_id, last_run_status, last_error from marts.crawl_health")
    }
    assert set(health) == set(scenario.govs)
    for gid in scenario.govs:
        (row,) = _log(scenario, gid, 3)  # the last crawl (run 4)
        status, error = health[gid]
        assert status == row["status"], (gid, status, row["status"])
        if row["status"] != "ok":
            assert error, (gid, "crawl_health has no last_error for a failing portal")


def test_no_request_reached_anything_but_the_farm(scenario):
    events = netlog(scenario.tmp)
    hosts = {e["host"] for e in events if e["event"] == "connect"}
    farm_hosts = {s.host for s in scenario.farm.sites.values() if not s.name.startswith("recorder")}
    assert hosts <= farm_hosts, hosts - farm_hosts
    assert os.path.exists(scenario.canary)
