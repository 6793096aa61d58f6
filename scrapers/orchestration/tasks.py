"""The functions the Airflow tasks call, one per task: plain Python on top of the package, testable without Airflow.

DAG files stay wiring only; what a task does, what it returns (small, JSON-ready, for XCom) and when it fails
(and so is retried, or not) is decided here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from scrapers import clock, settings
from scrapers.alerts.failures import GateFailed
from scrapers.landing import new_run_id
from scrapers.registry.governments import load_registry

log = logging.getLogger("fzzf.orchestration")

LANDING_ASSET = "fzzf_landing"  # the Asset collect marks and warehouse is scheduled on


def task_defaults(max_retry_delay: dt.timedelta) -> dict[str, Any]:
    """``default_args`` shared by the DAGs: owner, retries with exponential backoff, the failure notifier."""
    import os

    from scrapers.alerts.failures import failure_notifier, recovery_notifier

    return {
        "owner": "data-eng",
        "retries": int(os.environ.get("FZZF_TASK_RETRIES", "3")),
        "retry_delay": dt.timedelta(seconds=int(os.environ.get("FZZF_RETRY_DELAY_SECONDS", "300"))),
        "retry_exponential_backoff": True,
        "max_retry_delay": max_retry_delay,
        "on_failure_callback": [failure_notifier()],  # Airflow notifier: DAG, task, run, log link to the channels
        "on_success_callback": [recovery_notifier()],  # the resolved line for a failure that was alerted
    }


class PortalFailed(RuntimeError):
    """Every source of one government failed this try; raised so that Airflow retries it with backoff."""


class BuildFailed(RuntimeError):
    """The warehouse build failed before its gates (dbt, or the build lock); nothing was published."""


class NothingLanded(RuntimeError):
    """No government could be crawled in this run: something is wrong beyond one portal."""


def _no_retry(exc_type: type[Exception], message: str) -> Exception:
    # A failed gate or an alert that cannot be delivered to any channel is not fixed by retrying in five minutes;
    # AirflowFailException tells Airflow so, and subclassing keeps the type the failure notice names.
    from airflow.sdk.exceptions import AirflowFailException

    return type(exc_type.__name__, (exc_type, AirflowFailException), {})(message)


def _crawl_registry():
    """The registry as the crawl reads it: the configured file, with the portals `fzzf registry resolve` found as
    home pages (the planning task and every mapped crawl task must see the same governments)."""
    from scrapers.registry.resolve.store import with_found_portals

    return with_found_portals(load_registry(settings.registry_path()), settings.data_dir())


def government_label(gov) -> str:
    """How a government is named in task labels and run reports: ``东城区 (110101)``, name first, then the id."""
    return f"{gov.name} ({gov.id})"


def plan_crawl(only: list[str] | None = None) -> list[dict[str, str]]:
    """One ``{government_id, run_id, government}`` per government to crawl (``government``: its label, which names
    the mapped task); all share one landing run id."""
    from scrapers.collect.contact import require_contact
    from scrapers.registry.record import record

    registry = _crawl_registry()
    # before any crawl task runs and before anything is written
    require_contact(settings.Politeness(), [u for g in registry.select(only or None) for u in g.crawl_urls])
    record(settings.data_dir(), registry)  # the warehouse build must know which registry the landing belongs to
    run_id = new_run_id()
    selected = registry.select(only or None)
    governments = [g for g in selected if g.crawl_urls]  # no URL known: nothing to crawl, coverage says unknown
    log.info("crawl plan: %d government(s), landing run %s; %d skipped (no list or report URL known)",
             len(governments), run_id, len(selected) - len(governments))  # fmt: skip
    return [{"government_id": g.id, "run_id": run_id, "government": government_label(g)} for g in governments]


def crawl_one(government_id: str, run_id: str, try_number: int = 1) -> dict[str, Any]:
    """Crawl one government into the landing zone and return its summary; raise PortalFailed when all failed."""
    from scrapers.collect.crawl import crawl_government

    registry = _crawl_registry()
    gov = registry.get(government_id)
    # Landing files are immutable and named by run: a retry that found a half-landed first try must not collide.
    landing_run = run_id if try_number <= 1 else new_run_id()
    result = crawl_government(gov, settings.data_dir(), settings.Politeness(), landing_run)
    label = government_label(gov)
    # "locked": another crawl of this government (say a CLI run) holds it; a later try will find it free.
    failed = result.status in ("failed", "locked")
    log.log(logging.WARNING if failed else logging.INFO, "%s", result.describe(label))
    if failed:
        exc = PortalFailed(f"{label}: {result.status}: {result.error}")
        exc.cause, exc.province = result.error, gov.province  # what the crawl digest names it by (its callback)
        raise exc
    return {
        "government_id": government_id,
        "run_id": landing_run,
        "status": result.status,
        "error": result.error,
        "seconds": round(result.seconds, 2),
        **{k: getattr(result, k) for k in ("pages_fetched", "requests", "reports_found", "reports_new")},
    }


def summarise_crawl(
    results: list[dict[str, Any] | None], planned: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """``crawl_summary``, logged; raise NothingLanded when none landed (the report task's crawl digest is its
    notice when governments failed, so the exception says so)."""
    summary = crawl_summary(results, planned)
    log.info("crawl summary: %d of %d government(s) crawled, %d failed, %d new or changed report(s)",
             summary["crawled"], summary["governments"], summary["failed"], summary["reports_new"])  # fmt: skip
    if not summary["crawled"]:  # also when the plan failed or named no government: no asset event for an empty crawl
        exc = NothingLanded(
            f"no government could be crawled ({summary['failed']} failed): check the network and the registry"
        )
        # the crawl digest names failed governments; a failed plan (``planned`` None) sent its own notice
        exc.said_elsewhere = bool(summary["failed_governments"]) or (planned is None and not results)
        raise exc
    return summary


def crawl_summary(results: list[dict[str, Any] | None], planned: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Counts over the mapped crawl results (None, or no entry, for a government whose task failed) and the
    governments of the plan that did not land."""
    done = [r for r in results if r]
    crawled = {r["government_id"] for r in done}
    planned = list(planned) if planned is not None else []
    missed = [p for p in planned if p["government_id"] not in crawled]
    failed = len(missed) if planned else len(results) - len(done)
    summary = {
        "governments": len(planned) if planned else len(results),
        "crawled": len(done),
        "failed": failed,
        "reports_new": sum(int(r.get("reports_new") or 0) for r in done),
        "run_ids": sorted({r["run_id"] for r in done}),
        # what the run report names: each failed government with the reason its last try gave
        "failed_governments": [
            {
                "government_id": p["government_id"],
                "government": p.get("government") or p["government_id"],
                "error": _last_crawl_error(p["government_id"], p["run_id"]),
            }
            for p in missed
        ],
    }
    return summary


