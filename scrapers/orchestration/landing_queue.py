"""fzzf_collect and fzzf_warehouse work as a pair: a landing event must always end in a warehouse run.

Airflow 3.3 queues an asset event (``AssetDagRunQueue``) only for consumers that exist and are unpaused when the
event is made (``AssetManager.register_asset_change``), and never looks at it again. So a landing made while
``fzzf_warehouse`` was paused, or not yet parsed, builds nothing until the next landing. ``fzzf airflow`` runs this
before the scheduler starts: both DAGs unpaused together, and the newest landing that no warehouse run followed is
queued as the scheduler would have queued it. ``python -m scrapers.orchestration.landing_queue`` (Airflow's env).
"""

from __future__ import annotations

from scrapers.orchestration.tasks import LANDING_ASSET

COLLECT_DAG, WAREHOUSE_DAG = "fzzf_collect", "fzzf_warehouse"


def unpause_pair(session) -> list[str]:
    """Unpause whichever of the two DAGs is paused; returns their ids. DAGs not parsed yet are left alone."""
    from airflow.models.dag import DagModel
    from sqlalchemy import select

    paused = session.scalars(
        select(DagModel).where(DagModel.dag_id.in_((COLLECT_DAG, WAREHOUSE_DAG)), DagModel.is_paused.is_(True))
    ).all()
    for dag in paused:
        dag.is_paused = False
    session.flush()
    return sorted(d.dag_id for d in paused)


def requeue_lost_landing(session) -> int | None:
    """Queue the warehouse for the newest landing event when nothing else will build it; returns that event's id.

    Built already: a warehouse run came after the event (asset-triggered or by hand: each build reads every landed
    file), or the event is still queued for the warehouse.
    """
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from sqlalchemy import func, select

    if session.get(DagModel, WAREHOUSE_DAG) is None:
        return None  # not parsed yet: the next start queues it
    asset_id = session.scalar(select(AssetModel.id).where(AssetModel.name == LANDING_ASSET))
    if asset_id is None:
        return None
    newest = session.scalar(
        select(AssetEvent).where(AssetEvent.asset_id == asset_id).order_by(AssetEvent.timestamp.desc()).limit(1)
    )
    if newest is None:
        return None
    queued = session.scalar(
        select(func.count())
        .select_from(AssetDagRunQueue)
        .where(AssetDagRunQueue.asset_id == asset_id, AssetDagRunQueue.target_dag_id == WAREHOUSE_DAG)
    )
    followed = session.scalar(
        select(func.count())
        .select_from(DagRun)
        .where(DagRun.dag_id == WAREHOUSE_DAG, DagRun.run_after >= newest.timestamp)
    )
    if queued or followed:
        return None
    session.add(AssetDagRunQueue(asset_id=asset_id, target_dag_id=WAREHOUSE_DAG))
    session.flush()
    return newest.id


def main() -> int:
    from airflow.utils.session import create_session

    with create_session() as session:
        unpaused = unpause_pair(session)
        event = requeue_lost_landing(session)
    if unpaused:
        print(f"unpaused {', '.join(unpaused)}: the two DAGs run as a pair", flush=True)
    if event is not None:
        print(f"queued {WAREHOUSE_DAG} for landing event {event}, which no warehouse run followed", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
