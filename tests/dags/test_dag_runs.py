"""Both DAGs run for real with ``dag.test()``: demo portal → landing → dbt → gates → publish → alerts to a webhook."""

from __future__ import annotations

import json
from urllib.parse import quote

import duckdb
import pytest
import yaml

from scrapers.landing import Landing, new_run_id

from .conftest import load_dag, today_in_beijing, unpause

pytestmark = pytest.mark.integration

MISSING_GOV = "231282"  # 肇东市: the demo portal's one government without its report for latest_year - 1


def test_collect_then_warehouse_publishes_and_alerts_once(pipeline_env):
    data_dir, portal, receiver = pipeline_env
    as_of = today_in_beijing()

    collect = load_dag("fzzf_collect").test()
    assert collect.state == "success"
    crawl_tis = [ti for ti in collect.get_task_instances() if ti.task_id == "crawl"]
    assert len(crawl_tis) == len(portal.governments) and all(ti.state == "success" for ti in crawl_tis)
    assert sorted(ti.rendered_map_index for ti in crawl_tis) == sorted(f"{g.name} ({g.id})" for g in portal.governments)
    landed_reports = list((data_dir / "landing" / "reports").glob("*/*.jsonl"))
    assert len({p.stem for p in landed_reports}) == len(portal.governments)

    warehouse = load_dag("fzzf_warehouse").test(run_conf={"as_of": as_of.isoformat()})
    assert warehouse.state == "success"
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        missing = con.execute("select government_id, report_year from marts.missing_reports").fetchall()
    finally:
        con.close()
    assert [gid for gid, _ in missing] == [MISSING_GOV]

    assert len(receiver.titled("newly missing")) == 1
    message = receiver.messages("newly missing")[0]
    assert "1 newly missing" in message and f"[{MISSING_GOV}]" in message
    sent = len(receiver.posts)  # with the weekly "cannot verify" digest when the demo has unknown years
    state = json.loads((data_dir / "alerts" / "state.json").read_text(encoding="utf-8"))
    assert list(state["missing"]) == [f"{MISSING_GOV}|{missing[0][1]}"]

    # The next day's alerts task finds the same gap: nothing is sent again (a whole second build would show the same
    # at 40 s more; tests/alerts covers the once-only rule case by case).
    from scrapers.orchestration.tasks import alert_missing

    assert "0 newly missing" in alert_missing(as_of)
    assert len(receiver.posts) == sent

    # The warehouse DAG by hand with another day (the README invites it) is a what-if: its own file, nothing
    # published, nothing sent, the alert state untouched (issue 11, item 3).
    import hashlib

    def sha(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    published, alert_state = sha(data_dir / "warehouse.duckdb"), sha(data_dir / "alerts" / "state.json")
    what_if = load_dag("fzzf_warehouse").test(run_conf={"as_of": f"{as_of.year + 1}-06-01"})
    assert what_if.state == "success"
    assert sha(data_dir / "warehouse.duckdb") == published and sha(data_dir / "alerts" / "state.json") == alert_state
    assert len(receiver.posts) == sent
    assert (data_dir / "whatif" / f"{as_of.year + 1}-06-01" / "warehouse.duckdb").exists()


def test_a_failed_task_notifies_with_dag_task_run_and_log_link(pipeline_env, tmp_path, monkeypatch):
    data_dir, _portal, receiver = pipeline_env
    broken = tmp_path / "broken-registry.yaml"
    broken.write_text("governments:\n  - id: x\n", encoding="utf-8")  # no name, level, ...: the build refuses it
    monkeypatch.setenv("FZZF_REGISTRY", str(broken))
    # This time the channel comes from the Airflow connection `fzzf_alerts` (apprise type), not FZZF_ALERT_URLS.
    monkeypatch.delenv("FZZF_ALERT_URLS")
    conn = {"conn_type": "apprise", "extra": {"config": {"path": receiver.url, "tag": "alerts"}}}
    monkeypatch.setenv("AIRFLOW_CONN_FZZF_ALERTS", json.dumps(conn))

    run = load_dag("fzzf_warehouse").test(run_conf={"as_of": "2027-06-01"})

    assert run.state == "failed"
    assert len(receiver.posts) == 1
    post = receiver.posts[0]["json"]
    assert post["type"] == "failure"
    assert post["title"] == "fzzf task failed: fzzf_warehouse.build"
    body = post["message"]
    assert "DAG: fzzf_warehouse" in body and "Task: build" in body
    assert f"Run: {run.run_id}" in body
    assert f"/dags/fzzf_warehouse/runs/{run.run_id}/tasks/build" in body  # the log link, the run id readable
    assert quote(run.run_id) not in body
    assert "RegistryError" in body
    # the file is named by its last parts, not by the worker's path (issue 22, item 4)
    assert str(broken) not in body and f"…/{broken.parent.name}/broken-registry.yaml" in body, body
    outbox = (data_dir / "alerts" / "outbox.jsonl").read_text(encoding="utf-8")
    assert "pipeline_failure" in outbox


def test_a_failed_gate_blocks_publishing_and_notifies_as_a_gate_failure(pipeline_env, monkeypatch, caplog):
    data_dir, portal, receiver = pipeline_env
    monkeypatch.setenv("FZZF_TODAY", "2015-06-01")  # today's build, not a what-if (which would only report)
    # One crawl that read nothing (a data dir never crawled is refused before any gate), and an as-of day before
    # any report year is due: coverage is empty, which the marts gate's critical "coverage has rows" expectation
    # refuses to publish.
    gid = str(yaml.safe_load(portal.registry_yaml())["governments"][0]["id"])
    run_id = new_run_id()
    row = {"run_id": run_id, "government_id": gid, "list_url": portal.base_url + "/", "status": "failed",
           "pages_fetched": 0, "requests": 1, "links_seen": 0, "reports_found": 0, "reports_new": 0,
           "links_skipped": 0, "errors": 1, "error": "HTTP 503", "started_at": "2015-05-31T00:00:00",
           "finished_at": "2015-05-31T00:00:01"}  # fmt: skip
    Landing(data_dir).ensure().write_rows("crawl_log", run_id, gid, [row])
    run = load_dag("fzzf_warehouse").test(run_conf={"as_of": "2015-06-01"})

    assert run.state == "failed"
    assert not (data_dir / "warehouse.duckdb").exists()
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["build"] == "failed" and states["alerts"] == "upstream_failed"
    assert len(receiver.posts) == 1
    post = receiver.posts[0]["json"]
    assert post["title"] == "fzzf quality gate failed, nothing published: fzzf_warehouse.build"
    assert "NOT PUBLISHED (marts gate)" in post["message"] and "Task: build (try 1)" in post["message"]
    # One error line (the alert's, the exception's) naming what stopped it; no worker paths in the alert.
    headline = "NOT PUBLISHED (marts gate): marts_coverage_complete: expect_table_row_count_to_be_between failed"
    assert f"Error: GateFailed: build as of 2015-06-01: {headline}" in post["message"]
    assert str(data_dir.parent) not in post["message"]
    assert post["message"].endswith("failed on 0 of 0 rows")  # the error is one line, the last of the notice
    # The task log holds the build summary once (issue 22, item 6: it was there three times, and in the alert).
    summaries = [r for r in caplog.records if "critical: marts_coverage_complete" in r.getMessage()]
    assert [(r.name, r.levelname) for r in summaries] == [("fzzf.orchestration", "ERROR")]
    assert "timings: re-extract" in summaries[0].getMessage()


def test_a_failed_government_fails_the_collect_run_after_the_asset_is_marked(
    pipeline_env, tmp_path, monkeypatch, caplog
):
    """Issue 22, items 3 and 4: one portal down. The run ends failed, naming it and why; what did land is marked for
    the warehouse, which builds; every mapped task is labelled by name and id; the alert has the root cause whole."""
    import socket
    from pathlib import Path

    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.utils.session import create_session

    data_dir, portal, receiver = pipeline_env
    down = "510705"  # 绵阳市安州区: its portal refuses every connection
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    registry_path = Path(tmp_path / "registry.yaml")
    registry = yaml.safe_load(registry_path.read_text(encoding="utf-8"))
    for gov in registry["governments"]:
        if str(gov["id"]) == down:
            gov["list_urls"] = [f"http://127.0.0.1:{port}/{down}/fzzfjsndbg/"]
            name = gov["name"]
    registry_path.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    labels = {str(g["id"]): f"{g['name']} ({g['id']})" for g in registry["governments"]}
    unpause("fzzf_warehouse")  # as deployed: the asset event then queues a warehouse run

    run = load_dag("fzzf_collect").test()

    assert run.state == "failed"
    tis = run.get_task_instances()
    crawl = {ti.rendered_map_index: ti.state for ti in tis if ti.task_id == "crawl"}
    assert crawl == {label: ("failed" if gid == down else "success") for gid, label in labels.items()}
    states = {ti.task_id: ti.state for ti in tis if ti.task_id != "crawl"}
    assert states == {"plan": "success", "landed": "success", "report": "failed"}

    # The asset was marked, from this run, and the warehouse DAG is queued on it (the scheduler starts it from there).
    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.name == "fzzf_landing", AssetEvent.source_run_id == run.run_id)
            .all()
        )
        queued = session.query(AssetDagRunQueue).filter(AssetDagRunQueue.target_dag_id == "fzzf_warehouse").count()
    assert len(events) == 1 and events[0].extra["crawled"] == len(labels) - 1 and events[0].extra["failed"] == 1
    assert queued == 1

    # One notice: the run's crawl digest, naming the government with the root cause whole. The run's report names it
    # in the task log too and sends nothing more (one alert per problem); the crawl task's failure only recorded it.
    cause = f"connection refused by 127.0.0.1:{port} (after 4 attempts)"
    assert [p["json"]["title"] for p in receiver.posts] == ["fzzf crawl failures: 1 newly failing"]
    digest = receiver.posts[0]["json"]["message"]
    summary_line, run_line = digest.split("\n")[:2]
    assert summary_line.startswith(f"1 of {len(labels)} governments failed: 1 list page <url>: ")
    assert "connection refused by <host> (after 4 attempts)" in summary_line  # the cause, not the host
    assert run_line == f"Run: {run.run_id}"
    [line] = [x for x in digest.split("\n") if x.startswith(f"  - {name} ({down}): ")]
    assert f"list page http://127.0.0.1:{port}/{down}/fzzfjsndbg/: " in line and cause in line
    report = run.get_task_instance("report")
    assert report.state == "failed"
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert f"{len(labels) - 1} of {len(labels)} government(s) crawled; 1 failed" in said
    assert f"{name} ({down}): list page " in said and "no second notice" in said
    assert str(tmp_path) not in digest  # no worker paths

    # A successful crawl task says what it did, in a few lines.
    ok_label = next(label for gid, label in labels.items() if gid != down)
    [said] = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"{ok_label}: ok in ")]
    assert len(said.splitlines()) == 4, said
    assert "list pages read: " in said and "links judged: " in said and "years found: 20" in said, said

    # The warehouse builds from what landed: the portal that was down is unknown, not missing.
    warehouse = load_dag("fzzf_warehouse").test(run_conf={"as_of": today_in_beijing().isoformat()})
    assert warehouse.state == "success"
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        statuses = {
            gid: status
            for gid, status in con.execute("select government_id, status from marts.report_coverage").fetchall()
        }
        governments = {r[0] for r in con.execute("select government_id from marts.report_coverage").fetchall()}
    finally:
        con.close()
    assert governments == set(labels)
    assert statuses[down] != "missing"
