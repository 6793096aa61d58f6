"""The long run the reliability tests inspect: a farm of faulty portals crawled and built again and again.

Builds cost tens of seconds each (GX import, dbt), so the steps that need a warehouse share one sequence, run once
per session; every step keeps what the tests look at (its output, snapshots of the published marts):

1. the healthy governments alone, on a clean data directory (the baseline);
2. runs 1, 2 and 3: crawl + build of all governments, faults included, nothing changed on the portals in between
   (every known report re-checked each run): three runs in a row that must publish the same warehouse;
3. one report edited, one deleted, one new; run 4: crawl, then a build SIGKILLed while publishing (half the file
   copied), the published warehouse read right after the kill; run 5: a build that must recover and publish;
4. a copy of the data directory on a tiny file system that is then filled (full disk): crawl and build must fail
   clearly without touching what was landed or published; with room again the crawl catches up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .conftest import (
    AS_OF,
    FZZF,
    REPO,
    Gov,
    Ran,
    base_env,
    healthy,
    kill_group,
    make_report,
    publish,
    query,
    run_fzzf,
    write_registry,
)
from .farm import (
    Farm,
    binary_junk,
    gzip_bomb,
    hang,
    huge,
    list_page,
    not_found,
    page,
    redirect,
    reset,
    statuses_then,
    trickle,
    truncated,
    versions,
)

TEN_MB = 10 * 1024 * 1024
HEALTHY = ("ok_a", "ok_b")
MARTS = (
    "governments",
    "annual_reports",
    "report_versions",
    "report_sections",
    "report_metrics",
    "report_coverage",
    "missing_reports",
    "quarantine",
    "crawl_health",
)
# Columns that say when the crawler last ran: they move with every crawl by design, so idempotency ignores them.
MOVING = {
    # status_reason of an `unknown` year counts the runs its link failed on and quotes the last error: it moves
    # with every re-check by design, while the status itself must not.
    "report_coverage": {"last_success_at", "confirmed_read_at", "status_reason"},
    "missing_reports": {"last_success_at"},
    "crawl_health": {
        # links that failed are asked again on every rerun (scrapers/collect/state.py); a flaky portal fails them
        # with another message each time, so the last crawl's error text and status move too
        "last_error",
        "last_run_status",
        "last_run_id",
        "runs",
        "failed_runs",
        "consecutive_failures",
        "last_crawl_at",
        "last_success_at",
        "last_ok_at",
        "last_error_at",
    },
}


@dataclasses.dataclass
class Pipeline:
    farm: Farm
    govs: dict[str, Gov]
    tmp: Path
    data: Path
    baseline: Path
    registry: Path
    recorders: list
    canary: Path
    notes: dict
    steps: dict[str, Ran] = dataclasses.field(default_factory=dict)
    snapshots: dict[str, dict] = dataclasses.field(default_factory=dict)
    after_kill: dict = dataclasses.field(default_factory=dict)
    disk: dict = dataclasses.field(default_factory=dict)
    marks: dict[str, float] = dataclasses.field(default_factory=dict)  # wall time at the end of each step
    errors: dict[str, str] = dataclasses.field(default_factory=dict)  # a phase that could not run, and why


def snapshot(warehouse: Path) -> dict[str, list]:
    """Every marts table as sorted rows (moving columns dropped)."""
    import duckdb

    out = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table in MARTS:
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    "and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            keep = [c for c in cols if c not in MOVING.get(table, set())]
            if not keep:
                out[table] = None
                continue
            rows = con.execute(f"select {', '.join(keep)} from marts.{table}").fetchall()
            out[table] = (keep, sorted(rows, key=repr))
    finally:
        con.close()
    return out


def _build_farm(farm: Farm, canary) -> tuple[dict[str, Gov], list, dict]:
    govs: dict[str, Gov] = {}
    notes: dict = {}

    def gov(gid, name):
        g = Gov(gid, name, farm.site(gid))
        govs[gid] = g
        return g

    govs["ok_a"] = healthy(farm, "ok_a", "安州区")
    govs["ok_b"] = healthy(farm, "ok_b", "南开区", family="table_gbk")

    # 500, 502, 503, then a normal list; the first report page answers 503 once.
    g = gov("f_5xx", "涪城区")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    g.site.set(
        g.list_path,
        statuses_then([500, 502, 503], page(list_page([(r.title, r.path, r.publish_date) for r in reports]))),
    )
    g.site.set(reports[0].path, statuses_then([503], page(reports[0].render())))

    # The whole site hangs: robots.txt and the list page alike.
    g = gov("f_timeout", "游仙区")
    g.site.set("/robots.txt", hang(g.site))
    g.site.set(g.list_path, hang(g.site))

    # The list page resets the connection (robots.txt is fine).
    g = gov("f_reset", "三台县")
    publish(g, [make_report(g.name, 2022, 0)])
    g.site.set(g.list_path, reset())

    # One report page is cut off after 2 KB of a declared length; the other is fine.
    g = gov("f_truncated", "盐亭县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    body = reports[1].render()
    g.site.set(reports[1].path, truncated(body, 2048))
    notes["truncated_url"] = g.report_url(reports[1])

    # Two 10 MB report pages (one declares its length, one streams without it) and one normal report.
    g = gov("f_huge", "梓潼县")
    reports = [make_report(g.name, 2020, 0), make_report(g.name, 2021, 1), make_report(g.name, 2022, 2)]
    publish(g, reports)
    g.site.set(reports[0].path, huge(TEN_MB, declare_length=True))
    g.site.set(reports[1].path, huge(TEN_MB, declare_length=False))
    notes["huge_urls"] = [g.report_url(r) for r in reports[:2]]

    # A report page that inflates from 256 KB of gzip to 256 MB; and a list page that drips one byte every 0.3 s.
    g = gov("f_gzipbomb", "绵竹市")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    g.site.set(reports[0].path, gzip_bomb(256 * 1024 * 1024))
    notes["bomb_url"] = g.report_url(reports[0])
    g = gov("f_trickle", "什邡市")
    reports = [make_report(g.name, 2022, 0)]
    publish(g, reports)
    g.site.set(g.list_path, trickle(g.site, list_page([(r.title, r.path, r.publish_date) for r in reports]), 4.0))

    # One malformed link (a broken IPv6 literal) among good ones on the list page.
    g = gov("f_badhref", "广元市")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(
        g, reports, [(f"{g.name}人民政府2020年法治政府建设年度报告", "http://[::1/report.html", dt.date(2021, 3, 1))]
    )

    # The list page redirects in a loop.
    g = gov("f_loop", "北川县")
    g.site.set("/robots.txt", not_found())
    g.site.set(g.list_path, redirect("/col/loop/b.html"))
    g.site.set("/col/loop/b.html", redirect(g.list_path))

    # One report redirects off the site (to a recorder on another loopback address); the other is fine.
    g = gov("f_offsite", "平武县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    recorder = farm.site("recorder_a", host="127.0.0.2")
    recorder.set("/stolen.html", page(reports[0].render()))
    g.site.set(reports[0].path, redirect(recorder.url("/stolen.html")))
    notes["offsite_url"] = g.report_url(reports[0])

    # robots.txt forbids the column.
    g = gov("f_robots", "江油市")
    publish(g, [make_report(g.name, 2022, 0)], robots="User-agent: *\nDisallow: /col/\n")

    # Binary junk served as text/html for one report.
    g = gov("f_binary", "安县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    g.site.set(reports[1].path, page(binary_junk(40_000), "text/html; charset=utf-8"))
    notes["binary_url"] = g.report_url(reports[1])

    # Wrong charsets: GB18030 bytes declared UTF-8 (header and meta), UTF-8 bytes declared GBK, and GBK bytes under a
    # server default of ISO-8859-1 (no meta).
    g = gov("f_charset", "青川县")
    reports = [make_report(g.name, y, k) for k, y in enumerate((2020, 2021, 2022))]
    publish(g, reports)
    g.site.set(reports[0].path, page(reports[0].render(encoding="gb18030"), "text/html; charset=utf-8"))
    g.site.set(
        reports[1].path,
        page(reports[1].render().replace(b'<meta charset="utf-8">', b'<meta charset="gbk">'), "text/html; charset=gbk"),
    )
    g.site.set(
        reports[2].path,
        page(
            reports[2].render(encoding="gbk").replace(b'<meta charset="utf-8">', b""), "text/html; charset=ISO-8859-1"
        ),
    )

    # Malformed HTML: stray </html> after the header, unclosed tags, a broken comment, garbage attributes.
    g = gov("f_malformed", "剑阁县")
    reports = [make_report(g.name, 2022, 0, family="hanweb")]
    publish(g, reports)
    mangled = (
        reports[0]
        .render()
        .replace(b"</p>", b"")
        .replace(b"</div>", b"", 3)
        .replace(b"<body>", b'<body><!-- unterminated <div class="x" <<b>>< a href=\'', 1)
    )
    g.site.set(reports[0].path, page(mangled))
    notes["malformed_report"] = reports[0]

    # A report that is edited after publication (switched to version 2 between the runs).
    g = gov("f_changed", "旺苍县")
    reports = [make_report(g.name, 2022, 0)]
    publish(g, reports)
    edited = dataclasses.replace(
        reports[0], paragraphs=(*reports[0].paragraphs, "（2023年4月10日更正：补充行政复议案件数据。）")
    )
    route, switch = versions([page(reports[0].render()), page(edited.render())])
    g.site.set(reports[0].path, route)
    notes["changed"] = (g.report_url(reports[0]), switch, edited)

    # A report deleted after it was collected: the URL answers 404 and the list no longer links it.
    g = gov("f_deleted", "苍溪县")
    reports = [make_report(g.name, 2021, 0), make_report(g.name, 2022, 1)]
    publish(g, reports)
    notes["deleted"] = (g, reports)

    # Links to private and foreign addresses, file:// and javascript:, all with report-looking titles.
    g = gov("f_private", "利州区")
    reports = [make_report(g.name, 2022, 0)]
    recorder_b = farm.site("recorder_b", host="127.0.0.3")
    bait = [
        (f"{g.name}人民政府2021年法治政府建设年度报告", recorder.url("/bait.html")),
        (f"{g.name}人民政府2020年法治政府建设年度报告", recorder_b.url("/bait.html")),
        (f"{g.name}人民政府2019年法治政府建设年度报告", "http://10.0.0.1/report.html"),
        (f"{g.name}人民政府2018年法治政府建设年度报告", "http://169.254.169.254/latest/meta-data/"),
        (f"{g.name}人民政府2017年法治政府建设年度报告", f"file://{canary}"),
        (f"{g.name}人民政府2016年法治政府建设年度报告", "javascript:window.open('http://127.0.0.3/js.html')"),
        (f"{g.name}人民政府2015年法治政府建设年度报告", "http://[::ffff:10.0.0.2]/v6mapped.html"),
    ]
    publish(g, reports, [(t, h, dt.date(2023, 3, 1)) for t, h in bait])
    notes["bait"] = [h for _t, h in bait]
    return govs, [recorder, recorder_b], notes


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    """A tmpfs of ``size`` mounted at ``path`` (needs root); yields False when it cannot be mounted."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield False
        return
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                        capture_output=True).returncode == 0  # fmt: skip
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(disk: Path) -> int:
    """Fill the file system at ``disk`` to the last byte; returns the bytes written."""
    written = 0
    with open(disk / "filler.bin", "wb") as fh:
        block = b"\0" * 65536
        while True:
            try:
                fh.write(block)
                fh.flush()
            except OSError:
                break
            written += len(block)
    return written


