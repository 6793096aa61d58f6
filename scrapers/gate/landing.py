"""The landing gate: validate every landed report record before dbt reads it, and quarantine the bad ones.

Quarantine is derived, not landing data: ``DATA_DIR/build/quarantine.jsonl`` is rewritten from all landing rows on
every build (atomically), so a record that a re-extraction fixed, or a rule that was relaxed, comes back by itself.
The landing files themselves are never touched: nothing collected is lost because a gate held it back.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from .. import settings
from ..landing import STREAMS, Landing, atomic_write_bytes, iso, utcnow
from .runs import docs_dir, record_validation
from .suites import Outcome, SuiteRun, build_docs, load_suite, read_frame, run_suite

SUITE_FILE = "landing_reports.json"


def quarantine_path(data_dir: Path) -> Path:
    return Path(data_dir) / "build" / "quarantine.jsonl"


@dataclass
class LandingGateResult:
    rows: int = 0
    quarantined: int = 0  # distinct records held back
    quarantine: list[dict] = field(default_factory=list)  # the rows written to quarantine.jsonl
    warnings: list[str] = field(default_factory=list)
    failures: list[Outcome] = field(default_factory=list)  # critical failures
    seconds: float = 0.0
    run: SuiteRun | None = None

    @property
    def success(self) -> bool:
        """False only when a critical landing expectation failed; quarantined rows do not make a gate fail."""
        return not self.failures

    def describe(self) -> str:
        lines = [f"landing gate: {self.rows} record(s), {self.quarantined} quarantined"
                 + ("" if self.success else ", CRITICAL FAILURE")]
        by_reason: dict[str, int] = {}
        for q in self.quarantine:
            by_reason[q["reason"].split(":")[0]] = by_reason.get(q["reason"].split(":")[0], 0) + 1
        lines += [f"  quarantined: {n} × {reason}" for reason, n in sorted(by_reason.items())]
        lines += [f"  critical: {f.summary()} {f.rows[:3]}" for f in self.failures]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _landing_view(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    """``landing_reports``: every landed report record, typed as dbt's source declares it.

    Files are parsed in Python and handed to DuckDB as a DataFrame: DuckDB's read_json costs about 7 ms per file
    (2,000 landing files: 15 s, against 0.7 s for json.loads), and a crawl lands one file per government and run.
    The casts follow landing.STREAMS, so a value dbt could not read fails here first. Nested lists are not checked.
    """
    columns = {name: typ for name, typ in STREAMS["reports"].items() if not typ.endswith("[]")}
    rows = Landing(data_dir).read_rows("reports")
    raw = pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=list(columns), dtype=object)
    con.register("landing_raw", raw)
    casts = ", ".join(f"cast({name} as {typ}) as {name}" for name, typ in columns.items())
    con.execute(f"create or replace view landing_reports as select {casts} from landing_raw")


def _reason(outcome: Outcome, row: dict) -> str:
    """A reason a person can act on: the expectation's short reason, plus the chrome string found."""
    base = outcome.reason or outcome.label
    value = row.get(outcome.column or "")
    if isinstance(value, str):
        for rx in outcome.kwargs.get("regex_list") or []:
            m = re.search(rx, value)
            if m:
                return f"{base}: {m.group(0)}"
    return base


def check_landing(data_dir: Path, as_of: dt.date) -> LandingGateResult:
    """Validate landed report records; write ``DATA_DIR/build/quarantine.jsonl``; record the validation."""
    start = time.monotonic()
    data_dir = Path(data_dir)
    Landing(data_dir).ensure()  # the zero-byte markers let the glob match before the first crawl
    suite = load_suite(settings.EXPECTATIONS_DIR / SUITE_FILE)

    con = duckdb.connect()
    try:
        _landing_view(con, data_dir)
        frame = read_frame(con, suite)
    finally:
        con.close()
    run = run_suite(suite, frame, {"as_of_year": as_of.year}, docs_dir=docs_dir(data_dir))
    build_docs(docs_dir(data_dir))

    previous = _previous_times(quarantine_path(data_dir))
    now = iso(utcnow())
    entries: dict[tuple[str, str], dict] = {}
    for outcome in run.failed("row"):
        for row in outcome.rows:
            record_id = row.get("record_id")
            if not record_id:
                continue  # no key to hold it back by: the critical record_id expectation fails the gate instead
            key = (record_id, outcome.label)
            entries.setdefault(key, {
                "record_id": record_id,
                "stream": "reports",
                "reason": _reason(outcome, row),
                "expectation": f"{suite.name}.{outcome.label}",
                "quarantined_at": previous.get((record_id, f"{suite.name}.{outcome.label}"), now),
            })
    quarantine = sorted(entries.values(), key=lambda q: (q["record_id"], q["expectation"]))
    payload = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in quarantine)
    atomic_write_bytes(quarantine_path(data_dir), payload.encode("utf-8"))

    result = LandingGateResult(
        rows=run.rows,
        quarantined=len({q["record_id"] for q in quarantine}),
        quarantine=quarantine,
        warnings=[f"{o.summary()} — {o.why}" for o in run.failed("warning")],
        failures=run.failed("critical"),
        run=run,
    )
    result.seconds = time.monotonic() - start
    failed = run.failed()
    record_validation(
        data_dir, suite=suite.name, success=result.success, evaluated=len(run.outcomes), failed=len(failed),
        as_of=as_of, critical_failed=len(result.failures), warnings=len(run.failed("warning")), rows=run.rows,
        unexpected_rows=sum(o.unexpected_count for o in failed), quarantined=result.quarantined,
        seconds=result.seconds, failures=[o.summary() for o in failed],
    )
    return result


def _previous_times(path: Path) -> dict[tuple[str, str], str]:
    """When each (record, expectation) was first quarantined, so the date survives the rewrite on every build."""
    times: dict[tuple[str, str], str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return times
    for line in text.splitlines():
        try:
            q = json.loads(line)
            times[(q["record_id"], q["expectation"])] = q["quarantined_at"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return times
