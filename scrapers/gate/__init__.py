"""Quality gates (Great Expectations) around the dbt build: quarantine on landing, block-or-publish on marts.

Public API (used by ``scrapers.warehouse.build`` and the Airflow tasks):

- ``check_landing(data_dir, as_of) -> LandingGateResult``: validates landing records, writes
  ``DATA_DIR/build/quarantine.jsonl`` (dbt's staging excludes those record ids), records the run.
- ``check_marts(warehouse_path, registry, as_of) -> GateResult``: validates the staged warehouse; ``.success``
  is False when a critical expectation failed; ``.failures``/``.describe()`` say which, with offending rows.
  Rows failing a ``row`` expectation of a suite with ``meta.quarantine`` are taken out of the staged warehouse
  into ``marts.quarantined_rows`` instead (``.quarantined``; ``scrapers.gate.marts_quarantine``).
- ``record_validation(data_dir, suite, success, evaluated, failed, as_of, ...)``: append to
  ``DATA_DIR/gx/validation_runs.jsonl``; ``load_validation_runs(data_dir, warehouse_path)`` copies that log into
  ``marts.validation_runs`` of the staged warehouse before publish.

Suites live in ``expectations/*.json``; every result is kept in ``DATA_DIR/gx/validation_runs.jsonl`` (no GX Data Docs).
"""

from scrapers.gate.landing import LandingGateResult, check_landing, quarantine_path
from scrapers.gate.marts import Failure, GateResult, check_marts, expected_report_years
from scrapers.gate.runs import load_validation_runs, read_validation_runs, record_validation, runs_path
from scrapers.gate.suites import SuiteError, load_suite, load_suites

__all__ = [
    "Failure",
    "GateResult",
    "LandingGateResult",
    "SuiteError",
    "check_landing",
    "check_marts",
    "expected_report_years",
    "load_suite",
    "load_suites",
    "load_validation_runs",
    "quarantine_path",
    "read_validation_runs",
    "record_validation",
    "runs_path",
]
