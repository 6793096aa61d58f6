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
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from scrapers.gate.landing_cache import (
    MAX_BATCHES,
    Batch,
    StreamCache,
    fingerprint,
    is_row_local,
    merge,
    stat_key,
    table_wide_columns,
)
from scrapers.gate.runs import record_suite_run
from scrapers.gate.suites import (
    Outcome,
    Suite,
    SuiteError,
    SuiteRun,
    column_of,
    load_suites,
    read_frame,
    run_suite,
)
from scrapers.landing import STREAMS, Landing, atomic_write_bytes, iso, utcnow


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
    files: int = 0  # landing files of all streams
    checked_files: dict[str, list[Path]] = field(default_factory=dict)  # stream -> the files checked: dbt reads these
    files_cached: int = 0  # of which an earlier build's results were reused

    @property
    def success(self) -> bool:
        """False only when a critical landing expectation failed; quarantined rows do not make a gate fail."""
        return not self.failures

    def counts(self) -> str:
        return (
            f"{self.rows} rows, {self.quarantined} quarantined, {len(self.warnings)} warnings"
            + (f", {len(self.failures)} CRITICAL" if self.failures else "")
            + f"; {self.files - self.files_cached} of {self.files} files validated, {self.files_cached} from cache"
        )

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


def _landing_view(con: duckdb.DuckDBPyConnection, files: list[Path], stream: str) -> None:
    """``landing_<stream>``: the rows of ``files`` (landing files of one stream), typed as dbt's source declares it.

    Files are parsed in Python and handed to DuckDB as a DataFrame: DuckDB's read_json costs about 7 ms per file
    (2,000 landing files: 15 s, against 0.7 s for json.loads), and a crawl lands one file per government and run.
    The casts follow landing.STREAMS, so a value dbt could not read is named here first. Nested lists are not checked.
    """
    columns = {name: typ for name, typ in STREAMS[stream].items() if not typ.endswith("[]")}
    values: list[list] = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    values.append([row.get(c) for c in columns])
    raw = pd.DataFrame(values, columns=list(columns), dtype=object)
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


def _part(suite: Suite, indexes: list[int], part: str) -> Suite:
    """The expectations at ``indexes`` as a suite of their own; each carries its position in ``meta._index``."""
    expectations = [
        {**exp, "meta": {**exp["meta"], "_index": i}} for i, exp in enumerate(suite.expectations()) if i in indexes
    ]
    return replace(suite, name=f"{suite.name}.{part}", document={**suite.document, "expectations": expectations})


def _by_index(suite: Suite, run: SuiteRun) -> dict[int, Outcome]:
    outcomes = {}
    for outcome in run.outcomes:
        outcome.suite = suite.name  # messages and quarantine rows name the suite file, not its part
        outcomes[int(outcome.meta_index)] = outcome
    return outcomes


def _not_run(suite: Suite, i: int) -> Outcome:
    """A row-local expectation with no rows validated this build: its counts come from the cache."""
    exp = suite.expectations()[i]
    kwargs = dict(exp.get("kwargs") or {})
    return Outcome(
        suite=suite.name,
        expectation=exp["type"],
        column=column_of(kwargs),
        severity=exp["meta"]["severity"],
        why=exp["meta"]["why"],
        success=True,
        reason=exp["meta"].get("reason"),
        kwargs=kwargs,
    )


def _entries(suite: Suite, outcomes: list[Outcome]) -> list[list[str]]:
    """[record_id, expectation, reason] for every row a row-severity expectation failed."""
    out = []
    for outcome in outcomes:
        if outcome.severity != "row" or outcome.success:
            continue
        for row in outcome.rows:
            if row.get("record_id"):  # no key to hold it back by: a critical record_id expectation fails the gate
                out.append([row["record_id"], f"{suite.name}.{outcome.label}", _reason(outcome, row)])
    return out


@dataclass
class _StreamCheck:
    run: SuiteRun
    entries: list[list[str]]
    files: int
    files_cached: int
    paths: list[Path]


