"""
### fzzf_collect: crawl every government's portal for 法治政府建设 annual reports

One mapped `crawl` task per government in the registry, so a slow or broken portal holds only its own task:
the others go on, and Airflow retries the broken one with exponential backoff. Each task lands immutable
files under `DATA_DIR/landing/*/<run_id>/<government_id>.jsonl`; per-host politeness (one request at a time and
the configured delay per host) is held by the crawler across processes with a lock file per host under
`DATA_DIR/locks/`, so parallel tasks on any worker that shares the data directory never hammer one portal.

When at least one government was crawled, `landed` marks the **`fzzf_landing`** asset, which triggers
`fzzf_warehouse`: the warehouse builds from what did land. Then `report` (whatever happened upstream) sends one
crawl-failure digest per channel (newly failing, reminders due, resolved; the crawl tasks' callbacks only record)
and fails the run, naming each government that could not be crawled and why, so a run with a failed government
never shows as a clean success.

* Schedule: `FZZF_COLLECT_SCHEDULE` (cron or preset, default `@daily`; `none`: manual only); no catch-up.
* Parameter `only`: crawl only these government ids (manual runs).
* Everything here runs without Airflow too: `fzzf crawl [--only ID ...]`.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Asset, Param, dag, get_current_context, task

from scrapers.orchestration.tasks import LANDING_ASSET, task_defaults

LANDING = Asset(LANDING_ASSET)
# "none" (or empty) leaves the DAG to manual and API triggers, e.g. where an outside scheduler owns the timing.
SCHEDULE = os.environ.get("FZZF_COLLECT_SCHEDULE", "@daily").strip()

DEFAULT_ARGS = task_defaults(max_retry_delay=dt.timedelta(hours=2))


@dag(
    dag_id="fzzf_collect",
    schedule=None if SCHEDULE.lower() in ("", "none") else SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # two crawls of the same portals at once would only double the load on them
    default_args=DEFAULT_ARGS,
    tags=["fzzf", "collect"],
    doc_md=__doc__,
    params={"only": Param([], type="array", items={"type": "string"}, description="government ids; empty: all")},
)
def fzzf_collect():
    @task
    def plan(params=None) -> list[dict]:
        """One entry per government to crawl, all sharing one landing run id."""
        from scrapers.orchestration.tasks import plan_crawl

        return plan_crawl(params.get("only") or None)

    @task(
        map_index_template="{{ government }}",  # 东城区 (110101): the grid and the failure alert name it
        max_active_tis_per_dag=int(os.environ.get("FZZF_CRAWL_CONCURRENCY", "8")),
        execution_timeout=dt.timedelta(hours=1),
    )
    def crawl(government_id: str, run_id: str, government: str = "", ti=None) -> dict:
        """Crawl one government; fails (and so retries) only when every source of it failed."""
        from scrapers.orchestration.tasks import crawl_one

        get_current_context()["government"] = government or government_id
        return crawl_one(government_id, run_id, try_number=ti.try_number)

    @task(trigger_rule="all_done", outlets=[LANDING])
    def landed(results, planned, outlet_events=None) -> dict:
        """Mark the landing asset when anything landed; fail the run when no government could be crawled."""
        from scrapers.orchestration.tasks import summarise_crawl

        # None when upstream failed (all_done still runs this): summarise_crawl says why, once
        summary = summarise_crawl(list(results or []), None if planned is None else list(planned))
        outlet_events[LANDING].extra = summary
        return summary

    # all_done: the digest goes out whatever happened upstream, also when landed failed (nothing landed); so it
    # reads the crawl results itself rather than landed's summary
    @task(trigger_rule="all_done", execution_timeout=dt.timedelta(minutes=5))
    def report(results, planned, run_id=None) -> str:
        """Send the crawl-failure digest; fail the run, naming them, when any government could not be crawled."""
        from scrapers.orchestration.tasks import crawl_summary, report_crawl

        if planned is None:  # the plan failed (its own notice says so): send only what earlier runs are owed
            return report_crawl(None, run_id)
        results = [r for r in results or [] if r]
        return report_crawl(crawl_summary(results, list(planned)), run_id, [r["government_id"] for r in results])

    planned = plan()
    crawled = crawl.expand_kwargs(planned)
    landed(crawled, planned) >> report(crawled, planned)


fzzf_collect()
