"""How long each DAG file takes to parse, as the dag-processor sees it: Airflow already imported, the file cold.

Each sample is a fresh Python process that imports Airflow first (the dag-processor has it loaded), then times
``DagBag`` over one DAG file, which executes the file and everything it imports from ``scrapers``. The target is
well under a second per file: no dbt parse, no network, no database at import time.

    .venv/bin/python bench/dag_parse.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAGS = REPO / "dags"

PROBE = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
import airflow.sdk  # noqa: F401 - warm, as in the dag-processor
start = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "dags": sorted(bag.dag_ids), "errors": {k: str(v) for k, v in bag.import_errors.items()}}))
"""


def sample(path: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], env=env, capture_output=True, text=True, timeout=120, cwd=REPO
    )
    if proc.returncode != 0:
        raise SystemExit(f"probe failed for {path}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=float, default=1.0, help="fail (exit 1) when a file's median exceeds this")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="fzzf-dagparse-")
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
    )
    status = 0
    print(f"DAG file parse time, {args.runs} fresh processes each (Airflow pre-imported)")
    print(f"{'file':<24} {'dags':<18} {'median s':>9} {'min s':>7} {'max s':>7}")
    for path in sorted(DAGS.glob("*.py")):
        results = [sample(path, env) for _ in range(args.runs)]
        errors = results[0]["errors"]
        times = [r["seconds"] for r in results]
        median = statistics.median(times)
        print(
            f"{path.name:<24} {','.join(results[0]['dags']):<18} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f}"
        )
        if errors:
            print(f"  import errors: {errors}")
            status = 1
        if median > args.limit:
            print(f"  slower than {args.limit} s")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
