"""``fzzf extract`` through the installed console script: one JSON object per input file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .labelled import PAGES_DIR, generated_cases

FZZF = Path(sys.executable).parent / "fzzf"


def test_extract_prints_json_lines(tmp_path):
    case = next(c for c in generated_cases() if c.name == "002-table_gbk")
    page = tmp_path / "zhaodong.html"
    page.write_bytes(case.content)
    other = PAGES_DIR / "lookalike_xxgk_annual.html"
    proc = subprocess.run(
        [str(FZZF), "extract", str(page), str(other)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["path"] == str(page)
    assert first["title"] == "关于肇东市法治政府建设情况的报告"
    assert first["body"].splitlines() == list(case.paragraphs)
    assert first["publish_date"] == "2017-09-30"
    assert first["source"] is None
    assert first["report_year"] == 2016
    assert first["is_annual_report"] is True
    assert second["is_annual_report"] is False and "政府信息公开" in second["decision_reason"]
    assert second["publish_date"] == "2023-01-31" and second["source"] == "县政府办公室"


def test_extract_resolves_attachments_against_url(tmp_path):
    case = next(c for c in generated_cases() if c.name == "001-attachment_only")
    page = tmp_path / "page.html"
    page.write_bytes(case.content)
    proc = subprocess.run(
        [str(FZZF), "extract", str(page), "--url", case.url], capture_output=True, text=True, timeout=120, check=False
    )
    record = json.loads(proc.stdout)
    assert record["body"] == ""
    assert record["body_in_attachment"] == [case.attachment[0]]
    assert record["attachments"][0]["url"] == case.attachment[0]


def test_unreadable_path_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [str(FZZF), "extract", str(tmp_path / "missing.html")], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2 and "cannot read" in proc.stderr and proc.stdout == ""
