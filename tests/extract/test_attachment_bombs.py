"""Attachment bombs (issue 24): a DOCX that inflates a thousandfold and a PDF whose pages share one heavy stream are
read in a child process held to hard limits; each ends in an AttachmentError naming the limit, in about the limit's
time, and a crawl around one still lands the other governments' reports. The bombs are generated (bombs.py)."""

from __future__ import annotations

import time

import pytest

from scrapers.extract import AttachmentError, extract_attachment

from .bombs import docx, pdf_shared_stream

pytestmark = pytest.mark.timeout(60)  # before the limits, each of these ran for minutes

BODY = ["2023年，测试县深入推进法治政府建设。"]


def _timed(content: bytes, name: str) -> tuple[float, AttachmentError]:
    started = time.monotonic()
    with pytest.raises(AttachmentError) as err:
        extract_attachment(content, name)
    return time.monotonic() - started, err.value


def test_a_docx_declaring_more_than_the_inflated_cap_is_refused_before_inflating(monkeypatch):
    bomb = docx(BODY, bomb_paragraphs=1_000_000)  # 0.15 MB on the wire, 51 MB of XML
    assert len(bomb) < 200_000
    monkeypatch.setenv("FZZF_ATTACHMENT_INFLATED_MB", "10")
    took, err = _timed(bomb, "bomb.docx")
    assert "FZZF_ATTACHMENT_INFLATED_MB" in str(err) and "bomb.docx" in str(err), err
    assert took < 1.0, took  # the central directory only: nothing inflated, no child started


def test_a_docx_under_the_inflated_cap_is_stopped_by_the_memory_cap(monkeypatch):
    monkeypatch.setenv("FZZF_ATTACHMENT_MEMORY_MB", "200")
    took, err = _timed(docx(BODY, bomb_paragraphs=600_000), "wide.docx")
    assert "FZZF_ATTACHMENT_MEMORY_MB" in str(err) and "wide.docx" in str(err), err
    assert took < 30, took


def test_a_pdf_whose_pages_share_one_heavy_stream_is_stopped_at_the_time_cap(monkeypatch):
    bomb = pdf_shared_stream(pages=3, operations=100_000)  # 2 KB; about 10 s a page to read unbounded
    assert len(bomb) < 4096
    monkeypatch.setenv("FZZF_ATTACHMENT_SECONDS", "3")
    took, err = _timed(bomb, "bomb.pdf")
    assert "FZZF_ATTACHMENT_SECONDS" in str(err) and "bomb.pdf" in str(err), err
    assert took < 6, took


def test_a_normal_docx_still_reads_through_the_child():
    assert extract_attachment(docx(BODY), "ok.docx").splitlines() == BODY


def test_a_crawl_around_a_bomb_lands_the_other_governments_reports(monkeypatch, tmp_path):
    from dataclasses import replace

    from farm.server import Farm, Resource

    from scrapers.collect.crawl import run_crawl
    from scrapers.landing import Landing
    from scrapers.registry.governments import parse_registry
    from scrapers.settings import Politeness

    monkeypatch.setenv("FZZF_ATTACHMENT_SECONDS", "3")
    title = "测试县2023年法治政府建设年度报告"
    item = f"<li><a href='/col/r.html'>{title}</a><span>2024-03-01</span></li>"
    cover = f"<html><body><h1>{title}</h1><p>附件：<a href='/col/r.pdf'>{title}.pdf</a></p></body></html>"
    text = "<p>" + "2023年，测试县深入推进法治政府建设，严格规范公正文明执法。" * 20 + "</p>"
    farm = Farm()
    for host, page in (("127.0.124.3", cover), ("127.0.124.4", f"<html><body><h1>{title}</h1>{text}</body></html>")):
        farm.add(host, "/robots.txt", Resource(b"", status=404))
        farm.add(host, "/col/", Resource(f"<html><body><ul>{item}</ul></body></html>".encode()))
        farm.add(host, "/col/r.html", Resource(page.encode()))
    farm.add("127.0.124.3", "/col/r.pdf", Resource(pdf_shared_stream(3, 100_000), content_type="application/pdf"))
    with farm:
        entries = [
            {"id": gid, "name": f"测试{gid}县", "level": "county", "province": "测试省",
             "list_urls": [farm.url(host, "/col/")]}
            for gid, host in (("bomb", "127.0.124.3"), ("fine", "127.0.124.4"))
        ]  # fmt: skip
        polite = replace(Politeness(), delay=0, retries=0, backoff=0, timeout=2.0, allow_private_hosts=True)
        started = time.monotonic()
        summary = run_crawl(list(parse_registry({"governments": entries}, "t.yaml")), tmp_path, polite)
        took = time.monotonic() - started
    reports = Landing(tmp_path).read_rows("reports")
    assert [r["government_id"] for r in reports] == ["fine"], summary.describe()
    notes = [r["error"] or "" for r in Landing(tmp_path).read_rows("crawl_log") if r["government_id"] == "bomb"]
    assert any("FZZF_ATTACHMENT_SECONDS" in n for n in notes), notes
    assert took < 30, took
