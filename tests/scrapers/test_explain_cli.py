"""``fzzf explain`` on a data directory crawled with a custom registry: without --registry it reads that registry,
as ``fzzf build`` does, and a year no report can cover is a usage error (exit 2), not an empty answer."""

from __future__ import annotations

import pytest
from gates.helpers import land, record, write_registry

from scrapers import cli
from scrapers.registry import record as registry_record
from scrapers.registry.governments import load_registry


@pytest.fixture()
def crawled(tmp_path, monkeypatch):
    """A data directory crawled with a registry of governments the shipped one does not have (as `fzzf crawl`
    records it), one report landed; the registry file then edited, so only the data directory's copy holds them."""
    monkeypatch.setenv("FZZF_TODAY", "2025-06-01")
    monkeypatch.delenv("FZZF_REGISTRY", raising=False)
    data = tmp_path / "data"
    registry = write_registry(tmp_path / "farm.yaml", ["zz901", "zz902"], reports_from=2022)
    registry_record.record(data, load_registry(registry))
    land(data, [record("zz901", "003")])
    return data, registry


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["explain", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_explain_reads_the_registry_the_data_directory_was_crawled_with(crawled, capsys):
    data, _ = crawled
    code, out, err = run(capsys, "zz901", "2022", "--data-dir", str(data))
    assert code == 0, err
    assert out.startswith("测试zz901 [zz901] 2022年度")
    assert "http://zz901.example.gov.cn/fzzf/" in out and "no longer in the registry" not in out


def test_explain_uses_the_recorded_copy_when_the_registry_file_changed(crawled, capsys):
    data, registry = crawled
    write_registry(registry, ["zz902"])  # zz901 taken out of the file after the crawl
    code, out, err = run(capsys, "zz901", "2022", "--data-dir", str(data))
    assert code == 0, err
    assert "no longer in the registry" not in out


def test_an_explicit_registry_still_wins(crawled, capsys, tmp_path):
    data, _ = crawled
    other = write_registry(tmp_path / "other.yaml", ["zz902"])
    code, out, err = run(capsys, "zz901", "2022", "--data-dir", str(data), "--registry", str(other))
    assert code == 2 and out == ""
    assert str(other) in err and "'zz901'" in err


@pytest.mark.parametrize("year", ["24", "2003", "2026", "2030"])
def test_a_year_no_report_can_cover_exits_2(crawled, capsys, year):
    data, _ = crawled
    code, out, err = run(capsys, "zz901", year, "--data-dir", str(data))
    assert code == 2 and out == ""
    assert f"fzzf explain: {year} cannot be a report year: give the year in full, 2004..2025" in err


def test_this_year_is_a_report_year(crawled, capsys):
    data, _ = crawled
    code, out, err = run(capsys, "zz901", "2025", "--data-dir", str(data))
    assert code == 0, err
