"""The independent labelled set: real government pages from public repositories, judged on gold written by hand.

Every page must be perfect (paragraph recall and precision >= 0.99, no chrome marker), with the title and publish
date a reader sees. The pages are not committed (real/PROVENANCE.md says where each comes from); without them these
tests skip and name the missing files.
"""

from __future__ import annotations

import pytest

from .labelled import REAL_DIR, missing_real_pages, real_cases, real_gold, run_project
from .scoring import score_page

MISSING = missing_real_pages()
NEEDS_PAGES = pytest.mark.skipif(
    bool(MISSING), reason=f"independent set pages missing (real/PROVENANCE.md, FZZF_REAL_PAGES): {MISSING}"
)
CASES = real_cases()


@NEEDS_PAGES
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


def test_set_has_provenance_and_both_encodings():
    provenance = (REAL_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    golds = real_gold()
    for name, gold in golds:
        where = gold["provenance"]
        assert name in provenance and where["commit"][:12] in provenance and where["licence"], name
    assert {g["encoding"] for _, g in golds} >= {"utf-8", "gbk"}
    # the gold is the page's text as a reader sees it: no line of it may carry the page chrome
    assert not any("扫一扫" in p or "返回顶部" in p for _, g in golds for p in g["paragraphs"])