class GovernmentsFailed(RuntimeError):
    """Some governments could not be crawled in this run; what did land was marked for the warehouse anyway."""


def report_crawl(summary: dict[str, Any] | None, run_id: str | None = None, crawled: list[str] | None = None) -> str:
    """The run's last word, whatever happened upstream: send the crawl-failure digest (newly failing, reminders due,
    resolved; nothing when nothing is owed), then fail (without retries: the crawl tasks had theirs) naming every
    government that could not be crawled, so a run with a failed government never shows as a clean success. Its
    failure sends no second notice: the digest is the notice. The asset was marked before, when anything landed.
    ``crawled``: the ids this run crawled (their failures recovered). ``summary`` None: the plan failed, nothing was crawled; the digest has only what earlier runs are owed."""
    from scrapers.alerts.crawl_digest import send_crawl_digest
    from scrapers.registry.governments import RegistryError

    failed = (summary or {}).get("failed_governments") or []
    try:  # provinces only group the digest: a registry that no longer reads must not stop it
        provinces = {g.id: g.province for g in _crawl_registry()}
    except (OSError, RegistryError) as exc:
        log.error("crawl digest without provinces: the registry cannot be read: %s", exc)
        provinces = {}
    governments = summary["governments"] if summary else None
    delivery = send_crawl_digest(settings.data_dir(), failed, governments, provinces, run_id=run_id, crawled=crawled)
    sent = "crawl digest: nothing owed" if delivery is None else f"crawl digest: {delivery.describe()}"
    if delivery is not None and not delivery.delivered:
        log.error("%s; it stays owed and goes with the next run's report", sent)
    if summary is None:  # fail the run (its leaf must not turn a failed plan into a success), without a notice
        exc = _no_retry(
            GovernmentsFailed, f"no crawl plan in this run (the plan task failed; its notice says why); {sent}"
        )
        exc.said_elsewhere = True
        raise exc
    head = f"{summary['crawled']} of {summary['governments']} government(s) crawled"
    if not failed and not summary.get("failed"):
        text = f"{head}, none failed; {summary['reports_new']} new or changed report(s); {sent}"
        log.info("%s", text)
        return text
    landed = (
        f"the warehouse builds from the {summary['crawled']} that landed"
        if summary["crawled"]
        else "nothing landed, the warehouse was not triggered"
    )
    lines = [f"{head}; {summary['failed']} failed ({landed}):"]
    lines += [f"  {f['government']}: {f['error'] or 'no crawl log (see its crawl task log)'}" for f in failed]
    lines.append(sent)
    exc = _no_retry(GovernmentsFailed, "\n".join(lines))
    exc.said_elsewhere = bool(failed)  # its failure callback sends nothing: the digest named them
    raise exc


