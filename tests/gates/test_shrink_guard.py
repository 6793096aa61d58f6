"""The shrink gate on real `fzzf build` runs: a data directory never crawled builds nothing, a build that lost its
landing is held (the published file byte-identical, the data engineers alerted over a real webhook), and
`--allow-shrink` publishes it."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import shutil

import pytest
from alerts.receiver import Receiver

from scrapers import cli
from scrapers.alerts.failures import GateFailed
from scrapers.orchestration.tasks import build_warehouse
from scrapers.warehouse.paths import published_path, staged_path

from .helpers import land, query, record, write_registry

pytestmark = pytest.mark.gates

AS_OF = dt.date(2024, 5, 1)
GOVS = ["g1", "g2", "g3", "g4"]


def fzzf(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shrink")
    out: dict = {}
    with pytest.MonkeyPatch.context() as mp, Receiver() as receiver:
        mp.setenv("FZZF_TODAY", AS_OF.isoformat())  # as of a fixed day, and not a what-if
        mp.setenv("FZZF_ALERT_URLS", receiver.url)
        mp.delenv("FZZF_ALLOW_SHRINK", raising=False)

        empty = tmp / "empty"
        empty.mkdir()
        registry = write_registry(tmp / "registry.yaml", GOVS, reports_from=2022)
        out["empty"] = fzzf("build", "--data-dir", str(empty), "--registry", str(registry))
        out["empty_dir"] = empty

        data = tmp / "data"
        year_2023 = {"report_year": 2023, "publish_date": dt.date(2024, 3, 20)}
        land(data, [record("g1", "003"), record("g2", "004"), record("g3", "003", **year_2023), record("g4", "004")])
        out["first"] = fzzf("build", "--data-dir", str(data), "--registry", str(registry), "--no-alerts")
        out["first_sha"] = sha(published_path(data))
        out["posts_before"] = len(receiver.posts)

        (data / "landing").rename(tmp / "landing.aside")  # as the issue did it
        out["held"] = fzzf("build", "--data-dir", str(data), "--registry", str(registry), "--no-alerts")
        out["held_sha"] = sha(published_path(data))
        out["posts"] = [p["json"] for p in receiver.posts[out["posts_before"] :]]
        outbox = (data / "alerts" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
        out["outbox"] = [json.loads(line) for line in outbox]

        # the DAG's build task (what fzzf_warehouse runs): held as a no-retry gate failure, then FZZF_ALLOW_SHRINK
        mp.setenv("FZZF_DATA_DIR", str(data))
        mp.setenv("FZZF_REGISTRY", str(registry))
        with pytest.raises(GateFailed) as out["task_held"]:
            build_warehouse(AS_OF)
        out["task_held_sha"] = sha(published_path(data))
        mp.setenv("FZZF_ALLOW_SHRINK", "1")
        out["task_allowed"] = build_warehouse(AS_OF)
        out["task_allowed_reports"] = query(published_path(data), "select count(*) from marts.annual_reports")
        mp.delenv("FZZF_ALLOW_SHRINK")

        shutil.rmtree(data / "landing")  # the empty one the held builds made
        (tmp / "landing.aside").rename(data / "landing")  # back: the build grows again
        out["restored"] = fzzf("build", "--data-dir", str(data), "--registry", str(registry), "--no-alerts")
        out["restored_reports"] = query(published_path(data), "select count(*) from marts.annual_reports")
        (data / "landing").rename(tmp / "landing.aside")
        args = ("build", "--data-dir", str(data), "--registry", str(registry), "--no-alerts", "--allow-shrink")
        out["allowed"] = fzzf(*args)
        out["data"] = data
    return out


def test_a_data_directory_never_crawled_builds_and_publishes_nothing(runs):
    code, stdout, stderr = runs["empty"]
    assert code == cli.EXIT_USAGE, stdout + stderr
    assert "nothing was ever crawled" in stderr and "fzzf crawl" in stderr
    assert not published_path(runs["empty_dir"]).exists()
    assert not staged_path(runs["empty_dir"]).exists()


def test_the_first_build_publishes(runs):
    code, stdout, stderr = runs["first"]
    assert code == 0 and "PUBLISHED" in stdout, stdout + stderr


def test_a_build_that_lost_its_landing_is_held_and_alerted(runs):
    code, stdout, stderr = runs["held"]
    assert code == cli.EXIT_FAILED, stdout + stderr
    # One line on stderr; the summary went out once, in the "not published" notice (issue 22, item 6).
    [line] = [ln for ln in stderr.splitlines() if ln.startswith("fzzf build: ")]
    assert "NOT PUBLISHED (shrink gate)" in line and "--allow-shrink" in line, line
    assert "reports: 4 published → 0 in this build (100% fewer" in line
    notice = runs["posts"][0]["message"]
    assert "governments with any report: 4 published → 0" in notice
    assert "report years with any report: 2 published → 0" in notice
    assert runs["held_sha"] == runs["first_sha"]  # the published file is untouched
    # the data engineers hear of it over the pipeline-failure path (a real webhook on 127.0.0.1)
    [post] = runs["posts"]
    assert "not published: shrink gate failed" in post["title"]
    assert "reports: 4 published → 0" in post["message"]
    assert [m["kind"] for m in runs["outbox"]] == ["build_failure"]


def test_the_dags_build_task_is_held_as_a_gate_failure_and_fzzf_allow_shrink_publishes(runs):
    held = runs["task_held"].value
    assert "NOT PUBLISHED (shrink gate)" in str(held) and "FZZF_ALLOW_SHRINK=1" in str(held)
    assert runs["task_held_sha"] == runs["first_sha"]
    assert runs["task_allowed"]["published"] is True
    assert "published as told" in runs["task_allowed"]["summary"]
    assert runs["task_allowed_reports"] == [(0,)]


def test_a_build_that_grows_again_publishes(runs):
    code, stdout, stderr = runs["restored"]
    assert code == 0 and "PUBLISHED" in stdout and "holds far less" not in stdout, stdout + stderr
    assert runs["restored_reports"] == [(4,)]


def test_allow_shrink_publishes_and_says_what_was_lost(runs):
    code, stdout, stderr = runs["allowed"]
    assert code == 0 and "PUBLISHED" in stdout, stdout + stderr
    assert "published as told (--allow-shrink / FZZF_ALLOW_SHRINK)" in stdout
    assert "reports: 4 published → 0" in stdout
    assert query(published_path(runs["data"]), "select count(*) from marts.annual_reports") == [(0,)]
