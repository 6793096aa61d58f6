"""Recall on a farm of portals whose lists only scripts show (issue 26), crawled and built for real.

The farm (tests/farm/scripted.py) has one government per scripted list family (inline JSON in two template styles, a
commented list, reverse-numbered fragments, Hanweb jpage, TRS 海云 search, a JSON POST and a GET with a channel id)
and one whose list only a browser could read. Printed: precision and recall of report links, and the coverage of the
past-due years: how many are on time, missing and unknown. ``--code DIR`` runs another checkout's ``scrapers``
(e.g. ``git archive main``) against the same farm, for a before/after comparison.

    .venv/bin/python bench/scripted_lists.py [--code DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=Path, help="a checkout whose scrapers package to run (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code or REPO))
    sys.path.insert(0, str(REPO / "tests"))  # the portal farm lives with the tests
    from farm.scripted import BROWSER_ONLY, crawl_and_build, recall, scripted_farm
    from farm.server import Farm

    import scrapers

    print(f"scrapers from {Path(scrapers.__file__).parent}")
    farm = Farm()
    govs = scripted_farm(farm)
    with farm, tempfile.TemporaryDirectory() as tmp:
        result = crawl_and_build(farm, govs, Path(tmp), today="2025-06-30")
        precision, got, landed, expected = recall(result, govs)
        family = {g.id: g.family for g in govs}
        past = {k: v for k, v in result["coverage"].items() if k[1] < 2025}
        statuses = Counter(status for status, _ in past.values())
        placeholders = [r.path for r in farm.log if "{" in r.path or "%7B" in r.path.upper()]
        print(f"crawl exit {result['crawl_code']}, build exit {result['build_code']}; {len(farm.log)} requests, "
              f"{len(placeholders)} for template placeholders {placeholders[:2]}")  # fmt: skip
        print(f"report links: precision {precision:.3f}, recall {got:.3f} ({landed} landed, {expected} expected)")
        print(f"past-due years (2019-2024, {len(govs)} governments): {dict(sorted(statuses.items()))}")
        for gov_id in sorted(family, key=lambda g: int(g[1:])):
            mine = Counter(s for (g, _y), (s, _r) in past.items() if g == gov_id)
            note = " (browser-only)" if family[gov_id] == BROWSER_ONLY else ""
            print(f"  {gov_id} {family[gov_id]}{note}: {dict(sorted(mine.items()))}")


if __name__ == "__main__":
    main()
