"""A government known only by its home page -- entered by hand, or found by ``fzzf registry resolve`` -- is judged
from what its crawl read (issue 21): once a column discovered from the home page has listed a report of this
government, a past-due year without a link there is `missing`; before that, `unknown`. A found portal reaches the
warehouse's registry the way it reaches the crawl (DATA_DIR/registry/resolved.json), so its years are never "no URL
known" while its reports are being read.
"""

from __future__ import annotations

import json

import duckdb
import pytest
import yaml
from farm.server import Farm
from farm.sites import directory_portal

from scrapers import cli, clock
from scrapers.warehouse.build import run_build

pytestmark = [pytest.mark.gates, pytest.mark.integration]

PUBLISHED = range(2016, 2024)  # on the portal; 2024 and 2025 are past due on every as-of day this runs
HOSTS = {"hh": ("深谷县", "127.0.121.3"), "rf": ("浅滩县", "127.0.121.4")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("home_page")
    data = tmp / "data"
    farm = Farm()
    for gov_id, (name, host) in HOSTS.items():
        directory_portal(farm, gov_id, name, host, PUBLISHED)
    with farm, pytest.MonkeyPatch.context() as mp:
        mp.delenv("FZZF_TODAY", raising=False)
        as_of = clock.today()
        hh_name, hh_host = HOSTS["hh"]
        rf_name, rf_host = HOSTS["rf"]
        entries = [
            # entered by hand with its home page
            {"id": "hh", "name": hh_name, "level": "county", "province": "测试省", "reports_from": 2016,
             "list_urls": [], "home_url": farm.url(hh_host, "/")},
            # no URL in the registry: its portal is what resolve found
            {"id": "rf", "name": rf_name, "level": "county", "province": "测试省", "reports_from": 2016,
             "list_urls": [], "no_url": True},
        ]  # fmt: skip
        registry = tmp / "registry.yaml"
        registry.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
        (data / "registry").mkdir(parents=True)
        found = {"status": "found", "home_url": farm.url(rf_host, "/"), "evidence": "farm portal (site code, name)"}
        (data / "registry" / "resolved.json").write_text(json.dumps({"governments": {"rf": found}}), encoding="utf-8")
        crawl = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts", "--delay",
                 "0", "--no-progress"]  # fmt: skip
        assert cli.main(crawl) == 0
        build = run_build(data, registry, as_of, send_alerts=False)
    assert build.published, build.describe()
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select government_id, report_year, status, status_reason_kind, url_status from marts.report_coverage"
        ).fetchall()
    finally:
        con.close()
    return {(gid, year): (status, kind, url_status) for gid, year, status, kind, url_status in rows}


@pytest.mark.parametrize("gov_id", sorted(HOSTS))
def test_a_home_page_government_with_a_confirmed_column_has_its_gap_missing(built, gov_id):
    assert {built[(gov_id, y)][0] for y in PUBLISHED} == {"on_time"}, {y: built[(gov_id, y)] for y in PUBLISHED}
    assert built[(gov_id, 2024)][:2] == ("missing", None), built[(gov_id, 2024)]
    assert built[(gov_id, 2024)][2] == "home"  # the found portal is the warehouse's home page too


def test_found_portals_reach_the_warehouse_registry(built):
    assert not [key for key, row in built.items() if row[1] == "no_url"]