def fsize_cap(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails with EFBIG instead of killing
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _build(p: Pipeline, env, data=None, **popen) -> Ran:
    args = ["build", "--registry", str(p.registry), "--data-dir", str(data or p.data)]
    return run_fzzf([*args, "--as-of", AS_OF.isoformat(), "--no-alerts"], env, timeout=400, **popen)


def _crawl(p: Pipeline, env, data=None, registry=None, **popen) -> Ran:
    args = ["crawl", "--registry", str(registry or p.registry), "--data-dir", str(data or p.data)]
    return run_fzzf([*args, "--allow-private-hosts"], env, **popen)


def _landed(data: Path) -> dict[Path, bytes]:
    return {q.relative_to(data): q.read_bytes() for q in (data / "landing").rglob("*.jsonl")}


def run_pipeline(tmp: Path, farm: Farm) -> Pipeline:
    canary = tmp / "canary-secret.txt"
    canary.write_text("file:// links must never be read\n", encoding="utf-8")
    govs, recorders, notes = _build_farm(farm, canary)
    p = Pipeline(farm, govs, tmp, tmp / "data", tmp / "baseline", write_registry(tmp / "registry.yaml", list(govs.values())),
                 recorders, canary, notes)  # fmt: skip
    env = base_env(tmp, FZZF_TEST_CANARIES=str(canary))
    build_env = dict(env, FZZF_TEST_NETLOG=str(tmp / "netlog-build.jsonl"))

    base_reg = write_registry(tmp / "baseline.yaml", [govs[g] for g in HEALTHY])
    p.steps["baseline"] = _crawl(p, env, data=p.baseline, registry=base_reg)

    def step(name, ran):
        p.steps[name] = ran
        p.marks[name] = time.time()
        return ran

    env = dict(env, FZZF_REVISIT_DAYS="0")  # every known report is re-checked on every run
    build_env = dict(build_env, FZZF_REVISIT_DAYS="0")
    for n in (1, 2, 3):  # three runs in a row with nothing changed on the portals
        step(f"crawl{n}", _crawl(p, env))
        if step(f"build{n}", _build(p, build_env)).returncode == 0:
            p.snapshots[f"run{n}"] = snapshot(p.data / "warehouse.duckdb")

    # Then one report is edited, one deleted (gone from the list, its URL 404) and one new report appears.
    _url, switch, _edited = notes["changed"]
    switch(1)
    g, reports = notes["deleted"]
    publish(g, reports[:1])
    g.site.set(reports[1].path, not_found())
    ok_a = govs["ok_a"]
    new = make_report(ok_a.name, 2023, 2)
    publish(ok_a, [*ok_a.reports, new])
    notes["new_report_url"] = ok_a.report_url(new)
    step("crawl4", _crawl(p, env))
    # Run 4's build is killed while copying the new warehouse into place; run 5's build must recover.
    _phase(p, "kill build", lambda: p.after_kill.update(_kill_build_while_publishing(p, build_env)))
    step("build5", _build(p, build_env))
    p.after_kill["temps_after_rebuild"] = sorted(x.name for x in p.data.glob(".warehouse*"))

    _phase(p, "full disk", lambda: _full_disk(p, env, build_env))
    return p


def _phase(p: Pipeline, name: str, fn) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - one broken phase must not hide the results of the others
        import traceback

        p.errors[name] = "".join(traceback.format_exception(exc))[-3000:]


def _kill_build_while_publishing(p: Pipeline, env) -> dict:
    wh = p.data / "warehouse.duckdb"
    out: dict = {"before": query(wh, "select report_id, content_hash, url from marts.annual_reports order by 1")}
    proc = subprocess.Popen(
        [
            *FZZF,
            *["build", "--registry", str(p.registry), "--data-dir", str(p.data)],
            "--as-of",
            AS_OF.isoformat(),
            "--no-alerts",
        ],
        cwd=REPO,
        env=dict(env, FZZF_TEST_PUBLISH_PAUSE="copying:60"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 400
        for line in proc.stdout:
            lines.append(line)
            if "publish paused at copying" in line:
                out["temps_at_kill"] = sorted(x.name for x in p.data.glob(".warehouse*"))
                kill_group(proc, signal.SIGKILL)
                out["killed"] = True
                break
            if time.monotonic() > deadline:
                break
    finally:
        kill_group(proc, signal.SIGKILL)
        proc.stdout.close()
    out["output"] = "".join(lines[-60:])
    out["returncode"] = proc.returncode
    try:
        out["after"] = query(wh, "select report_id, content_hash, url from marts.annual_reports order by 1")
        out["tables"] = {t: query(wh, f"select count(*) from marts.{t}")[0][0] for t in MARTS}
    except Exception as exc:  # noqa: BLE001 - the test reports what broke
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def _full_disk(p: Pipeline, env, build_env) -> None:
    """A copy of the data directory on a small file system, filled to the last byte."""
    ok_b = p.govs["ok_b"]
    new = make_report(ok_b.name, 2023, 2, family="table_gbk")
    publish(ok_b, [*ok_b.reports, new])
    p.notes["disk_new_report_url"] = ok_b.report_url(new)
    d = p.disk
    used = sum(f.stat().st_size for f in p.data.rglob("*") if f.is_file())
    mount_point = p.tmp / "disk"
    with small_disk(mount_point, f"{used // 1024 + 8192}k") as mounted:
        d["mounted"] = mounted
        data = mount_point / "data" if mounted else p.tmp / "capped"
        shutil.copytree(p.data, data, symlinks=True)
        wh = data / "warehouse.duckdb"
        d["published_before"] = snapshot(wh)
        d["landed_before"] = _landed(data)
        popen = {}
        if mounted:
            d["filled"] = fill(mount_point)
        else:
            popen["preexec_fn"] = fsize_cap(1024)  # no tmpfs: a per-file size cap makes the same writes fail
        d["crawl"] = _crawl(p, env, data=data, **popen)
        d["landed_after_crawl"] = _landed(data)
        d["build"] = _build(p, build_env, data=data, **popen)
        d["published_after"] = snapshot(wh)
        d["data"] = data
        from .conftest import all_landing_files_parse

        d["problems"] = all_landing_files_parse(data)
        (mount_point / "filler.bin").unlink(missing_ok=True)
        d["crawl_with_room"] = _crawl(p, env, data=data)
        from .conftest import landing_rows

        d["urls_with_room"] = {r["url"] for r in landing_rows(data, "reports")}
