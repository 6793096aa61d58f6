"""Write-audit-publish against a hostile data directory (issue 24): dbt reads exactly the landing files the gate
checked, a path with an apostrophe builds, and a torn line in gx/validation_runs.jsonl stops nothing.
Real landing files, the real gate, real dbt on real DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest

from scrapers import gate
from scrapers.demo.seeds import SEED_DIR
from scrapers.gate import read_validation_runs, record_validation, runs_path
from scrapers.warehouse.build import run_build
from scrapers.warehouse.paths import published_path

from .helpers import land, query, record, write_registry

pytestmark = pytest.mark.gates

AS_OF = dt.date(2024, 5, 1)


def _torn_line() -> bytes:
    """A validation record cut inside a multi-byte character, as a crash mid-append leaves it."""
    line = json.dumps({"suite": "landing_reports", "failures": ["门禁失败"]}, ensure_ascii=False).encode()
    return line[: line.index("门".encode()) + 1]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile") / "o'brien's data"  # an apostrophe in every path dbt's SQL names
    data.mkdir()
    registry = write_registry(data.parent / "registry.yaml", ["g1", "g2", "g3"], reports_from=2022)
    land(data, [record("g1", "003"), record("g2", "004")])
    runs_path(data).parent.mkdir(parents=True)
    runs_path(data).write_bytes(_torn_line())  # a crash tore the last line of an earlier build

    # lands while the build runs, after the gate checked the others: a body full of page chrome it would hold back
    late = record("g3", "001", body=next(SEED_DIR.glob("001_*.txt")).read_text(encoding="utf-8"))
    real_check = gate.check_landing

    def check_then_land(data_dir, as_of):
        result = real_check(data_dir, as_of)
        land(data_dir, [late])
        return result

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gate, "check_landing", check_then_land)
        first = run_build(data, registry, AS_OF, send_alerts=False)
    first_rows = query(published_path(data), "select record_id from marts.report_versions") if first.published else []
    second = run_build(data, registry, AS_OF, send_alerts=False)
    return {"data": data, "first": first, "second": second, "first_rows": first_rows, "late": late["record_id"]}


def test_an_apostrophe_in_the_data_directory_path_builds_and_publishes(builds):
    assert "'" in str(builds["data"])
    assert builds["first"].published, builds["first"].describe()
    assert builds["second"].published, builds["second"].describe()


def test_dbt_reads_exactly_the_files_the_landing_gate_checked(builds):
    # the file landed after the gate is not in the first build, gated or not
    assert builds["first_rows"] and (builds["late"],) not in builds["first_rows"]
    # the next build's gate checks it and holds it back; it never reaches the marts unchecked
    wh = published_path(builds["data"])
    assert query(wh, f"select count(*) from marts.quarantine where record_id = '{builds['late']}'") == [(1,)]
    assert query(wh, f"select count(*) from marts.report_versions where record_id = '{builds['late']}'") == [(0,)]


def test_a_torn_validation_line_is_skipped_not_fatal(builds):
    runs = read_validation_runs(builds["data"])
    assert runs and all(r.get("suite") for r in runs)
    (loaded,) = query(published_path(builds["data"]), "select count(*) from marts.validation_runs")[0:1]
    assert loaded[0] == len(runs)


def test_a_short_write_is_finished_or_raised_and_never_glues_two_records(tmp_path):
    record_validation(tmp_path, suite="first", success=True, evaluated=1, failed=0, as_of=None)
    # A file-size limit makes write() take only part of the next record (a real short write, no mock).
    code = textwrap.dedent(
        """
        import resource, signal, sys
        from pathlib import Path
        from scrapers.gate.runs import record_validation, runs_path
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        data = Path(sys.argv[1])
        limit = runs_path(data).stat().st_size + 30
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        try:
            record_validation(data, suite="cut", success=True, evaluated=1, failed=0, as_of=None)
        except OSError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr[-2000:])  # said, not silently torn
    record_validation(tmp_path, suite="after", success=True, evaluated=1, failed=0, as_of=None)
    assert [r["suite"] for r in read_validation_runs(tmp_path)] == ["first", "after"]
