"""Expectation suites from ``expectations/*.json`` run with Great Expectations on pandas frames.

Each suite file is readable JSON in git: GX's own ``name``/``expectations`` plus, in ``meta``, the DuckDB ``query``
that builds the frame it validates (derived columns such as ``cjk_share`` are computed there, in the open) and the
``key`` columns that identify an offending row. Every expectation carries ``meta.severity`` and ``meta.why``:

- ``critical``: a failure blocks the build (marts: nothing is published);
- ``row``: the offending rows are quarantined and the rest goes on (landing records; on the marts, rows of a
  suite with ``meta.quarantine``, see ``scrapers.gate.marts_quarantine``; elsewhere it blocks like ``critical``);
- ``warning``: reported and recorded, never blocking.

GX's SQL datasource is broken on DuckDB (../shared/notes/stack.md), so frames are read with DuckDB and validated
through a pandas datasource. Results are kept by ``scrapers.gate.runs`` (every run, in ``validation_runs``), not as
GX Data Docs: those showed only the runs of the last build process and loaded their scripts and styles from CDNs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapers import settings

log = logging.getLogger(__name__)

SEVERITIES = ("critical", "row", "warning")
ROWS_SHOWN = 5  # offending rows a failure message shows; row-level failures keep every key for the quarantine


class SuiteError(ValueError):
    """A suite file that cannot be used; says which file and which expectation."""


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    query: str
    key: tuple[str, ...]
    description: str
    document: dict[str, Any]

    def expectations(self) -> list[dict[str, Any]]:
        return self.document["expectations"]


def load_suite(path: Path) -> Suite:
    """Read and check one suite file: every expectation needs a known severity and a reason."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read suite: {exc}") from None
    meta = document.get("meta") or {}
    if not document.get("name") or not meta.get("query") or not meta.get("key"):
        raise SuiteError(f"{path}: a suite needs 'name', 'meta.query' and 'meta.key'")
    for i, exp in enumerate(document.get("expectations") or []):
        emeta = exp.get("meta") or {}
        if emeta.get("severity") not in SEVERITIES:
            raise SuiteError(
                f"{path}: expectation #{i + 1} ({exp.get('type')}): meta.severity must be one of {SEVERITIES}"
            )
        if not str(emeta.get("why") or "").strip():
            raise SuiteError(f"{path}: expectation #{i + 1} ({exp.get('type')}): meta.why must say why it exists")
        kwargs = exp.get("kwargs") or {}
        for name, value in kwargs.items():
            if isinstance(value, dict) and "$package" in value:
                kwargs[name] = _from_package(value["$package"], f"{path}: expectation #{i + 1} ({exp.get('type')}), "
                                             f"kwargs.{name}")  # fmt: skip
    return Suite(
        name=document["name"],
        path=Path(path),
        query=meta["query"],
        key=tuple(meta["key"]),
        description=meta.get("description", ""),
        document=document,
    )


def _from_package(reference: str, where: str) -> Any:
    """The value a suite takes from the package (``{"$package": "module:NAME"}``), so that a rule the code applies
    (chrome markers, look-alike titles) has one home and the suite cannot drift from it. A tuple becomes a list."""
    module_name, _, attr = str(reference).partition(":")
    try:
        value = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SuiteError(f"{where}: cannot resolve $package {reference!r}: {exc}") from None
    return list(value) if isinstance(value, tuple) else value


def load_suites(prefix: str, directory: Path | None = None) -> list[Suite]:
    """The suites whose file name starts with ``prefix`` (``landing_``, ``marts_``), in name order."""
    directory = Path(directory or settings.EXPECTATIONS_DIR)
    found = [load_suite(p) for p in sorted(directory.glob(f"{prefix}*.json"))]
    if not found:
        raise SuiteError(f"no {prefix}*.json suites in {directory}")
    return found


