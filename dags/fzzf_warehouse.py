"""
### fzzf_warehouse: build, gate and publish the warehouse, then alert on missing reports

Runs whenever `fzzf_collect` marks the **`fzzf_landing`** asset, and by hand with an `as_of` date.

1. `build`: landing gate (Great Expectations, bad rows quarantined) → `dbt build` into
   `DATA_DIR/build/warehouse.duckdb` → marts gate (critical expectations block) → atomic publish to
   `DATA_DIR/warehouse.duckdb`. One task, in the one-slot pool `fzzf_duckdb`: DuckDB takes one writer per file,
   and write-audit-publish stays in one process on one machine. One `dbt build` task rather than a cosmos
   task group: on the demo (`bench/dbt_orchestration.py`), cosmos rendered 28 tasks (one build per model) or 45
   (run + test per model) and took 1.8× and 6× as long in-process, before any per-task executor overhead; model
   and test results are in the task log and in `DATA_DIR/build/dbt/target/run_results.json`. A failed gate fails the task without retries and
   notifies the data engineers ("quality gate failed, nothing published"); the previous warehouse stays published.
2. `alerts`: every (government, year) that became **missing** since the last alert, once, as one digest grouped
   by province and level, plus a "resolved" line for reports that turned up. Channels: `FZZF_ALERT_URLS` or the
   apprise connection `fzzf_alerts`; with neither, the task log and `DATA_DIR/alerts/outbox.jsonl`.
   With `FZZF_OVERDUE_REMINDER=1`, also a separate reminder, once per report, of reports past due but still
   within their grace period.

* `as_of` (YYYY-MM-DD) decides which reports are due; default: the run's day in Beijing. An `as_of` other than
  today (Beijing) is a **what-if**: its warehouse goes to `DATA_DIR/whatif/<as_of>/warehouse.duckdb`, nothing is
  published, no alert is sent and the alert state is not touched.
* Without Airflow: `fzzf build --as-of 2027-06-01`, `fzzf alert`.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, Param, dag, task

from scrapers.orchestration.tasks import LANDING_ASSET, task_defaults

LANDING = Asset(LANDING_ASSET)

DEFAULT_ARGS = task_defaults(max_retry_delay=dt.timedelta(hours=1))


@dag(
    dag_id="fzzf_warehouse",
    schedule=[LANDING],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # builds queue on one DuckDB writer anyway; one run at a time keeps alerts in order
    default_args=DEFAULT_ARGS,
    tags=["fzzf", "warehouse", "alerts"],
    doc_md=__doc__,
    params={
        "as_of": Param(
            None, type=["null", "string"], format="date", description="judge due dates on this day (YYYY-MM-DD)"
        )
    },
)
def fzzf_warehouse():
    @task(pool="fzzf_duckdb", execution_timeout=dt.timedelta(hours=2))
    def build(params=None, dag_run=None) -> dict:
        """Gate, build, gate, publish."""
        from scrapers.orchestration.tasks import build_warehouse, is_what_if, resolve_as_of

        as_of = params.get("as_of")
        return build_warehouse(resolve_as_of(as_of, dag_run.run_after), what_if=is_what_if(as_of))

    @task(execution_timeout=dt.timedelta(minutes=30))
    def alerts(built: dict) -> str:
        """Newly missing reports once, resolved lines (nothing for a what-if build)."""
        from scrapers.orchestration.tasks import alert_missing

        return alert_missing(dt.date.fromisoformat(built["as_of"]), what_if=built.get("what_if", False))

    alerts(build())


fzzf_warehouse()
