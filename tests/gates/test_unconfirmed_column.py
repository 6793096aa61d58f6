"""Coverage tells "not found yet" from "missing" (issue 21 §2), on a real crawl of a local farm and a real build.

Two governments whose registry entry is only their portal's home page, ten years of reports each (2015-2024). On
both, the home page links a directory page (法定主动公开内容) that lists sub-columns, one of them titled 法治政府建设
年度报告 -- a column name that reads like a report title:
  - dd: that sub-column is the real report column, at an id-numbered URL (``/xxgk/4812345.html``), which discovery
    used to take for an article: it settled on the directory, read the column's link as a report, and all ten years
    went `missing`. Discovery now walks the directory down to the column.
  - dj: the sub-column's list is built by a script (no link in its HTML): nothing confirms any column, so its years
    are `unknown` with the reason, never `missing`.
"""

from __future__ import annotations

import duckdb
import pytest
import yaml
from farm.server import Farm
from farm.sites import directory_portal

from scrapers import cli, clock
from scrapers.warehouse.build import run_build

pytestmark = [pytest.mark.gates, pytest.mark.integration]

YEARS = range(2015, 2025)
COLUMN = "/xxgk/4812345.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unconfirmed")
    data = tmp / "data"
    farm = Farm()
    directory_portal(farm, "dd", "深谷县", "127.0.121.1", YEARS, column=COLUMN)
    directory_portal(farm, "dj", "浅滩县", "127.0.121.2", YEARS, column=COLUMN, scripted=True)
    with farm, pytest.MonkeyPatch.context() as mp:
        mp.delenv("FZZF_TODAY", raising=False)
        as_of = clock.today()  # the crawl lands real times: as of today, every run counts
        entries = [
            {"id": gid, "name": name, "level": "county", "province": "测试省", "reports_from": 2015,
             "list_urls": [farm.url(host, "/")]}
            for gid, name, host in (("dd", "深谷县", "127.0.121.1"), ("dj", "浅滩县", "127.0.121.2"))
        ]  # fmt: skip
        registry = tmp / "registry.yaml"
        registry.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True), encoding="utf-8")
        crawl = ["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts", "--delay",
                 "0", "--no-progress"]  # fmt: skip
        assert cli.main(crawl) == 0
        build = run_build(data, registry, as_of, send_alerts=False)
    assert build.published, build.describe()
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        cur = con.execute("select * from marts.report_coverage where report_year between 2015 and 2024")
        names = [d[0] for d in cur.description]
        rows = {
            (row["government_id"], row["report_year"]): (
                row["status"],
                row.get("status_reason_kind"),
                row["status_reason"],
            )
            for row in (dict(zip(names, t, strict=True)) for t in cur.fetchall())
        }
        explained = dict(con.execute(
            "select government_id || ':' || report_year, reason from marts.coverage_explained"
        ).fetchall())  # fmt: skip
    finally:
        con.close()
    return rows, explained


def test_discovery_walks_a_directory_down_to_the_column_it_lists(built):
    rows, _ = built
    statuses = {rows[("dd", y)][0] for y in YEARS}
    assert statuses == {"on_time"}, {y: rows[("dd", y)] for y in YEARS}


def test_years_of_a_government_with_no_confirmed_column_are_unknown_never_missing(built):
    rows, explained = built
    assert {rows[("dj", y)][:2] for y in YEARS} == {("unknown", "column_not_confirmed")}
    reason = rows[("dj", 2020)][2]
    assert reason.startswith("report column not found from the home page after ") and "requests" in reason
    assert explained["dj:2020"] == reason
    assert not [key for key, row in rows.items() if row[0] == "missing"]