def _last_crawl_error(government_id: str, run_id: str) -> str | None:
    """The error the last try of a government's crawl landed (``crawl_log``), at or after the planned run: a retry
    lands under a later run id (run ids sort by time)."""
    from scrapers.collect.state import read_jsonl_lenient
    from scrapers.landing import Landing

    landing = Landing(settings.data_dir())
    name = landing.state_path(government_id).stem  # landing files and state share the file-safe id
    tries = sorted(p for p in (landing.landing_dir / "crawl_log").glob(f"*/{name}.jsonl") if p.parent.name >= run_id)
    for path in reversed(tries):
        rows = read_jsonl_lenient(path)
        errors = [r["error"] for r in rows if r.get("error") and r.get("government_id") == government_id]
        if errors:
            return errors[0]
    return None


def plan_resolve() -> list[dict[str, str]]:
    """One ``{province}`` per province of the registry: each resolve task walks one province down."""
    registry = load_registry(settings.registry_path())
    return [{"province": g.province} for g in registry if g.level == "province"]


def resolve_province(province: str) -> dict[str, Any]:
    """Find and verify the portals of one province's governments (``fzzf registry resolve`` for its subtree)."""
    from scrapers.registry.resolve.run import resolve_registry

    registry = load_registry(settings.registry_path())
    outcome = resolve_registry(registry, settings.data_dir(), settings.Politeness(), province=province,
                               report=log.info)  # fmt: skip
    log.info("%s", outcome.describe())
    return {"province": province, **dict(outcome.counts())}


def resolve_as_of(param: str | None, run_after: dt.datetime | None) -> dt.date:
    """The day the build judges due dates by: the ``as_of`` parameter, else the run's day in Beijing."""
    if param:
        return dt.date.fromisoformat(str(param))
    return clock.today(run_after)


def is_what_if(param: str | None) -> bool:
    """A run given an ``as_of`` other than today (Beijing) is a what-if; a scheduled run (no parameter) never is,
    even when it starts after midnight: its day is the day it was scheduled for."""
    return bool(param) and clock.is_what_if(dt.date.fromisoformat(str(param)))


def build_warehouse(as_of: dt.date, what_if: bool = False) -> dict[str, Any]:
    """Landing gate, dbt build, marts gate, publish; raise a no-retry GateFailed when a gate blocked publishing.

    A what-if build writes its own warehouse under ``DATA_DIR/whatif/<as_of>/`` and never fails the task for a
    gate (its result is the answer to the question asked); the alerts task then sends nothing."""
    from scrapers import logs
    from scrapers.warehouse.build import run_build

    logs.quiet_libraries()  # one line per build step in the task log, not GX's hundreds of INFO lines
    result = run_build(
        data_dir=settings.data_dir(),
        registry_path=settings.explicit_registry_path(),
        as_of=as_of,
        send_alerts=False,  # the DAG's own alerts task sends them, so a failed send can be retried alone
        what_if=what_if,
    )
    text = result.describe()
    if what_if and result.failed_step not in ("lock", "registry"):
        log.info("%s", text)
        return {"as_of": as_of.isoformat(), "published": False, "what_if": True, "summary": text}
    # The summary goes to the task log once, here; the exception (Airflow logs it with its traceback, the failure
    # alert quotes it) is its one-line headline.
    log.log(logging.INFO if result.published else logging.ERROR, "%s", text)
    headline = result.headline()
    if result.published:
        pass
    elif result.failed_step == "lock":  # another build was running: worth a retry
        raise BuildFailed(headline)
    elif result.failed_step == "registry":  # the registry would drop landed governments: fix it, do not retry
        raise _no_retry(BuildFailed, headline)
    elif "gate" in (result.failed_step or ""):
        raise _no_retry(GateFailed, headline)
    else:  # dbt failed on these inputs: a retry would fail the same way
        raise _no_retry(BuildFailed, headline)
    return {"as_of": as_of.isoformat(), "published": True, "what_if": False, "summary": text}


class AlertsNotDelivered(RuntimeError):
    """No configured channel took the digest; it stays pending and goes out on the next run."""


def alert_missing(as_of: dt.date, what_if: bool = False) -> str:
    """Send the missing-report digest, the weekly "cannot verify" digest when due (and, with
    ``FZZF_OVERDUE_REMINDER=1``, the overdue reminder); fail the task when no channel took a message (the state keeps
    it pending for the next run). A what-if sends nothing."""
    from scrapers.alerts.missing import send_missing_alerts, send_overdue_reminder
    from scrapers.alerts.unknown import send_unknown_digest

    if what_if:
        text = f"what-if build as of {as_of}: no alerts sent, alert state untouched"
        log.info("%s", text)
        return text
    outcomes = [send_missing_alerts(settings.data_dir(), as_of), send_unknown_digest(settings.data_dir(), as_of)]
    if os.environ.get("FZZF_OVERDUE_REMINDER", "").strip().lower() in ("1", "true", "yes", "on"):
        outcomes.append(send_overdue_reminder(settings.data_dir(), as_of))
    text = "\n".join(o.describe() for o in outcomes)
    if not all(o.delivered for o in outcomes):
        raise AlertsNotDelivered(text)
    return text
