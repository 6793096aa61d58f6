"""One `dbt build` task or astronomer-cosmos's DbtTaskGroup (a task per model and per test)? Measured on the demo.

Lands the demo portal's reports, then times, on the same landing files:

1. ``run_dbt`` in-process (what the warehouse DAG's ``build`` task calls);
2. a DAG with one task calling ``run_dbt``, under ``dag.test()``;
3. DAGs with a cosmos ``DbtTaskGroup`` (LoadMode.DBT_MANIFEST, so no dbt parse at DAG import), tests after each
   model (AFTER_EACH) or one ``dbt build`` per model (BUILD), under ``dag.test()``, with DAG-file parse time and
   task count.

``dag.test()`` runs tasks in one process, so (2) and (3) leave out what a real executor adds per task (a process, an
Execution API round trip, a Celery message); the task count says how often (3) would pay it.

    .venv/bin/pip install -e '.[dev,bench]'   # astronomer-cosmos is the bench extra, not a runtime dependency
    .venv/bin/python bench/dbt_orchestration.py
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Once per run, even if this module is imported again (dbt's worker processes re-import __main__).
WORK = Path(os.environ.get("FZZF_BENCH_WORK") or tempfile.mkdtemp(prefix="fzzf-dbt-orch-"))
os.environ["FZZF_BENCH_WORK"] = str(WORK)
DAGS = WORK / "dags"
os.environ.update(
    AIRFLOW_HOME=str(WORK / "airflow"),
    AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{WORK / 'airflow.db'}",
    AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(48),
    AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
    DBT_SEND_ANONYMOUS_USAGE_STATS="False",
    FZZF_DATA_DIR=str(WORK / "data"),
    FZZF_ALLOW_PRIVATE_HOSTS="1",
    FZZF_DELAY="0",
)

SINGLE_DAG = """
import datetime as dt, os
from pathlib import Path
from airflow.sdk import dag, task

@dag(dag_id="bench_single", schedule=None, start_date=dt.datetime(2026, 1, 1))
def bench_single():
    @task
    def dbt_build():
        from scrapers.warehouse.dbt_runner import run_dbt
        data = Path(os.environ["FZZF_DATA_DIR"])
        res = run_dbt(data, Path(os.environ["FZZF_REGISTRY"]), dt.date.fromisoformat(os.environ["BENCH_AS_OF"]),
                      data / "build" / "warehouse.duckdb")
        assert res.success, res.describe()
    dbt_build()

bench_single()
"""

COSMOS_DAG = """
import datetime as dt, os
from pathlib import Path
from airflow.sdk import dag
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from scrapers.settings import DBT_PROJECT_DIR
from scrapers.warehouse.dbt_runner import dbt_vars

DATA = Path(os.environ["FZZF_DATA_DIR"])
BEHAVIOR = "AFTER_EACH"

@dag(dag_id="bench_cosmos_" + BEHAVIOR.lower(), schedule=None, start_date=dt.datetime(2026, 1, 1))
def bench_cosmos():
    DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=os.environ["BENCH_MANIFEST"],
            dbt_vars=dbt_vars(DATA, Path(os.environ["FZZF_REGISTRY"]), dt.date.fromisoformat(os.environ["BENCH_AS_OF"])),
            env_vars={"FZZF_WAREHOUSE_PATH": str(DATA / "build" / "warehouse.duckdb")},
        ),
        profile_config=ProfileConfig(
            profile_name="fzzf", target_name="build", profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior[BEHAVIOR],
            # Relationship tests have two parents; attached to one, they run before the other exists and fail.
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={"install_deps": False},
    )

bench_cosmos()
"""


def main() -> int:
    import importlib.util

    if importlib.util.find_spec("cosmos") is None:
        print("bench/dbt_orchestration.py needs astronomer-cosmos, the bench extra: "
              ".venv/bin/pip install -e '.[dev,bench]' (make bench installs it)", file=sys.stderr)  # fmt: skip
        return 2
    import datetime as dt

    from scrapers.collect.crawl import run_crawl
    from scrapers.demo.portal import DemoPortal
    from scrapers.registry.governments import load_registry
    from scrapers.settings import Politeness
    from scrapers.warehouse.dbt_runner import run_dbt

    data = Path(os.environ["FZZF_DATA_DIR"])
    as_of = dt.date.today()
    with DemoPortal() as portal:
        registry = WORK / "registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        summary = run_crawl(list(load_registry(registry)), data, Politeness())
    print(summary.describe().splitlines()[0])
    os.environ.update(FZZF_REGISTRY=str(registry), BENCH_AS_OF=as_of.isoformat())
    staged = data / "build" / "warehouse.duckdb"

    parse = run_dbt(data, registry, as_of, staged, command="parse")
    manifest = data / "build" / "dbt" / "target" / "manifest.json"
    assert parse.success and manifest.exists(), parse.describe()
    os.environ["BENCH_MANIFEST"] = str(manifest)
    print(f"dbt parse (manifest for cosmos): {parse.seconds:.1f} s")

    for label in ("cold", "warm"):
        staged.unlink(missing_ok=True)
        res = run_dbt(data, registry, as_of, staged)
        assert res.success, res.describe()
        print(f"run_dbt build in-process ({label}): {res.seconds:.1f} s, nodes {res.counts}")

    DAGS.mkdir()
    (DAGS / "bench_single.py").write_text(SINGLE_DAG, encoding="utf-8")
    # AFTER_EACH: a run task and a test task per model; BUILD: one `dbt build --select model` task per model.
    for behavior in ("AFTER_EACH", "BUILD"):
        text = COSMOS_DAG.replace('BEHAVIOR = "AFTER_EACH"', f'BEHAVIOR = "{behavior}"')
        (DAGS / f"bench_cosmos_{behavior.lower()}.py").write_text(text, encoding="utf-8")
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True, timeout=600)

    from airflow.dag_processing.dagbag import DagBag

    for dag_id in ("bench_single", "bench_cosmos_after_each", "bench_cosmos_build"):
        start = time.perf_counter()
        bag = DagBag(dag_folder=str(DAGS / f"{dag_id}.py"))
        parse_s = time.perf_counter() - start
        assert not bag.import_errors, bag.import_errors
        dag = bag.dags[dag_id]
        staged.unlink(missing_ok=True)
        start = time.perf_counter()
        run = dag.test()
        run_s = time.perf_counter() - start
        print(
            f"{dag_id}: {len(dag.tasks)} task(s), DAG file parse {parse_s:.2f} s, dag.test() {run_s:.1f} s, {run.state}"
        )
    print(f"(work dir {WORK})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
