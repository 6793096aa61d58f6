"""Extraction benchmark: the project's extractor beside trafilatura (defaults and favor_precision), in one run.

    .venv/bin/python bench/extract.py [--repeat N] [--failures]

Two sets, scored apart: the generated labelled set (pages rendered by ``scrapers.demo.pages`` plus hand-written
pages) and the independent set (real government pages from public repositories: gold in tests/extract/real, pages in
../shared/pages/extract or $FZZF_REAL_PAGES). Prints, per set
and extractor: perfect pages, length-weighted paragraph recall and precision, exact-match rates for title,
publish date and report year, and pages per second of process CPU time (best of N passes over the set; CPU
time because the machine is shared and wall time swings with other people's load). The project's route
includes fetching the text of attachment-only pages (their PDF/DOCX bytes ship with the set); trafilatura gets the
page bytes, as stack.md recommends. trafilatura's report year is derived with the project's own year rule from the
title, text and date trafilatura returns, so that column compares what each extractor hands to that rule. Below the
independent set: how each page's body was found (``body_method``), per CMS family, and fzzf's throughput over
trafilatura's on the same pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scrapers.classify import report_year  # noqa: E402
from scrapers.demo.pages import FAMILIES  # noqa: E402
from tests.extract.labelled import all_cases, missing_real_pages, real_cases, real_pages_dir, run_project  # noqa: E402
from tests.extract.scoring import score_page, score_set  # noqa: E402


def _trafilatura_row(trafilatura, case, **options) -> dict:
    text = trafilatura.extract(case.content, **options)
    # trafilatura 2.x returns metadata only when asked (without it every title and date is None)
    doc = trafilatura.bare_extraction(case.content, with_metadata=True, **options)
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


_TRAFILATURA = {"trafilatura defaults": {}, "trafilatura favor_precision": {"favor_precision": True}}


def _columns(cases, repeat: int) -> dict:
    """Per extractor: (SetScore, pages/s over all cases, pages/s over HTML-only cases, rows)."""
    columns = {}
    rows = [run_project(c) for c in cases]
    html_only = [c for c in cases if c.attachment is None]
    columns["fzzf extract_page"] = (
        score_set(rows),
        _rate(run_project, cases, repeat),
        _rate(run_project, html_only, repeat) if html_only else 0.0,
        rows,
    )
    try:
        import trafilatura
    except ImportError as exc:
        print(f"trafilatura: cannot be imported here ({exc.__class__.__name__}: {exc}); its columns are left out")
        return columns
    for name, options in _TRAFILATURA.items():
        t_rows = [_trafilatura_row(trafilatura, c, **options) for c in cases]

        def run(c, options=options):
            return trafilatura.extract(c.content, **options)

        rate_html = _rate(run, html_only, repeat) if html_only else 0.0
        columns[name] = (score_set(t_rows), _rate(run, cases, repeat), rate_html, t_rows)
    return columns


_LINES = [
    ("perfect pages", lambda s, r, h: f"{s.perfect}/{s.pages}"),
    ("paragraph recall", lambda s, r, h: f"{s.recall:.4f}"),
    ("paragraph precision", lambda s, r, h: f"{s.precision:.4f}"),
    ("title exact", lambda s, r, h: f"{s.title_rate:.3f}"),
    ("publish date exact", lambda s, r, h: f"{s.date_rate:.3f}"),
    ("report year exact", lambda s, r, h: f"{s.year_rate:.3f}"),
    ("pages/s (all pages)", lambda s, r, h: f"{r:.0f}"),
    ("pages/s (HTML-only pages)", lambda s, r, h: f"{h:.0f}"),
]


def _print_table(columns: dict, skip: tuple[str, ...] = ()) -> None:
    names = list(columns)
    print(f"{'':<28}" + "".join(f"{n:>30}" for n in names))
    for label, fmt in _LINES:
        if label not in skip:
            print(f"{label:<28}" + "".join(f"{fmt(*columns[n][:3]):>30}" for n in names))


def _print_failures(columns: dict) -> None:
    for n, column in columns.items():
        for row in column[3]:
            sc = score_page(row["gold"], row["text"])
            if not sc.perfect:
                print(
                    f"  {n}: {row['name']}: recall {sc.recall:.3f} precision {sc.precision:.3f} "
                    f"chrome {','.join(sc.chrome) or '-'}"
                )


def _print_families(cases, columns: dict) -> None:
    """Per CMS family of the independent set: pages, how fzzf found the bodies, and each extractor's perfect pages."""
    names = list(columns)
    print(f"\n{'CMS family':<28}{'pages':>6}  {'fzzf body_method':<22}" + "".join(f"{n[:26]:>28}" for n in names))
    families: dict[str, list[int]] = {}
    for k, case in enumerate(cases):
        families.setdefault(case.family, []).append(k)
    for family, ks in sorted(families.items()):
        methods = Counter(columns["fzzf extract_page"][3][k]["page"].body_method for k in ks)
        perfect = [
            sum(score_page(columns[n][3][k]["gold"], columns[n][3][k]["text"]).perfect for k in ks) for n in names
        ]
        how = ", ".join(f"{m} {c}" for m, c in sorted(methods.items()))
        print(f"{family:<28}{len(ks):>6}  {how:<22}" + "".join(f"{p:>28}" for p in perfect))
    fallback = [c.name for c, row in zip(cases, columns["fzzf extract_page"][3], strict=True)
                if row["page"].body_method == "structural"]  # fmt: skip
    print(f"pages that needed the structural fallback: {', '.join(fallback) or 'none'}")


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
    columns = _columns(cases, args.repeat)
    print()
    _print_table(columns)
    if args.failures:
        _print_failures(columns)

    real = real_cases()
    missing = missing_real_pages()
    print(
        f"\nindependent set: {len(real)} real government pages in {len({c.family for c in real})} CMS families "
        f"({real_pages_dir()})" + (f"; missing page files: {', '.join(missing)}" if missing else "")
    )
    if real:
        real_columns = _columns(real, args.repeat)
        print()
        _print_table(real_columns, skip=("report year exact", "pages/s (HTML-only pages)"))
        if args.failures:
            _print_failures(real_columns)
        _print_families(real, real_columns)
        ours = real_columns["fzzf extract_page"][1]
        for n in _TRAFILATURA:
            if n in real_columns:
                print(f"throughput fzzf / {n}: {ours / real_columns[n][1]:.2f}x on the same pages (CPU time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
