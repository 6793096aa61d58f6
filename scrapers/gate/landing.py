"""The landing gate: validate every landed row (reports, crawl log, link decisions) before dbt reads it, and
quarantine the bad ones.

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

from ..landing import STREAMS, Landing, atomic_write_bytes, iso, utcnow
from .runs import docs_dir, record_validation
from .suites import Outcome, SuiteError, SuiteRun, build_docs, load_suites, read_frame, run_suite


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
    runs: list[SuiteRun] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """False only when a critical landing expectation failed; quarantined rows do not make a gate fail."""
        return not self.failures

    def describe(self) -> str:
        lines = [
            f"landing gate: {self.rows} row(s), {self.quarantined} quarantined"
            + ("" if self.success else ", CRITICAL FAILURE")
        ]
        by_reason: dict[str, int] = {}
        for q in self.quarantine:
            reason = f"{q['stream']}: {q['reason'].split(':')[0]}"
            by_reason[reason] = by_reason.get(reason, 0) + 1
        lines += [f"  quarantined: {n} × {reason}" for reason, n in sorted(by_reason.items())]
        lines += [f"  critical: {f.summary()} {f.rows[:3]}" for f in self.failures]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _landing_view(con: duckdb.DuckDBPyConnection, data_dir: Path, stream: str) -> None:
    """``landing_<stream>``: every landed row of a stream, typed as dbt's source declares it.

    Files are parsed in Python and handed to DuckDB as a DataFrame: DuckDB's read_json costs about 7 ms per file
    (2,000 landing files: 15 s, against 0.7 s for json.loads), and a crawl lands one file per government and run.
    The casts follow landing.STREAMS, so a value dbt could not read is named here first. Nested lists are not checked.
    """
    columns = {name: typ for name, typ in STREAMS[stream].items() if not typ.endswith("[]")}
    rows = Landing(data_dir).read_rows(stream)
    raw = pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=list(columns), dtype=object)
    con.register(f"landing_raw_{stream}", raw)
    # try_cast, and name what did not cast in `_unreadable`: a critical expectation then names the row and column,
    # where a plain cast would only crash the gate.
    casts = ", ".join(f"try_cast({name} as {typ}) as {name}" for name, typ in columns.items())
    checks = ", ".join(
        f"case when {name} is not null and try_cast({name} as {typ}) is null then '{name}' end"
        for name, typ in columns.items()
    )
    con.execute(
        f"create or replace view landing_{stream} as select {casts}, nullif(concat_ws(', ', {checks}), '') "
        f"as _unreadable from landing_raw_{stream}"
    )


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
    """Validate every landed row (``expectations/landing_*.json``, one suite per stream); write
    ``DATA_DIR/build/quarantine.jsonl`` from scratch; record each suite's run in validation_runs."""
    start = time.monotonic()
    data_dir = Path(data_dir)
    Landing(data_dir).ensure()
    result = LandingGateResult()
    entries: dict[tuple[str, str], dict] = {}
    previous = _previous_times(quarantine_path(data_dir))
    now = iso(utcnow())
    parameters = {"as_of_year": as_of.year}

    for suite in load_suites("landing_"):
        stream = suite.document["meta"].get("stream")
        if stream not in STREAMS:
            raise SuiteError(f"{suite.path}: meta.stream must name a landing stream ({', '.join(STREAMS)})")
        t0 = time.monotonic()
        con = duckdb.connect()
        try:
            _landing_view(con, data_dir, stream)
            frame = read_frame(con, suite, parameters)
        finally:
            con.close()
        run = run_suite(suite, frame, parameters, docs_dir=docs_dir(data_dir))
        result.runs.append(run)

        held: set[str] = set()
        for outcome in run.failed("row"):
            for row in outcome.rows:
                record_id = row.get("record_id")
                if not record_id:
                    continue  # no key to hold it back by: a critical record_id expectation fails the gate instead
                held.add(record_id)
                expectation = f"{suite.name}.{outcome.label}"
                entries.setdefault(
                    (record_id, expectation),
                    {
                        "record_id": record_id,
                        "stream": stream,
                        "reason": _reason(outcome, row),
                        "expectation": expectation,
                        "quarantined_at": previous.get((record_id, expectation), now),
                    },
                )
        result.rows += run.rows
        result.quarantined += len(held)
        result.warnings += [f"{o.summary()} — {o.why}" for o in run.failed("warning")]
        result.failures += run.failed("critical")
        failed = run.failed()
        record_validation(
            data_dir,
            suite=suite.name,
            success=run.success,
            evaluated=len(run.outcomes),
            failed=len(failed),
            as_of=as_of,
            critical_failed=len(run.failed("critical")),
            warnings=len(run.failed("warning")),
            rows=run.rows,
            unexpected_rows=sum(o.unexpected_count for o in failed),
            quarantined=len(held),
            seconds=time.monotonic() - t0,
            failures=[o.summary() for o in failed],
        )

    result.quarantine = sorted(entries.values(), key=lambda q: (q["stream"], q["record_id"], q["expectation"]))
    payload = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in result.quarantine)
    atomic_write_bytes(quarantine_path(data_dir), payload.encode("utf-8"))
    build_docs(docs_dir(data_dir))
    result.seconds = time.monotonic() - start
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
