"""Three runs in a row with nothing changed on the portals (runs 1, 2 and 3 of pipeline.py, every known report
re-fetched each time) land nothing new and publish the same warehouse: same rows in every marts table."""

from __future__ import annotations

import pytest

from .conftest import landing_rows, runs
from .pipeline import MARTS, MOVING

pytestmark = pytest.mark.reliability


def test_three_reruns_publish_the_same_warehouse(pipeline):
    for n in (1, 2, 3):
        assert pipeline.steps[f"build{n}"].returncode == 0, pipeline.steps[f"build{n}"].output[-3000:]
    a, b, c = (pipeline.snapshots[f"run{n}"] for n in (1, 2, 3))
    for table in MARTS:
        assert a[table] is not None, table
        cols, rows = a[table]
        assert len(rows) > 0 or table in ("quarantine", "report_metrics"), table
        for other, name in ((b, "run2"), (c, "run3")):
            assert other[table][0] == cols, (table, name)
            missing = [r for r in rows if r not in other[table][1]]
            extra = [r for r in other[table][1] if r not in rows]
            assert not missing and not extra, (table, name, missing[:3], extra[:3])


def test_same_counts_in_every_table(pipeline):
    counts = [{t: len(pipeline.snapshots[f"run{n}"][t][1]) for t in MARTS} for n in (1, 2, 3)]
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0]["annual_reports"] > 0


def test_unchanged_reruns_land_no_report_twice(pipeline):
    run_ids = runs(pipeline.data)
    rows = landing_rows(pipeline.data, "reports")
    assert [r for r in rows if r["run_id"] in run_ids[1:3]] == []
    assert len({r["record_id"] for r in rows}) == len(rows)


def test_only_crawl_times_move(pipeline):
    """What idempotency ignores is only when and how the crawler last ran, never report data or a status."""
    assert set(MOVING) <= {"report_coverage", "missing_reports", "crawl_health"}
    crawl_descriptions = {"status_reason", "last_error", "last_run_status"}  # the last crawl's own words
    for cols in MOVING.values():
        assert all(c.endswith(("_at", "_id", "runs", "failures")) or c in crawl_descriptions for c in cols), cols
        assert "status" not in cols
