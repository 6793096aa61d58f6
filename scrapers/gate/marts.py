"""The marts gate: audit the staged warehouse dbt just built; only a pass lets it be published."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scrapers.gate.runs import record_suite_run
from scrapers.gate.suites import ROWS_SHOWN, Outcome, SuiteRun, load_suites, read_frame, run_suite
from scrapers.registry.governments import Registry, load_registry
from scrapers.warehouse.connect import connect_read


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

    def counts(self) -> str:
        verdict = "passed" if self.success else f"FAILED on {len(self.failures)}"
        return f"{verdict}, {self.evaluated} expectations in {len(self.runs)} suites, {len(self.warnings)} warnings"

    def describe(self) -> str:
        verdict = "passed" if self.success else f"FAILED ({len(self.failures)} critical expectation(s))"
        lines = [
            f"marts gate: {verdict}; {self.evaluated} expectations in {len(self.runs)} suites, {self.seconds:.1f}s"
        ]
        lines += [f"  critical: {f.describe()}" for f in self.failures]
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
    warehouse_path: Path, registry: Registry | Path | str, as_of: dt.date, data_dir: Path | None = None
) -> GateResult:
    """Run every ``expectations/marts_*.json`` suite against ``warehouse_path``; record each run."""
    start = time.monotonic()
    if not isinstance(registry, Registry):
        registry = load_registry(registry)
    data_dir = Path(data_dir) if data_dir else _data_dir_of(warehouse_path)
    parameters = {"as_of": as_of, "as_of_year": as_of.year, "as_of_iso": [as_of.isoformat()]}
    expected = expected_report_years(registry, as_of)

    runs: list[SuiteRun] = []
    con = connect_read(warehouse_path)
    try:
        con.register("expected_report_years", expected)
        frames = []
        for suite in load_suites("marts_"):
            try:
                frames.append((suite, read_frame(con, suite, parameters), None))
            except Exception as exc:  # a table or column dbt no longer builds: the gate fails, it does not crash
                frames.append((suite, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"))
        con.unregister("expected_report_years")
    finally:
        con.close()

    result = GateResult(success=True)
    for suite, frame, error in frames:
        t0 = time.monotonic()
        if error is not None:
            outcome = Outcome(
                suite=suite.name,
                expectation="query",
                column=None,
                severity="critical",
                why="The suite's frame could not be read from the warehouse.",
                success=False,
                error=error,
            )
            run = SuiteRun(suite=suite, outcomes=[outcome], rows=0, seconds=time.monotonic() - t0)
        else:
            run = run_suite(suite, frame, parameters)
        runs.append(run)
        record_suite_run(data_dir, run, as_of)
        result.failures += [Failure.of(o) for o in run.failed("critical")]
        # Marts have no quarantine: a row-level expectation there blocks like a critical one.
        result.failures += [Failure.of(o) for o in run.failed("row")]
        result.warnings += [Failure.of(o) for o in run.failed("warning")]
        result.evaluated += len(run.outcomes)
    result.success = not result.failures
    result.runs = runs
    result.seconds = time.monotonic() - start
    return result
