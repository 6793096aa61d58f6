"""What an analyst reads out of a published warehouse: ``fzzf report``, ``fzzf export`` and ``marts.metric_labels``.

One real build (landing files, dbt, GX gates, publish) of two governments: g1 has its 2022 report, g2 has none. The
commands run as the installed ``fzzf`` console script in a child process, as a user runs them.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from gates.helpers import land, query, record, write_registry

from scrapers.extract.metrics import TOPICS
from scrapers.warehouse.build import run_build
from scrapers.warehouse.paths import published_path

pytestmark = pytest.mark.integration

AS_OF = dt.date(2024, 5, 1)
FZZF = Path(sys.executable).with_name("fzzf")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("analyst")
    registry = write_registry(data / "registry.yaml", ["g1", "g2"], reports_from=2022)
    report = record("g1", "003")
    land(data, [report])
    result = run_build(data, registry, AS_OF, send_alerts=False)
    assert result.published, result.describe()
    return {"data": data, "record": report, "warehouse": published_path(data)}


def fzzf(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(FZZF), *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_report_prints_clean_text_and_metadata(built):
    r = built["record"]
    (status, due, as_of) = query(
        built["warehouse"],
        "select status, due_date, as_of from marts.report_coverage where government_id = 'g1' and report_year = 2022",
    )[0]
    proc = fzzf("report", "g1", "2022", "--data-dir", str(built["data"]))
    assert proc.returncode == 0, proc.stderr
    head, _, body = proc.stdout.partition("\n\n")
    assert "测试g1 (g1, 四川省, county) — 2022 report" in head
    assert f"title:        {r['title']}" in head
    assert f"url:          {r['url']}" in head
    assert f"published:    {r['publish_date']}" in head
    assert f"coverage:     {status}" in head and f"as of {as_of}; due {due}" in head
    assert body.rstrip("\n") == query(
        built["warehouse"], "select body from marts.annual_reports where report_id = 'g1:2022'"
    )[0][0].rstrip("\n")
    assert r["body"][:40] in body


def test_report_json(built):
    proc = fzzf("report", "g1", "2022", "--data-dir", str(built["data"]), "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert (got["government"]["government_id"], got["report_year"], got["url"]) == ("g1", 2022, built["record"]["url"])
    assert got["coverage"]["status"] in ("on_time", "late")
    assert got["body"]


def test_report_absent_says_the_status_and_fails(built):
    (status,) = query(
        built["warehouse"],
        "select status from marts.report_coverage where government_id = 'g2' and report_year = 2022",
    )[0]
    proc = fzzf("report", "g2", "2022", "--data-dir", str(built["data"]))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "no 2022 report of 测试g2 (g2)" in proc.stderr and f"coverage status {status}" in proc.stderr
    assert "fzzf explain g2 2022" in proc.stderr


def test_report_unknown_government_is_a_usage_error(built):
    proc = fzzf("report", "nope", "2022", "--data-dir", str(built["data"]))
    assert proc.returncode == 2
    assert "no government with id 'nope'" in proc.stderr and str(built["warehouse"]) in proc.stderr


def test_report_and_export_without_a_published_warehouse(tmp_path):
    for args in (["report", "g1", "2022"], ["export", "governments", "--out", str(tmp_path / "g.csv")]):
        proc = fzzf(*args, "--data-dir", str(tmp_path))
        assert proc.returncode == 1, proc.stderr
        assert "no built warehouse here" in proc.stderr and str(tmp_path / "warehouse.duckdb") in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "g.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_the_whole_mart(built, tmp_path, fmt):
    out = tmp_path / f"coverage.{fmt}"
    proc = fzzf("export", "report_coverage", "--format", fmt, "--out", str(out), "--data-dir", str(built["data"]))
    assert proc.returncode == 0, proc.stderr
    expected = query(built["warehouse"], "select * from marts.report_coverage order by report_id")
    con = duckdb.connect()
    reader = f"read_csv('{out}')" if fmt == "csv" else f"read_parquet('{out}')"
    got = con.execute(f"select * from {reader} order by report_id").fetchall()
    names = [d[0] for d in con.description]
    assert names == [
        name for (name,) in query(built["warehouse"], "select column_name from (describe marts.report_coverage)")
    ]
    assert len(got) == len(expected) >= 2
    status = names.index("status")
    assert [row[status] for row in got] == [row[status] for row in expected]
    if fmt == "parquet":
        assert got == expected  # parquet keeps the types: the very rows
    assert f"{len(expected)} rows" in proc.stdout
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left beside it


def test_export_default_path_is_the_mart_name(built, tmp_path):
    proc = fzzf("export", "governments", "--data-dir", str(built["data"]), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "governments.csv").read_text(encoding="utf-8").startswith("government_id,parent_id,")


@pytest.mark.parametrize("name", ["stg_landing__reports", "int_reports__landed", "nope", 'governments" --'])
def test_export_refuses_what_is_not_a_mart(built, tmp_path, name):
    proc = fzzf("export", name, "--data-dir", str(built["data"]), cwd=tmp_path)
    assert proc.returncode == 2
    assert "is not a table of schema marts; valid: " in proc.stderr
    valid = proc.stderr.rpartition("valid: ")[2].strip().split(", ")
    assert {"annual_reports", "report_coverage", "report_metrics", "metric_labels"} <= set(valid)
    assert list(tmp_path.iterdir()) == []


def test_metric_labels_name_every_code(built):
    codes = {f.metric: (f.label, f.unit) for t in TOPICS for f in t.fields}
    labels = {
        m: (label, unit)
        for m, label, unit in query(built["warehouse"], "select metric, label, unit from marts.metric_labels")
    }
    assert labels == codes
    found = query(built["warehouse"], "select distinct metric, unit from marts.report_metrics")
    assert len(found) >= 2  # the seed report holds figures, so the check below is about real rows
    for metric, unit in found:
        assert metric in labels, f"report_metrics.metric {metric!r} has no row in metric_labels"
        assert unit == labels[metric][1]
    assert len({label for label, _ in codes.values()}) == len(codes)  # no two codes share a name
