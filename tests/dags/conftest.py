"""Fixtures for real in-process DAG runs (``dag.test()``) against the demo portal, on the session's SQLite DB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pipeline_env(tmp_path, monkeypatch, airflow_db):
    """Data dir, demo portal registry and alert channel for one pipeline run; yields (data_dir, portal, receiver)."""
    from alerts.receiver import Receiver

    from scrapers.demo.portal import DemoPortal

    data_dir = tmp_path / "data"
    with DemoPortal() as portal, Receiver() as receiver:
        registry = tmp_path / "registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        monkeypatch.setenv("FZZF_DATA_DIR", str(data_dir))
        monkeypatch.setenv("FZZF_REGISTRY", str(registry))
        monkeypatch.setenv("FZZF_ALLOW_PRIVATE_HOSTS", "1")
        monkeypatch.setenv("FZZF_DELAY", "0")
        monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
        # dag.test() honours retry delays for real; a failure here should show at once, not in five minutes.
        monkeypatch.setenv("FZZF_TASK_RETRIES", "0")
        yield data_dir, portal, receiver


def load_dag(dag_id: str):
    """Parse the DAG file the way Airflow does (env read at parse time), from the repo's dags/ folder."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / f"{dag_id}.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def today_in_beijing() -> dt.date:
    from scrapers.orchestration.tasks import resolve_as_of

    return resolve_as_of(None, None)


def unpause(dag_id: str) -> None:
    """Put the DAG files in the metadata DB, as the DAG processor would, and unpause ``dag_id``: an asset event queues
    a run only for unpaused DAGs (Airflow creates them paused)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        manager = DagBundlesManager()
        manager.sync_bundles_to_db(session=session)
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
    with create_session() as session:
        session.query(DagModel).filter(DagModel.dag_id == dag_id).update({DagModel.is_paused: False})