@dataclass
class Outcome:
    """One expectation's result, in the terms the build, the alerts and the quarantine need."""

    suite: str
    expectation: str  # GX type
    column: str | None
    severity: str
    why: str
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)  # offending rows (key columns + the column checked)
    observed: Any = None
    error: str | None = None
    reason: str | None = None  # meta.reason: the short phrase a quarantine row carries
    kwargs: dict[str, Any] = field(default_factory=dict)
    meta_index: int | None = None  # meta._index: the expectation's position in its suite file (landing gate)

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.column})" if self.column else self.expectation

    def summary(self) -> str:
        if self.error:
            return f"{self.suite}: {self.label} could not run: {self.error}"
        what = (
            f"{self.unexpected_count} of {self.element_count} rows"
            if self.element_count
            else f"observed {self.observed}"
        )
        return f"{self.suite}: {self.label} [{self.severity}] failed on {what}"


@dataclass
class SuiteRun:
    suite: Suite
    outcomes: list[Outcome]
    rows: int
    seconds: float

    def failed(self, severity: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and (severity is None or o.severity == severity)]

    @property
    def success(self) -> bool:
        """No critical expectation failed (row and warning failures do not block)."""
        return not self.failed("critical")


# --- GX -----------------------------------------------------------------------------------------------------------

_CONTEXTS: dict[str, Any] = {}


def _context():
    """One ephemeral GX context per process."""
    if "ctx" not in _CONTEXTS:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars in build logs
        ctx.data_sources.add_pandas("fzzf")
        _CONTEXTS["ctx"] = ctx
    return _CONTEXTS["ctx"]


def _plain(value: Any) -> Any:
    """JSON-friendly scalars for messages and the quarantine file (numpy, pandas and NaN included)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()  # numpy scalars
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def column_of(kwargs: dict[str, Any]) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    for pair in (("column_A", "column_B"),):
        if pair[0] in kwargs:
            return ", ".join(kwargs[c] for c in pair)
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    return None


def run_suite(suite: Suite, frame, parameters: dict[str, Any] | None = None) -> SuiteRun:
    """Validate ``frame`` (a pandas DataFrame built by ``suite.query``) against ``suite``."""
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite

    start = time.monotonic()
    ctx = _context()
    source = ctx.data_sources.get("fzzf")
    try:
        asset = source.get_asset(suite.name)
    except LookupError:
        asset = source.add_dataframe_asset(suite.name)
    try:
        batch = asset.get_batch_definition("all")
    except (KeyError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("all")
    # meta.why becomes GX's `notes`: the expectation explains itself wherever GX shows it.
    expectations = [
        {**e, "notes": e.get("notes") or f"[{e['meta']['severity']}] {e['meta']['why']}"} for e in suite.expectations()
    ]
    gx_suite = ctx.suites.add_or_update(
        ExpectationSuite(name=suite.name, expectations=expectations, meta={"description": suite.description})
    )
    definition = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters or {},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(suite.key)},
    )
    outcomes = [_outcome(suite, r) for r in result.results]
    return SuiteRun(suite=suite, outcomes=outcomes, rows=len(frame), seconds=time.monotonic() - start)


def _outcome(suite: Suite, r) -> Outcome:
    config = r.expectation_config
    kwargs = dict(config.kwargs)
    meta = config.meta or {}
    error = None
    if r.exception_info and r.exception_info.get("raised_exception"):
        error = str(r.exception_info.get("exception_message") or "exception").splitlines()[0][:300]
    res = r.result or {}
    rows = [{k: _plain(v) for k, v in row.items()} for row in res.get("unexpected_index_list") or []]
    return Outcome(
        suite=suite.name,
        expectation=config.type,
        column=column_of(kwargs),
        severity=meta.get("severity", "critical"),
        why=meta.get("why", ""),
        # An expectation that could not run (a column renamed in dbt, a broken regex) counts as failed.
        success=bool(r.success) and error is None,
        element_count=int(res.get("element_count") or 0),
        unexpected_count=int(res.get("unexpected_count") or 0),
        rows=rows,
        observed=_plain(res.get("observed_value")),
        error=error,
        reason=meta.get("reason"),
        kwargs=kwargs,
        meta_index=meta.get("_index"),
    )


def read_frame(con, suite: Suite, parameters: dict[str, Any] | None = None):
    """Run the suite's query on a DuckDB connection; named parameters are passed only when the query names them."""
    params = {k: v for k, v in (parameters or {}).items() if f"${k}" in suite.query}
    return con.execute(suite.query, params).df() if params else con.execute(suite.query).df()
