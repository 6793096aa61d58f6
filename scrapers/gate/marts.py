"""The marts gate: audit the staged warehouse dbt just built; only a pass lets it be published.

Two kinds of failure (expectations/README.md, "When the marts gate fails"):

- ``critical`` (coverage, annual reports, completeness): the staged warehouse is not published;
- ``row`` in a suite with ``meta.quarantine`` (report_metrics, report_sections): the failing rows are taken out of
  the staged warehouse and recorded in ``marts.quarantined_rows`` (``scrapers.gate.marts_quarantine``), the suite is
  validated again on what remains, and the build goes on, so one misread figure cannot stop every alert.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scrapers.gate import marts_quarantine
from scrapers.gate.runs import record_suite_run
from scrapers.gate.suites import ROWS_SHOWN, Outcome, SuiteRun, load_suites, read_frame, run_suite
from scrapers.landing import utcnow
from scrapers.registry.governments import Registry, load_registry
from scrapers.warehouse.connect import connect_read, connect_rw


@dataclass
class Failure:
    suite: str
    expectation: str  # type(column)
    column: str | None
    severity: str
    why: str
    unexpected_count: int
    element_count: int
    rows: list[dict]  # a few offending rows: key columns and the value checked
    error: str | None = None

    @classmethod
    def of(cls, o: Outcome) -> Failure:
        return cls(
            o.suite,
            o.label,
            o.column,
            o.severity,
            o.why,
            o.unexpected_count,
            o.element_count,
            o.rows[:ROWS_SHOWN],
            o.error,
        )

    def describe(self) -> str:
        if self.error:
            head = f"{self.suite}: {self.expectation} could not run: {self.error}"
        else:
            head = f"{self.suite}: {self.expectation} failed on {self.unexpected_count} of {self.element_count} rows"
        lines = [head, f"    why: {self.why}"]
        lines += [f"    e.g. {row}" for row in self.rows]
        return "\n".join(lines)


@dataclass
class GateResult:
    success: bool
    failures: list[Failure] = field(default_factory=list)  # critical: these block publishing
    warnings: list[Failure] = field(default_factory=list)
    evaluated: int = 0
    seconds: float = 0.0
    runs: list[SuiteRun] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)  # rows taken out by this gate (marts.quarantined_rows)
    newly_quarantined: list[dict] = field(default_factory=list)  # of those, the ones the last published build held
    history: list[dict] = field(default_factory=list)  # marts.quarantined_rows as written: kept by a published build

    def counts(self) -> str:
        verdict = "passed" if self.success else f"FAILED on {len(self.failures)}"
        return (
            f"{verdict}, {self.evaluated} expectations in {len(self.runs)} suites, {len(self.warnings)} warnings, "
            f"{len(self.quarantined)} row(s) quarantined"
        )

    def describe(self) -> str:
        verdict = "passed" if self.success else f"FAILED ({len(self.failures)} critical expectation(s))"
        lines = [
            f"marts gate: {verdict}; {self.evaluated} expectations in {len(self.runs)} suites, {self.seconds:.1f}s"
        ]
        lines += [f"  critical: {f.describe()}" for f in self.failures]
        if self.quarantined:
            lines.append(f"  quarantined: {len(self.quarantined)} row(s) taken out of the marts, the rest goes on")
            lines += [
                "    " + text.replace("\n", "\n    ") for text in marts_quarantine.describe_rows(self.quarantined)
            ]
        lines += [f"  warning: {w.describe()}" for w in self.warnings]
        return "\n".join(lines)


def expected_report_years(registry: Registry, as_of: dt.date) -> pd.DataFrame:
    """Every (government, year) the registry says must have a coverage row: reports_from .. as-of year."""
    rows = [
        {"government_id": gov.id, "report_year": year, "report_id": f"{gov.id}:{year}"}
        for gov in registry
        for year in range(gov.reports_from, as_of.year + 1)
    ]
    return pd.DataFrame(rows, columns=["government_id", "report_year", "report_id"]).astype({"report_year": "int32"})


def _data_dir_of(warehouse_path: Path) -> Path:
    # DATA_DIR/build/warehouse.duckdb -> DATA_DIR; a warehouse elsewhere keeps its results beside it.
    parent = Path(warehouse_path).resolve().parent
    return parent.parent if parent.name == "build" else parent


def check_marts(
    warehouse_path: Path,
    registry: Registry | Path | str,
    as_of: dt.date,
    data_dir: Path | None = None,
) -> GateResult:
    """Run every ``expectations/marts_*.json`` suite against ``warehouse_path``; record each run.

    Rows failing a ``row`` expectation of a suite with ``meta.quarantine`` are deleted from ``warehouse_path`` (the
    staged warehouse: this gate is its one writer while the build holds the build lock), the suite runs again on
    what remains, and ``marts.quarantined_rows`` is written there from the history under ``DATA_DIR/gx`` and this
    run; ``result.history`` is that table, for the build to keep once it has published (a build that is not
    published, or a what-if, must not change what the next build compares with).
    """
    start = time.monotonic()
    if not isinstance(registry, Registry):
        registry = load_registry(registry)
    data_dir = Path(data_dir) if data_dir else _data_dir_of(warehouse_path)
    parameters = {"as_of": as_of, "as_of_year": as_of.year, "as_of_iso": [as_of.isoformat()]}
    expected = expected_report_years(registry, as_of)
    suites = load_suites("marts_")
    specs = {suite.name: marts_quarantine.spec_of(suite) for suite in suites}  # a bad spec fails before any read

    runs: list[SuiteRun] = []
    frames = _read_frames(warehouse_path, suites, parameters, expected)
    result = GateResult(success=True)
    taken: list[dict] = []
    now = utcnow()
    for suite, frame, error in frames:
        run = _run(suite, frame, error, parameters, data_dir)
        spec = specs[suite.name]
        row_failed = run.failed("row")
        if spec is not None and row_failed and not any(o.error for o in row_failed):
            con = connect_rw(warehouse_path)
            try:
                rows = marts_quarantine.take_out(con, suite, spec, row_failed, now, as_of)
            finally:
                con.close()
            taken += rows
            record_suite_run(data_dir, run, as_of, quarantined=len({r["row_id"] for r in rows}))
            # Validate again what remains: publishing needs a pass on the rows that will be published.
            [(_, frame, error)] = _read_frames(warehouse_path, [suite], parameters, expected)
            run = _run(suite, frame, error, parameters, data_dir)
        runs.append(run)
        record_suite_run(data_dir, run, as_of)
        result.failures += [Failure.of(o) for o in run.failed("critical")]
        # Row failures left after a quarantine (or in a suite without one, or that could not run) block.
        result.failures += [Failure.of(o) for o in run.failed("row")]
        result.warnings += [Failure.of(o) for o in run.failed("warning")]
        result.evaluated += len(run.outcomes)
    result.quarantined = taken
    result.history, result.newly_quarantined = _record_quarantine(warehouse_path, data_dir, specs, suites, taken, now)
    result.success = not result.failures
    result.runs = runs
    result.seconds = time.monotonic() - start
    return result


def _read_frames(warehouse_path, suites, parameters, expected) -> list[tuple]:
    frames = []
    con = connect_read(warehouse_path)
    try:
        con.register("expected_report_years", expected)
        for suite in suites:
            try:
                frames.append((suite, read_frame(con, suite, parameters), None))
            except Exception as exc:  # a table or column dbt no longer builds: the gate fails, it does not crash
                frames.append((suite, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"))
        con.unregister("expected_report_years")
    finally:
        con.close()
    return frames


def _run(suite, frame, error, parameters, data_dir) -> SuiteRun:
    t0 = time.monotonic()
    if error is None:
        return run_suite(suite, frame, parameters)
    outcome = Outcome(
        suite=suite.name,
        expectation="query",
        column=None,
        severity="critical",
        why="The suite's frame could not be read from the warehouse.",
        success=False,
        error=error,
    )
    return SuiteRun(suite=suite, outcomes=[outcome], rows=0, seconds=time.monotonic() - t0)


def _record_quarantine(warehouse_path, data_dir, specs, suites, taken, now) -> tuple[list[dict], list[dict]]:
    """Counts in annual_reports and ``marts.quarantined_rows``; returns the history after this run and the rows
    first taken out in it."""
    keys = {spec.table.split(".", 1)[1]: suite.key[0] for suite in suites if (spec := specs[suite.name])}
    con = connect_rw(warehouse_path)
    try:
        for spec in filter(None, specs.values()):
            try:
                marts_quarantine.sync_counts(con, spec)
            except Exception:  # a mart missing: its suite already failed the gate, naming it
                continue
        history, new = marts_quarantine.merge(
            marts_quarantine.read_history(data_dir), taken, marts_quarantine.still_held_in(con, keys), now
        )
        marts_quarantine.load(con, history)
        con.execute("checkpoint")  # publish copies the file: fold the WAL in now
    finally:
        con.close()
    return history, new
