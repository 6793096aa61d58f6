"""The independent labelled set: real government pages from public repositories, judged on gold written by hand.

Every page must be perfect (paragraph recall and precision >= 0.99, no chrome marker), with the title and publish
date a reader sees. The page files are not in this repository: they sit beside it in ``../shared/pages/extract``
(on CI too) with their ``PROVENANCE.csv``; ``FZZF_REAL_PAGES`` points elsewhere. Without them the page tests skip on
a developer's machine and FAIL on CI (``CI=true``): a set that silently stops running proves nothing.
"""

from __future__ import annotations

import csv
import hashlib
import os

import pytest

from .labelled import REAL_DIR, missing_real_pages, real_cases, real_gold, real_pages_dir, run_project
from .scoring import score_page

MISSING = missing_real_pages()
ON_CI = os.environ.get("CI", "").lower() == "true"
CASES = real_cases()


def test_real_pages_are_present():
    if MISSING and not ON_CI:
        pytest.skip(f"independent set pages missing in {real_pages_dir()} (FZZF_REAL_PAGES): {MISSING}")
    assert not MISSING, f"independent set pages missing in {real_pages_dir()} (FZZF_REAL_PAGES): {MISSING}"
    assert len(CASES) == len(real_gold()) >= 13


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_page_is_perfect(case):
    row = run_project(case)
    score = score_page(case.paragraphs, row["text"])
    lines = row["text"].splitlines()
    assert row["text"].strip(), "empty body"
    assert score.chrome == ()
    assert score.recall >= 0.99, f"missing: {[p[:40] for p in case.paragraphs if p not in lines][:3]}"
    assert score.precision >= 0.99, f"extra: {[x[:40] for x in lines if x not in case.paragraphs][:3]}"
    assert row["page"].title == case.title
    assert row["page"].publish_date == case.publish_date
    assert row["page"].body_method in {"marker", "selector", "structural"}


def test_gold_matches_the_pages_provenance():
    """Each gold names the page it was written for: repository, path, commit and size as PROVENANCE.csv records
    them, and the page file is still those bytes (sha256)."""
    if MISSING and not ON_CI:
        pytest.skip(f"independent set pages missing in {real_pages_dir()}")
    with (real_pages_dir() / "PROVENANCE.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    golds = dict(real_gold())
    assert sorted(golds) == sorted(rows), "every page of PROVENANCE.csv has a gold and no gold lacks its page"
    for name, gold in golds.items():
        where, row = gold["provenance"], rows[name]
        assert (where["repository"], where["path"], where["commit"]) == (row["repo"], row["path"], row["commit"]), name
        assert where["licence"] and where["bytes"] == int(row["bytes"]), name
        content = (real_pages_dir() / f"{name}.html").read_bytes()
        assert hashlib.sha256(content).hexdigest() == row["sha256"], (
            f"{name}.html is not the bytes PROVENANCE.csv names"
        )


def test_set_has_both_encodings_and_chrome_free_gold():
    provenance = (REAL_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    golds = real_gold()
    assert all(name in provenance for name, _ in golds)
    assert {g["encoding"] for _, g in golds} >= {"utf-8", "gbk"}
    # the gold is the page's text as a reader sees it: no line of it may carry the page chrome
    assert not any("扫一扫" in p or "返回顶部" in p for _, g in golds for p in g["paragraphs"])
