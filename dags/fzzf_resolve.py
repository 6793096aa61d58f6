"""
### fzzf_resolve: find and verify each government's portal, once a month

One mapped `resolve` task per province: from the provincial portal (gov-site-list, or the registry) down to its
prefectures and counties, by the links each portal carries to its subordinate governments' sites, then by host
guesses (`www.<pinyin>.gov.cn`). Every candidate is proven by its site identity code and site name before it is kept
in `DATA_DIR/registry/resolved.json`, which the next `fzzf_collect` run crawls from; portals found earlier are
verified again after 30 days. What could not be decided (none or two verified sites) is listed in
`DATA_DIR/registry/resolve_review.yaml` for a person. Per-host politeness is the crawler's (robots.txt, delay,
lock files under `DATA_DIR/locks/`), so provinces run side by side without hammering a shared host.

* Schedule: `FZZF_RESOLVE_SCHEDULE` (cron or preset, default `@monthly`; `none`: manual only); no catch-up.
* Without Airflow: `fzzf registry resolve [--only ID ...] [--write OUT]`.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import dag, task

from scrapers.orchestration.tasks import task_defaults

SCHEDULE = os.environ.get("FZZF_RESOLVE_SCHEDULE", "@monthly").strip()

DEFAULT_ARGS = task_defaults(max_retry_delay=dt.timedelta(hours=6))


@dag(
    dag_id="fzzf_resolve",
    schedule=None if SCHEDULE.lower() in ("", "none") else SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["fzzf", "registry"],
    doc_md=__doc__,
)
def fzzf_resolve():
    @task
    def plan() -> list[dict]:
        """One entry per province of the registry."""
        from scrapers.orchestration.tasks import plan_resolve

        return plan_resolve()

    @task(
        map_index_template="{{ province }}",
        max_active_tis_per_dag=int(os.environ.get("FZZF_RESOLVE_CONCURRENCY", "4")),
        execution_timeout=dt.timedelta(hours=6),
    )
    def resolve(province: str) -> dict:
        """Find and verify the portals of one province's governments; counts by outcome."""
        from scrapers.orchestration.tasks import resolve_province

        return resolve_province(province)

    resolve.expand_kwargs(plan())


fzzf_resolve()
