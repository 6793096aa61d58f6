"""A landing made while ``fzzf_warehouse`` is paused still ends in a warehouse run (issue 22, item 2).

Real ``dag.test()`` of the collect DAG against the demo portal, on the session's SQLite metadata DB; what the
scheduler would do next is read from ``DagModel.dags_needing_dagruns``, the query it creates runs from.
"""

from __future__ import annotations

import pytest

from .conftest import REPO, load_dag

pytestmark = pytest.mark.integration


def _warehouse_queue(session):
    from airflow.models.asset import AssetDagRunQueue
    from sqlalchemy import select

    return session.scalars(select(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == "fzzf_warehouse")).all()


def test_a_landing_made_while_the_warehouse_is_paused_is_queued_again(pipeline_env):
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.asset import AssetEvent
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from scrapers.orchestration.landing_queue import requeue_lost_landing, unpause_pair

    # Both DAGs in the metadata DB, the warehouse paused (as `make demo` and Airflow's default leave it).
    # Both DAGs in the metadata DB, the warehouse paused (as `make demo` and Airflow's default leave it). Parsed the
    # way dag.test() parses them (the dags-folder bundle), so the collect run below finds them as they are.
    DagBundlesManager().sync_bundles_to_db()
    dags = str(REPO / "dags")
    sync_bag_to_db(BundleDagBag(dag_folder=dags, bundle_path=dags, bundle_name="dags-folder"), "dags-folder", None)
    with create_session() as session:
        session.get(DagModel, "fzzf_warehouse").is_paused = True
        for row in _warehouse_queue(session):
            session.delete(row)

    collect = load_dag("fzzf_collect").test()
    assert collect.state == "success"

    with create_session() as session:
        event = session.scalar(select(AssetEvent).order_by(AssetEvent.timestamp.desc()).limit(1))
        assert event.source_run_id == collect.run_id
        # What Airflow 3.3 does by itself: nothing is queued for a paused consumer, and unpausing it later does not
        # bring the event back, so no warehouse run would ever follow this landing.
        assert _warehouse_queue(session) == []

        assert "fzzf_warehouse" in unpause_pair(session)
        assert requeue_lost_landing(session) == event.id
        assert requeue_lost_landing(session) is None  # queued once, not once per start
        _query, triggered = DagModel.dags_needing_dagruns(session)
        assert "fzzf_warehouse" in triggered  # the scheduler's next loop creates the asset-triggered run
        for row in _warehouse_queue(session):
            session.delete(row)
