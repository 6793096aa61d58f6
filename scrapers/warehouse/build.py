"""One build: landing gate → dbt into a staging warehouse → marts gate → atomic publish → alerts.

Write-audit-publish: dbt never writes the file analysts read. A failure at any step leaves the published warehouse
exactly as it was, records why, and tells the people on the alert channel.

A what-if build (another day than today in Beijing, see ``scrapers.clock``) runs the same steps into
``DATA_DIR/whatif/<as_of>/warehouse.duckdb``: it never replaces the published warehouse, sends nothing and leaves
the alert state alone, so a question about another day cannot swallow a real alert.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from filelock import Timeout

from scrapers import clock
from scrapers.landing import Landing
from scrapers.registry import record as registry_record
from scrapers.settings import DEFAULT_REGISTRY, ShrinkGuard
from scrapers.warehouse.paths import published_path, staged_path, what_if_dir

log = logging.getLogger(__name__)

BUILD_LOCK_TIMEOUT = 600.0  # seconds a build waits for another build on the same data dir


@dataclass
class BuildResult:
    as_of: dt.date
    published: bool = False
    failed_step: str | None = None
    message: str = ""
    quarantined: int = 0
    landing_warnings: list[str] = field(default_factory=list)
    landing_summary: str = ""
    gate_summary: str = ""
    alert_summary: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    warehouse: Path | None = None
    what_if: bool = False
    registry: Path | None = None
    notes: list[str] = field(default_factory=list)  # things a data engineer must see: dropped rows, moved files
    marts_quarantined: list[dict] = field(default_factory=list)  # rows the marts gate took out (marts.quarantined_rows)
    marts_newly_quarantined: list[dict] = field(default_factory=list)  # of those, first taken out by this build
    blocking: list[str] = field(default_factory=list)  # one line per critical expectation that stopped the build
    notice: str | None = None  # where the "not published" notice went (run_build outside Airflow)

    def headline(self) -> str:
        """One line: the outcome and, for a build that was not published, the step and what stopped it (the task's
        error line and the failure alert's; the summary, ``describe``, is in the log once)."""
        head = self.describe().splitlines()[0]
        if self.published:
            return head
        why = "; ".join(self.blocking) or next(iter(self.message.splitlines()), "")
        return f"{head}: {why}" if why else head

    def describe(self) -> str:
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        if self.what_if:
            outcome = "WRITTEN (what-if: nothing published, no alerts)" if self.published else "NOT WRITTEN"
            head = f"what-if build as of {self.as_of}: {outcome}"
        else:
            head = (
                f"build as of {self.as_of}: PUBLISHED" if self.published else f"build as of {self.as_of}: NOT PUBLISHED"
            )
        if not self.published:
            head += f" ({self.failed_step})"
        lines = [head]
        if self.registry:
            lines.append(f"registry: {self.registry}")
        if self.message:
            lines.append(self.message)
        lines += self.notes
        if self.landing_summary:
            lines.append(self.landing_summary)
        if self.gate_summary:
            lines.append(self.gate_summary)
        if self.published and self.warehouse:
            lines.append(f"{'what-if warehouse' if self.what_if else 'warehouse'}: {self.warehouse}")
        if self.alert_summary:
            lines.append(self.alert_summary)
        if timings:
            lines.append(f"timings: {timings}")
        return "\n".join(lines)


class _Timer:
    """Times one build step and logs one line for it when it ends: its name, seconds and ``counts``."""

    def __init__(self, result: BuildResult, step: str):
        self.result, self.step = result, step
        self.counts = ""  # set by the step: what it did, in a few words

    def __enter__(self):
        self.start = time.monotonic()
        return self

    def __exit__(self, exc_type, *exc):
        seconds = self.result.seconds[self.step] = time.monotonic() - self.start
        outcome = f"raised {exc_type.__name__}" if exc_type else self.counts
        log.info("build step %s: %.1fs%s", self.step, seconds, f", {outcome}" if outcome else "")
        return False


def run_build(
    data_dir: Path,
    registry_path: Path | None,
    as_of: dt.date,
    send_alerts: bool = True,
    *,
    what_if: bool = False,
    drop_unregistered: bool = False,
    full_refresh: bool = False,
    allow_shrink: bool = False,
) -> BuildResult:
    """Build, audit and publish the warehouse of ``data_dir`` as of ``as_of``.

    ``registry_path`` None: the registry the data directory was crawled with (else the shipped one). A registry
    that would leave out governments with landed reports stops the build (``failed_step == "registry"``) unless
    ``drop_unregistered``. ``what_if``: write ``DATA_DIR/whatif/<as_of>/warehouse.duckdb`` instead of publishing,
    and send nothing. ``full_refresh``: dbt from scratch. ``allow_shrink`` (or ``FZZF_ALLOW_SHRINK=1``): publish
    even a build that holds far less than the published warehouse (``warehouse.shrink``; else ``failed_step ==
    "shrink gate"``). A data directory where nothing was ever crawled builds nothing (``"nothing crawled"``).
    """
    from scrapers import gate
    from scrapers.alerts import failures, missing, unknown
    from scrapers.alerts.channels import in_airflow_task
    from scrapers.warehouse import dbt_runner as warehouse
    from scrapers.warehouse import publish

    data_dir = Path(data_dir)
    result = BuildResult(as_of=as_of, what_if=what_if)
    try:
        # loaded here, so a bad registry fails before anything is touched
        result.registry, registry = registry_record.choose(data_dir, registry_path, DEFAULT_REGISTRY, drop_unregistered)
    except registry_record.RegistryMismatch as exc:
        result.failed_step, result.message = "registry", str(exc)
        return result
    guard = replace(ShrinkGuard(), allow=True) if allow_shrink else ShrinkGuard()
    if not registry_record.landed_governments(data_dir) and not published_path(data_dir).exists():
        # An empty warehouse would read as "every report missing" and would be the base the next build is compared to.
        result.failed_step = "nothing crawled"
        result.message = f"nothing was ever crawled into {data_dir} (no landing files): run `fzzf crawl` first"
        return result
    Landing(data_dir).ensure()
    lock = publish.build_lock(data_dir, timeout=BUILD_LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        result.failed_step, result.message = "lock", f"another build holds {lock.lock_file}; try again when it ends"
        return result
    try:
        _build_locked(data_dir, result.registry, registry, as_of, result, gate, warehouse, publish, full_refresh, guard)
    finally:
        lock.release()
    if what_if:
        return result  # a question about another day: no failure notice, no alerts, no alert state
    if not result.published:
        delivery = failures.notify_build_failure(data_dir, result)  # its body lists any rows the marts gate took out
        if delivery is not None:
            result.notice = delivery.describe()
        elif not in_airflow_task():  # the same failure was alerted before: logged with the summary, not sent again
            result.notice = "already alerted; not sent again before the reminder is due"
        return result
    failures.notify_build_published(data_dir, result)  # the resolved line, when earlier builds failed
    if result.marts_newly_quarantined:
        failures.notify_quarantine(data_dir, result)
    if send_alerts:
        with _Timer(result, "alerts") as step:
            result.alert_summary = missing.send_missing_alerts(data_dir, as_of).describe()
            step.counts = result.alert_summary.partition(": ")[2]
            result.alert_summary += "\n" + unknown.send_unknown_digest(data_dir, as_of).describe()
    return result


def _build_locked(data_dir, registry_path, registry, as_of, result, gate, warehouse, publish, full_refresh, guard):
    if result.what_if:
        # Its own staged file too: the production staging warehouse is kept between builds (incremental dbt)
        # and must not be rebuilt for another day.
        staged = what_if_dir(data_dir, as_of) / "staged.duckdb"
        target = what_if_dir(data_dir, as_of) / "warehouse.duckdb"
        staged.parent.mkdir(parents=True, exist_ok=True)
    else:
        staged, target = staged_path(data_dir), published_path(data_dir)
    moved = Landing(data_dir).quarantine_unreadable(Path(data_dir) / "build" / "landing_checked.json")
    for kept, reason in moved:
        result.notes.append(f"unreadable landing file moved to {kept}: {reason}")
        log.warning("unreadable landing file moved to %s: %s", kept, reason)
    if not result.what_if:  # a question about another day changes nothing in the landing
        _reextract(data_dir, registry, result)
    with _Timer(result, "landing gate") as step:
        landing_gate = gate.check_landing(data_dir, as_of)
        step.counts = landing_gate.counts()
    result.quarantined = landing_gate.quarantined
    result.landing_warnings = list(landing_gate.warnings)
    result.landing_summary = landing_gate.describe()
    result.blocking = [f.summary() for f in landing_gate.failures]
    if not landing_gate.success:
        # A row dbt cannot even read would fail dbt later with a far less helpful message: stop here.
        result.failed_step, result.message = "landing gate", "landing files failed critical expectations"
        return

    # The staging warehouse is derived, never precious: kept between builds so that dbt parses only new landing
    # files, and built from scratch when the dbt project changed or a full refresh is asked for.
    incremental = warehouse.keep_staged(staged, data_dir, full_refresh=full_refresh)
    with _Timer(result, "dbt build") as step:
        # exactly the files the gate checked: one landed since then waits for the next build's gate
        dbt = warehouse.run_dbt(
            data_dir, registry_path, as_of, staged, landing_files=landing_gate.checked_files,
            # a what-if for a past day answers as that day's build would have: no evidence landed after it
            landed_by_as_of=result.what_if and as_of < clock.today(),
        )  # fmt: skip
        step.counts = ("incremental, " if incremental else "from scratch, ") + dbt.counts_line()
    if dbt.success:
        warehouse.mark_staged(staged, data_dir)
    else:
        result.failed_step, result.message = "dbt build", dbt.describe()
        result.blocking = [f.describe().splitlines()[0] for f in dbt.failures[:3]] or (
            [dbt.error.splitlines()[0]] if dbt.error else []
        )
        gate.record_validation(data_dir, suite="dbt_build", success=False, evaluated=0, failed=1, as_of=as_of)
        return
    result.notes += _unregistered_rows(staged)

    with _Timer(result, "marts gate") as step:
        marts_gate = gate.check_marts(staged, registry, as_of)
        step.counts = marts_gate.counts()
    result.gate_summary = marts_gate.describe()
    result.marts_quarantined = marts_gate.quarantined
    result.marts_newly_quarantined = marts_gate.newly_quarantined
    result.blocking = [f.describe().splitlines()[0] for f in marts_gate.failures]
    gate.load_validation_runs(data_dir, staged)
    if not marts_gate.success:
        result.failed_step, result.message = "marts gate", "the staged warehouse failed critical expectations"
        return

    if not result.what_if and not _shrink_allowed(staged, target, guard, result):
        return

    with _Timer(result, "publish") as step:
        publish.publish(staged, target)
        step.counts = f"{target} ({target.stat().st_size / 1e6:.1f} MB)"
    result.published = True
    result.warehouse = target
    if not result.what_if:
        from scrapers.gate import marts_quarantine

        # What the next build compares with is what was published: a build that stopped, or a what-if, may have
        # taken out or released rows nobody was told about.
        marts_quarantine.write_history(data_dir, marts_gate.history)


def _shrink_allowed(staged: Path, target: Path, guard: ShrinkGuard, result: BuildResult) -> bool:
    """False (and the result says why) when the build holds far less than the published warehouse and no override
    was given; an allowed shrink is published with a note, so the drop is never silent."""
    from scrapers.warehouse import shrink

    if not target.exists():
        return True  # the first publish: nothing to compare with
    with _Timer(result, "shrink gate") as step:
        shrinks, note = shrink.compare(staged, target, guard)
        step.counts = f"{len(shrinks)} measure(s) dropped beyond their threshold"
    if note:
        result.notes.append(note)
    if not shrinks:
        return True
    if guard.allow:
        message = shrink.describe(shrinks, target, held=False)
        result.notes.append(f"published as told (--allow-shrink / FZZF_ALLOW_SHRINK), although {message}")
        log.warning("publishing a shrunken build as told: %s", message)
        return True
    result.failed_step, result.message = "shrink gate", shrink.describe(shrinks, target, held=True)
    result.blocking = [s.describe() for s in shrinks] + ["if meant: --allow-shrink (the DAG: FZZF_ALLOW_SHRINK=1)"]
    return False


def _reextract(data_dir: Path, registry, result: BuildResult) -> None:
    """Landed raw pages re-read by a newer extractor (``collect.reextract``). Never a reason not to publish: on an
    error the landed records stand and the build says so."""
    from scrapers.collect.reextract import reextract_landed

    with _Timer(result, "re-extract") as step:
        try:
            done = reextract_landed(data_dir, registry)
        except (OSError, ValueError) as exc:
            result.notes.append(f"re-extraction of landed pages failed, landed records kept: {exc}")
            log.warning("re-extraction of landed pages failed: %s", exc)
            return
        step.counts = done.describe().splitlines()[0]
    if done.landed or done.kept:
        result.notes.append(done.describe())


def _unregistered_rows(staged: Path) -> list[str]:
    """Landed reports whose government is not in the build's registry: not in any mart, so say so, never silently."""
    import duckdb

    try:
        con = duckdb.connect(str(staged))
        try:
            rows, governments, sample = con.execute(
                """
                select count(*), count(distinct government_id), list(distinct government_id)[1:5]
                from intermediate.int_reports__landed
                where government_id not in (select government_id from staging.stg_registry__governments)
                """
            ).fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        log.warning("could not count landed rows outside the registry: %s", exc)
        return []
    if not rows:
        return []
    message = (
        f"{rows} landed report row(s) of {governments} government(s) not in the registry are left out of the marts "
        f"({', '.join(sample)})"
    )
    log.warning("%s", message)
    return [message]
