"""Extraction benchmark: the project's extractor beside trafilatura's defaults on the labelled set, in one run.

    .venv/bin/python bench/extract.py [--repeat N]

Prints, per extractor: perfect pages, length-weighted paragraph recall and precision, exact-match rates for title,
publish date and report year, and pages per second of process CPU time (best of N passes over the set; CPU
time because the machine is shared and wall time swings with other people's load). The project's route
includes fetching the text of attachment-only pages (their PDF/DOCX bytes ship with the set); trafilatura gets the
page bytes, as stack.md recommends. trafilatura's report year is derived with the project's own year rule from the
title, text and date trafilatura returns, so that column compares what each extractor hands to that rule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scrapers.classify import report_year  # noqa: E402
from scrapers.demo.pages import FAMILIES  # noqa: E402
from tests.extract.labelled import all_cases, run_project  # noqa: E402
from tests.extract.scoring import score_page, score_set  # noqa: E402


def _trafilatura_row(trafilatura, case) -> dict:
    text = trafilatura.extract(case.content)
    doc = trafilatura.bare_extraction(case.content)
    title = getattr(doc, "title", None) if doc is not None else None
    date = None
    if doc is not None and getattr(doc, "date", None):
        try:
            date = dt.date.fromisoformat(doc.date[:10])
        except ValueError:
            date = None
    return {
        "name": case.name,
        "gold": case.paragraphs,
        "text": text or "",
        "title": title,
        "publish_date": date,
        "report_year": report_year(title or "", text, date)[0],
        "gold_title": case.title,
        "gold_publish_date": case.publish_date,
        "gold_report_year": case.report_year,
    }


def _rate(fn, cases, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for case in cases:
            fn(case)
        best = min(best, time.process_time() - start)
    return len(cases) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best counts (default 3)")
    parser.add_argument("--failures", action="store_true", help="list the pages that are not perfect")
    args = parser.parse_args(argv)

    cases = all_cases()
    generated = [c for c in cases if c.family in FAMILIES]
    print(
        f"labelled set: {len(cases)} pages: {len(generated)} generated in {len(FAMILIES)} CMS families "
        f"({', '.join(FAMILIES)}), {len(cases) - len(generated)} hand-written"
    )

    columns = {}
    rows = [run_project(c) for c in cases]
    html_only = [c for c in cases if c.attachment is None]
    columns["fzzf extract_page"] = (
        score_set(rows),
        _rate(run_project, cases, args.repeat),
        _rate(run_project, html_only, args.repeat),
        rows,
    )
    try:
        import trafilatura
    except ImportError as exc:
        trafilatura = None
        print(f"trafilatura: cannot be imported here ({exc.__class__.__name__}: {exc}); its column is left out")
    if trafilatura is not None:
        t_rows = [_trafilatura_row(trafilatura, c) for c in cases]
        rate_all = _rate(lambda c: trafilatura.extract(c.content), cases, args.repeat)
        rate_html = _rate(lambda c: trafilatura.extract(c.content), html_only, args.repeat)
        columns["trafilatura.extract defaults"] = (score_set(t_rows), rate_all, rate_html, t_rows)

    names = list(columns)
    print()
    print(f"{'':<28}" + "".join(f"{n:>30}" for n in names))
    lines = [
        ("perfect pages", lambda s, r, h: f"{s.perfect}/{s.pages}"),
        ("paragraph recall", lambda s, r, h: f"{s.recall:.4f}"),
        ("paragraph precision", lambda s, r, h: f"{s.precision:.4f}"),
        ("title exact", lambda s, r, h: f"{s.title_rate:.3f}"),
        ("publish date exact", lambda s, r, h: f"{s.date_rate:.3f}"),
        ("report year exact", lambda s, r, h: f"{s.year_rate:.3f}"),
        ("pages/s (all pages)", lambda s, r, h: f"{r:.0f}"),
        ("pages/s (HTML-only pages)", lambda s, r, h: f"{h:.0f}"),
    ]
    for label, fmt in lines:
        print(f"{label:<28}" + "".join(f"{fmt(*columns[n][:3]):>30}" for n in names))

    if args.failures:
        for n in names:
            for row in columns[n][3]:
                sc = score_page(row["gold"], row["text"])
                if not sc.perfect:
                    print(
                        f"  {n}: {row['name']}: recall {sc.recall:.3f} precision {sc.precision:.3f} "
                        f"chrome {','.join(sc.chrome) or '-'}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
