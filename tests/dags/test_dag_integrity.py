"""DAG integrity: the DAG files import cleanly and fast, and every DAG has docs, tags, an owner, retries and limits."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_IDS = {"fzzf_collect", "fzzf_warehouse", "fzzf_resolve"}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors_and_both_dags_present(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) >= DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_dag_conventions(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.doc_md and dag.doc_md.lstrip().startswith(f"### {dag_id}")
    assert "fzzf" in dag.tags and len(dag.tags) >= 2
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    for task in dag.tasks:
        assert task.owner == "data-eng", task.task_id
        assert task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.on_failure_callback, task.task_id
        assert task.on_success_callback, task.task_id  # the resolved line of a failure that was alerted
        assert task.execution_timeout is not None or task.task_id in ("plan", "landed"), task.task_id


def test_collect_maps_one_task_per_government_and_marks_the_landing_asset(dagbag):
    dag = dagbag.dags["fzzf_collect"]
    crawl = dag.get_task("crawl")
    assert type(crawl).__name__.endswith("MappedOperator")
    assert crawl.partial_kwargs.get("max_active_tis_per_dag")
    landed = dag.get_task("landed")
    assert landed.trigger_rule == "all_done"  # one broken portal must not stop the asset event
    assert [o.name for o in landed.outlets] == ["fzzf_landing"]
    report = dag.get_task("report")
    assert report.trigger_rule == "all_done"  # the crawl digest goes out also when landed failed (nothing landed)
    assert {t.task_id for t in report.upstream_list} == {"plan", "crawl", "landed"}
    assert "only" in dag.params


def test_warehouse_is_triggered_by_the_asset_and_serializes_duckdb_writers(dagbag):
    dag = dagbag.dags["fzzf_warehouse"]
    assert [a.name for a in dag.timetable.asset_condition.objects] == ["fzzf_landing"]
    assert dag.get_task("build").pool == "fzzf_duckdb"
    assert "as_of" in dag.params
    assert [t.task_id for t in dag.get_task("build").downstream_list] == ["alerts"]


def test_resolve_is_monthly_and_maps_one_task_per_province(dagbag):
    dag = dagbag.dags["fzzf_resolve"]
    assert dag.timetable.expression == "0 0 1 * *"  # @monthly
    resolve = dag.get_task("resolve")
    assert type(resolve).__name__.endswith("MappedOperator")
    assert resolve.partial_kwargs.get("max_active_tis_per_dag")
    assert [t.task_id for t in dag.get_task("plan").downstream_list] == ["resolve"]


def test_schedule_is_configurable(tmp_path):
    code = (
        "from airflow.dag_processing.dagbag import DagBag; "
        f"b = DagBag(dag_folder={str(REPO / 'dags' / 'fzzf_collect.py')!r}); "
        "print(b.dags['fzzf_collect'].timetable.expression)"
    )
    import os

    env = dict(os.environ, FZZF_COLLECT_SCHEDULE="0 3 * * *")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "0 3 * * *" in out.stdout


def test_dag_files_parse_well_under_a_second():
    from airflow.dag_processing.dagbag import DagBag

    for path in sorted((REPO / "dags").glob("*.py")):
        start = time.perf_counter()
        DagBag(dag_folder=str(path))
        assert time.perf_counter() - start < 0.5, path.name


def test_cosmos_is_a_bench_extra_that_nothing_the_dags_run_imports():
    """astronomer-cosmos, installed, registers an Airflow plugin whose listeners run in every task (and warn about
    OpenLineage in every DAG log); only bench/dbt_orchestration.py uses it, so only the bench extra has it."""
    import re
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name = re.compile(r"^astronomer-cosmos\b")
    assert not [d for d in project["dependencies"] if name.match(d)]
    for extra, deps in project["optional-dependencies"].items():
        assert bool([d for d in deps if name.match(d)]) == (extra == "bench"), extra
    importing = re.compile(r"^\s*(?:import cosmos|from cosmos\b)", re.MULTILINE)
    users = [p for top in ("scrapers", "dags", "tests") for p in (REPO / top).rglob("*.py")
             if importing.search(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert users == []
    bench = (REPO / "Makefile").read_text(encoding="utf-8").split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "pip install" in bench and ".[dev,bench]" in bench