def _check_stream(data_dir: Path, suite: Suite, stream: str, parameters: dict) -> _StreamCheck:
    """Validate the stream's files no cached batch covers (row-local expectations), then the table-wide
    expectations over all rows; fold the cached results in; keep this run's batch for the next build."""
    t0 = time.monotonic()
    base = Landing(data_dir).landing_dir / stream
    paths = Landing(data_dir).files(stream)
    current = {str(p.relative_to(base)): stat_key(p) for p in paths}
    cache = StreamCache(data_dir, stream, fingerprint(suite, parameters, STREAMS[stream]))
    valid, todo = cache.split(current)
    n_exp = len(suite.expectations())
    local = [i for i, exp in enumerate(suite.expectations()) if is_row_local(exp)]
    wide = [i for i in range(n_exp) if i not in local]
    keep = table_wide_columns(suite)

    ran: dict[int, Outcome] = {}
    new_batch, new_frame = None, None
    if todo:
        con = duckdb.connect()
        try:
            _landing_view(con, [base / name for name in todo], stream)
            frame = read_frame(con, suite, parameters)
        finally:
            con.close()
        if local:
            ran = _by_index(suite, run_suite(_part(suite, local, "rows"), frame, parameters))
        new_batch = Batch(
            files={name: current[name] for name in todo},
            rows=len(frame),
            counts={i: [o.unexpected_count, o.element_count] for i, o in ran.items()},
            entries=_entries(suite, list(ran.values())),
        )
        new_frame = frame[keep]

    batches = valid + ([new_batch] if new_batch else [])
    frames = [cache.read_frame(b) for b in valid] + ([new_frame] if new_batch else [])
    merged, all_rows = merge(batches, frames)
    outcomes: dict[int, Outcome] = {}
    for i in local:
        outcome = ran.get(i) or _not_run(suite, i)
        outcome.unexpected_count, outcome.element_count = merged.counts.get(i, [0, 0])
        outcome.success = outcome.error is None and outcome.unexpected_count == 0
        outcomes[i] = outcome
    entries = list(merged.entries)
    if wide and merged.rows:
        wide_run = run_suite(_part(suite, wide, "table"), all_rows, parameters)
        outcomes.update(_by_index(suite, wide_run))
        entries += _entries(suite, [outcomes[i] for i in wide])
    for i in wide:
        outcomes.setdefault(i, _not_run(suite, i))

    # A batch with a critical failure or an expectation that could not run is not kept: it fails again next build.
    clean = all(o.error is None and (o.success or o.severity != "critical") for o in ran.values())
    kept = valid + ([new_batch] if new_batch and clean else [])
    kept_frames = {len(valid): new_frame} if new_batch and clean else {}
    if len(kept) > MAX_BATCHES:
        one, frame = merge(kept, [cache.read_frame(b) for b in valid] + ([new_frame] if kept_frames else []))
        kept, kept_frames = [one], {0: frame}
    cache.save(kept, kept_frames)
    run = SuiteRun(
        suite=suite, outcomes=[outcomes[i] for i in range(n_exp)], rows=merged.rows, seconds=time.monotonic() - t0
    )
    files_cached = sum(len(b.files) for b in valid)
    return _StreamCheck(run=run, entries=entries, files=len(current), files_cached=files_cached, paths=paths)


def check_landing(data_dir: Path, as_of: dt.date) -> LandingGateResult:
    """Validate every landed row (``expectations/landing_*.json``, one suite per stream); write
    ``DATA_DIR/build/quarantine.jsonl`` from scratch; record each suite's run in validation_runs.

    Rows of files an earlier build validated under the same suite version are not validated again: their results
    come from ``DATA_DIR/build/landing_gate/`` (``landing_cache``); the quarantine file is the same either way.
    """
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
        checked = _check_stream(data_dir, suite, stream, parameters)
        run = checked.run
        result.runs.append(run)
        result.files += checked.files
        result.files_cached += checked.files_cached
        result.checked_files[stream] = checked.paths

        held: set[str] = set()
        for record_id, expectation, reason in checked.entries:
            held.add(record_id)
            entry = entries.get((record_id, expectation))
            # the smallest reason when one id fails an expectation in two rows: the same whatever the row order
            if entry is None or reason < entry["reason"]:
                entries[(record_id, expectation)] = {
                    "record_id": record_id,
                    "stream": stream,
                    "reason": reason,
                    "expectation": expectation,
                    "quarantined_at": previous.get((record_id, expectation), now),
                }
        result.rows += run.rows
        result.quarantined += len(held)
        result.warnings += [f"{o.summary()} — {o.why}" for o in run.failed("warning")]
        result.failures += run.failed("critical")
        record_suite_run(data_dir, run, as_of, quarantined=len(held), seconds=time.monotonic() - t0)

    result.quarantine = sorted(entries.values(), key=lambda q: (q["stream"], q["record_id"], q["expectation"]))
    payload = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in result.quarantine)
    atomic_write_bytes(quarantine_path(data_dir), payload.encode("utf-8"))
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
