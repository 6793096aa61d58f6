"""The shrink guard: a build that would publish far less than the published warehouse holds is held, not published.

Every gate checks a build on its own; none of them sees that ``annual_reports`` went from 25 rows to 0 because
``landing/`` was moved aside, a disk was swapped or a registry lost a province. So before publishing, the staged
warehouse is measured against the published one (reports, governments with any report, years with any report), and
a drop beyond its threshold holds the publish until someone looks (``fzzf build --allow-shrink`` or
``FZZF_ALLOW_SHRINK=1`` publishes it anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scrapers.settings import ShrinkGuard
from scrapers.warehouse.connect import WarehouseUnreadable, reading

log = logging.getLogger(__name__)

# measure (a ShrinkGuard field) -> (what it counts, in words; its SQL over marts.annual_reports; its setting)
MEASURES = {
    "reports": ("reports", "count(*)", "FZZF_SHRINK_MAX_REPORTS_DROP"),
    "governments": ("governments with any report", "count(distinct government_id)", "FZZF_SHRINK_MAX_GOVERNMENTS_DROP"),
    "years": ("report years with any report", "count(distinct report_year)", "FZZF_SHRINK_MAX_YEARS_DROP"),
}


@dataclass
class Shrink:
    measure: str
    published: int
    staged: int
    max_drop: float

    @property
    def drop(self) -> float:
        return (self.published - self.staged) / self.published

    def describe(self) -> str:
        words, _, setting = MEASURES[self.measure]
        return (
            f"{words}: {self.published} published → {self.staged} in this build ({self.drop:.0%} fewer; "
            f"{setting}={self.max_drop:g})"
        )


def counts(warehouse: Path) -> dict[str, int]:
    """The guard's measures of one warehouse file."""
    select = ", ".join(sql for _, sql, _ in MEASURES.values())
    with reading(warehouse) as con:
        values = con.execute(f"select {select} from marts.annual_reports").fetchone()
    return dict(zip(MEASURES, (int(v) for v in values), strict=True))


def compare(staged: Path, published: Path, guard: ShrinkGuard) -> tuple[list[Shrink], str | None]:
    """The measures of ``staged`` that fell beyond their threshold against ``published``, and a note when there is
    nothing to compare with (no published file yet, or one that cannot be read: then the build replaces it)."""
    if not Path(published).exists():
        return [], None
    try:
        before = counts(published)
    except (WarehouseUnreadable, duckdb.Error) as exc:
        note = f"shrink guard: the published warehouse could not be measured, so it is replaced unchecked: {exc}"
        log.warning("%s", note)
        return [], note
    after = counts(staged)
    shrinks = [Shrink(m, before[m], after[m], getattr(guard, m)) for m in MEASURES if before[m] > 0]
    return [s for s in shrinks if s.drop > s.max_drop], None


def describe(shrinks: list[Shrink], published: Path, held: bool) -> str:
    """What fell and by how much; when ``held``, that the published file is kept and how to publish anyway."""
    lines = [f"this build holds far less than the published warehouse {published}:"]
    lines += [f"  {s.describe()}" for s in shrinks]
    if held:
        lines.append(
            f"{published} is kept as it was. Was landing/ moved, the data directory swapped or the registry cut? If "
            "the drop is meant, publish with `fzzf build --allow-shrink` (the DAG: FZZF_ALLOW_SHRINK=1)"
        )
    return "\n".join(lines)
