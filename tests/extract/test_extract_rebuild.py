"""A newer extractor corrects what is already landed: ``fzzf build`` re-reads the raw pages of records an older
extractor made, once per ``EXTRACTOR_VERSION``, and the published warehouse shows the corrected titles and dates
(a real build: landing gate, dbt on DuckDB, marts gate, publish)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import yaml

from scrapers import cli
from scrapers.collect.reextract import reextract_landed
from scrapers.extract import EXTRACTOR_VERSION
from scrapers.landing import Landing, sha256_hex
from scrapers.registry.governments import parse_registry
from scrapers.warehouse.paths import published_path

from .labelled import PAGES_DIR

pytestmark = pytest.mark.integration

TODAY = "2024-06-01"
OLD = "1.1.0"  # the version that landed these records
TOWN, FORESTRY, UNTOUCHED = "430123101", "430123-lyj", "430123102"
TOWN_URL = "http://www.shiqiao.gov.cn/fzjs/202403/t20240325_5521.html"
FORESTRY_URL = "http://www.qingxi.gov.cn/zfxxgk/bm/lyj/202401/t20240126_7731.html"
REGISTRY = [
    {"id": TOWN, "name": "青溪县石桥镇人民政府", "level": "township", "province": "湖南省", "reports_from": 2023,
     "list_urls": ["http://www.shiqiao.gov.cn/fzjs/"]},
    {"id": FORESTRY, "name": "青溪县林业局", "level": "department", "province": "湖南省", "reports_from": 2023,
     "division_code": "430123", "list_urls": ["http://www.qingxi.gov.cn/zfxxgk/bm/lyj/"]},
    {"id": UNTOUCHED, "name": "青溪县石门镇人民政府", "level": "township", "province": "湖南省", "reports_from": 2023,
     "list_urls": ["http://www.shimen.gov.cn/zwgk/"]},
]  # fmt: skip


def _gold(name: str) -> dict:
    return json.loads((PAGES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _landed_by_old_extractor(landing: Landing, gov: str, url: str, page: str | None, title: str, date: str) -> dict:
    """A report record as extractor 1.1.0 landed it (its title and date as 1.1.0 read the page; the page's raw bytes
    kept under raw/ when ``page`` names one)."""
    gold = _gold(page or "town_table_site_title")
    raw = (PAGES_DIR / f"{page}.html").read_bytes() if page else f"gone {url}".encode()
    sha = landing.store_raw(raw) if page else sha256_hex(raw)
    body = "\n".join(gold["paragraphs"])
    content_hash = sha256_hex(body)
    return {
        "record_id": sha256_hex(f"{gov}\x1f{url}\x1f{content_hash}"), "run_id": "20240401T020000Z-aaaaaa",
        "government_id": gov, "list_url": REGISTRY[0]["list_urls"][0], "url": url, "title": title,
        "report_year": 2023, "publish_date": date, "source": gold["source"], "issuer": None, "body": body,
        "char_count": len(body), "content_hash": content_hash, "raw_sha256": sha, "is_annual_report": True,
        "decision_reason": "title names 法治政府建设 and a year", "attachments": [], "sections": [], "metrics": [],
        "http_status": 200, "etag": None, "last_modified": None, "extractor_version": OLD,
        "fetched_at": "2024-04-01T02:00:00",
    }  # fmt: skip


def _titles(data_dir: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(published_path(data_dir)), read_only=True)
    try:
        rows = con.execute(
            "select government_id, title, publish_date, extractor_version from marts.annual_reports"
        ).fetchall()
    finally:
        con.close()
    return {gov: (title, date, version) for gov, title, date, version in rows}


def test_a_build_re_extracts_landed_raw_pages_and_the_warehouse_shows_the_corrected_titles(tmp_path, monkeypatch):
    monkeypatch.setenv("FZZF_TODAY", TODAY)
    assert EXTRACTOR_VERSION != OLD
    data_dir, registry = tmp_path / "data", tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump({"governments": REGISTRY}, allow_unicode=True), encoding="utf-8")
    landing = Landing(data_dir).ensure()
    rows = {
        # 1.1.0 took the <title>, which is only the site's name, and fell back to the URL's date
        TOWN: _landed_by_old_extractor(landing, TOWN, TOWN_URL, "town_table_site_title", "青溪县石桥镇人民政府", "2024-03-25"),
        # 1.1.0 kept the escaped markup of ArticleTitle and took the URL's date over the unlabelled 发布日期 cell
        FORESTRY: _landed_by_old_extractor(
            landing, FORESTRY, FORESTRY_URL, "xxgk_escaped_title",
            '<font color="#FF0000">青溪县林业局</font><br>2023年度法治政府建设工作报告', "2024-01-26",
        ),
        # raw bytes not kept: nothing to re-read, the landed record stands
        UNTOUCHED: _landed_by_old_extractor(
            landing, UNTOUCHED, "http://www.shimen.gov.cn/zwgk/1.html", None, "石门镇2023年法治政府建设情况报告",
            "2024-02-08",
        ),
    }  # fmt: skip
    for gov, row in rows.items():
        landing.write_rows("reports", row["run_id"], gov, [row])

    args = ["build", "--data-dir", str(data_dir), "--registry", str(registry), "--no-alerts"]
    assert cli.main(args) == 0
    assert _titles(data_dir) == {
        TOWN: ("石桥镇2023年法治政府建设情况报告", dt.date(2024, 3, 22), EXTRACTOR_VERSION),
        FORESTRY: ("青溪县林业局2023年度法治政府建设工作报告", dt.date(2024, 1, 30), EXTRACTOR_VERSION),
        UNTOUCHED: ("石门镇2023年法治政府建设情况报告", dt.date(2024, 2, 8), OLD),
    }
    landed = Landing(data_dir).read_rows("reports")
    assert len(landed) == 5  # two corrections added, nothing removed
    fixed = [r for r in landed if r["extractor_version"] == EXTRACTOR_VERSION]
    assert {r["fetched_at"] for r in fixed} == {"2024-04-01T02:00:01"}  # the same fetch, ordered after the old row

    # once per version: the next build reads nothing again and lands nothing
    again = reextract_landed(data_dir, parse_registry({"governments": REGISTRY}, str(registry)))
    assert (
        again.skipped
        and again.describe() == f"re-extraction: landed pages already read with extractor {EXTRACTOR_VERSION}"
    )
    assert len(Landing(data_dir).read_rows("reports")) == 5


COVER = (
    "<html><head><meta charset='utf-8'><title>青溪县石桥镇人民政府</title></head><body>"
    "<table><tr><td align='center'><b>石桥镇2023年法治政府建设情况报告</b></td></tr>"
    "<tr><td class='content'><p>附件：<a href='P020240322.pdf'>石桥镇2023年法治政府建设情况报告.pdf</a></p></td></tr>"
    "</table></body></html>"
).encode()


def test_a_cover_page_keeps_the_text_its_attachment_gave_and_gets_its_title(tmp_path):
    """The landed text of a cover page came from its PDF, whose bytes the record does not name: the re-extraction
    corrects the title from the page and keeps that text; a government no longer registered keeps its record."""
    data_dir = tmp_path / "data"
    landing = Landing(data_dir).ensure()
    pdf_text = "\n".join(_gold("town_table_site_title")["paragraphs"])
    row = _landed_by_old_extractor(
        landing, TOWN, TOWN_URL, "town_table_site_title", "青溪县石桥镇人民政府", "2024-03-22"
    )
    sha = landing.store_raw(COVER)
    row.update(raw_sha256=sha, body=pdf_text, issuer="青溪县石桥镇人民政府")
    other = {**row, "government_id": "999999", "url": "http://other.example/1.html"}
    landing.write_rows("reports", row["run_id"], TOWN, [row])
    landing.write_rows("reports", row["run_id"], "999999", [other])

    done = reextract_landed(data_dir, parse_registry({"governments": REGISTRY}, "registry.yaml"))
    assert (done.checked, done.landed, done.unchanged, done.no_raw) == (2, 1, 0, 0)
    assert done.kept == ["999999 http://other.example/1.html: government not in the registry"]
    [fixed] = [r for r in Landing(data_dir).read_rows("reports") if r["extractor_version"] == EXTRACTOR_VERSION]
    assert fixed["title"] == "石桥镇2023年法治政府建设情况报告"
    assert fixed["body"] == pdf_text and fixed["issuer"] == "青溪县石桥镇人民政府"
    assert fixed["record_id"] == row["record_id"]  # same government, URL and text: the same record, re-read
