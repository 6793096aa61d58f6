"""Crawl benchmark: 1,000 governments x 10 report years on a local portal farm, crawled twice.

The farm (tests/farm) runs in a child process so its CPU and memory are not the crawler's. Governments are grouped
on hosts the way real portals group them: a provincial portal hosts the province's and its districts' columns
(Beijing's /gongkai/fzzfjsbg/qzf/<district>/), a city portal hosts a few departments, and some counties have their
own site. Each host is a distinct loopback address 127.0.x.y. Every list page family of the farm is used, and every
government also lists 7 look-alikes (政府信息公开年报, 工作要点, 实施方案, 图解, meeting news, five-year summary, an
ambiguous news item).

Printed: pages/s, requests per report found, peak memory (RSS of the crawler process), precision/recall, the run
time as a ratio of the politeness bound (the most requests any one host needs x the per-host delay; target <= 1.2),
and the immediate second run's requests per government (target <= 1.2), report pages fetched again (target 0) and
its time as a share of the first run's (target < 10%).

Then a home-page-only run (``--home-governments``, default 200; 0 skips it): every registry entry is only a portal's
home page, one portal per host, with the report column 1-3 clicks away behind the farm's portal styles (mega menus,
信息公开 directory trees, script-built menus, a sitemap, a 通知公告-only site, a report in the home page's news, two
columns) and decoys beside it. Printed beside the same ratios: the requests column discovery spent per government
(mean and max; target <= 15), and whether the columns found are exactly the true ones (precision/recall of columns).

    .venv/bin/python bench/crawl.py [--governments 1000] [--home-governments 200] [--delay 0.2] [--workers 64]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the portal farm lives with the tests

from farm.server import Farm  # noqa: E402
from farm.sites import PAGINATION, PORTAL_STYLES, add_robots, build_portal, build_site  # noqa: E402

from scrapers.collect.crawl import run_crawl  # noqa: E402
from scrapers.collect.discover import normalise_url  # noqa: E402
from scrapers.landing import Landing  # noqa: E402
from scrapers.registry.governments import parse_registry  # noqa: E402
from scrapers.settings import Politeness  # noqa: E402

YEARS = range(2015, 2025)


def plan(n: int) -> list[tuple[str, str, str, str, int]]:
    """(id, name, host, pagination family, k) per government: provincial portals of 50 governments, city portals
    of 4, single-government county sites (for n=1000: 16 x 50 + 40 x 4 + 40 x 1)."""
    big = max(1, round(n * 0.8 / 50))
    mid = round(n * 0.16 / 4)
    sizes = [50] * big + [4] * mid
    while sum(sizes) > n:
        sizes.pop()
    sizes += [1] * (n - sum(sizes))
    out = []
    k = 0
    for h, size in enumerate(sizes):
        tier = 1 if size == 50 else (2 if size == 4 else 3)
        host = f"127.0.{tier}.{h % 250 + 1}"
        for _ in range(size):
            out.append((f"9{k:05d}", f"测试{k}县", host, PAGINATION[k % len(PAGINATION)], k))
            k += 1
    return out


HOME_FAMILIES = tuple(f for f in PAGINATION if f != "gkmlpt")  # a gkmlpt column's category lives in a #fragment


def home_plan(n: int) -> list[tuple[str, str, str, str, int]]:
    """(id, name, host, family, k) for n portals, one per host 127.0.(5+i//250).(i%250+1); styles and families cycle."""
    return [
        (f"8{i:05d}", f"门户{i}县", f"127.0.{5 + i // 250}.{i % 250 + 1}", HOME_FAMILIES[i % len(HOME_FAMILIES)], i)
        for i in range(n)
    ]


def serve(entries, conn, portals: bool = False) -> None:
    """Child process: build and serve the farm; answer 'stats' (and reset) until 'stop'. ``portals``: each entry is
    a home page with its column behind navigation (build_portal), else the column itself (build_site)."""
    farm = Farm()
    expected, report_paths, list_paths, columns = {}, set(), {}, {}
    for gid, name, host, family, k in entries:
        if portals:
            style = PORTAL_STYLES[k % len(PORTAL_STYLES)]
            gov = build_portal(farm, gid, name, host, style, family, k=k, years=YEARS, per_page=10, quirks=False,
                               body_size=10)  # fmt: skip
        else:
            gov = build_site(farm, gid, name, host, family, YEARS, per_page=10, quirks=False, body_size=10, k=k)
            add_robots(farm, host)
        expected[gid] = dict(gov.expected)
        list_paths[gid] = gov.list_path
        columns[gid] = list(gov.columns)
        report_paths |= {(host, p) for p in [*gov.expected, *gov.look_alikes]}
    farm.start()
    conn.send((farm.port, expected, list_paths, len(farm.sites), columns))
    while True:
        cmd = conn.recv()
        if cmd == "stop":
            break
        log = list(farm.log)
        farm.reset_log()
        by_host = Counter(r.host for r in log)
        reports = sum(1 for r in log if (r.host, r.path.split("?")[0]) in report_paths)
        conn.send({"requests": len(log), "by_host": dict(by_host), "report_pages": reports})
    farm.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--governments", type=int, default=1000)
    ap.add_argument("--home-governments", type=int, default=200, help="home-page-only run; 0 skips it")
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--workers", type=int, default=64)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.governments:
        print(f"== list pages in the registry: {args.governments} governments")
        bench(args, plan(args.governments), portals=False)
    if args.home_governments:
        print(f"== home pages only in the registry: {args.home_governments} governments, one portal per host")
        bench(args, home_plan(args.home_governments), portals=True)
    return 0


def bench(args, entries, portals: bool) -> None:
    n = len(entries)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(entries, child, portals), daemon=True)
    t_farm = time.perf_counter()
    server.start()
    port, expected, list_paths, n_hosts, columns = parent.recv()
    t_farm = time.perf_counter() - t_farm
    farm_hosts = Counter(e[2] for e in entries)
    registry = parse_registry(
        {
            "governments": [
                {"id": gid, "name": name, "level": "county", "province": "测试省",
                 "list_urls": [f"http://{host}:{port}{list_paths[gid]}"]}
                for gid, name, host, _f, _k in entries
            ]
        },
        "bench.yaml",
    )  # fmt: skip
    politeness = Politeness(
        delay=args.delay, allow_private_hosts=True, workers=args.workers, timeout=20, retries=3, backoff=1.0
    )
    data = Path(tempfile.mkdtemp(prefix="fzzf-bench-crawl-"))
    load_before = os.getloadavg()[0]
    try:
        first = run_crawl(list(registry), data, politeness)
        parent.send("stats")
        s1 = parent.recv()
        second = run_crawl(list(registry), data, politeness)
        parent.send("stats")
        s2 = parent.recv()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = Landing(data).read_rows("reports")
        states = {gid: Landing(data).load_state(gid) for gid, *_ in entries}
    finally:
        parent.send("stop")
        server.join(30)
        shutil.rmtree(data, ignore_errors=True)

    got = {(r["government_id"], urlsplit(r["url"]).path, r["report_year"]) for r in rows}
    want = {(gid, p, y) for gid, paths in expected.items() for p, y in paths.items()}
    hit = len(got & want)
    busiest_host, busiest = max(s1["by_host"].items(), key=lambda kv: kv[1])
    bound = busiest * args.delay
    found = sum(r.reports_found for r in first.results)
    pages = sum(r.pages_fetched for r in first.results) + found
    sizes = Counter(farm_hosts.values())
    print(f"farm: {n} governments x {len(YEARS)} report years (+7 look-alikes each) on {n_hosts} hosts "
          f"127.0.x.y, one port; built in {t_farm:.1f} s in a child process")  # fmt: skip
    if not portals:
        print("hosting: " + ", ".join(f"{n} host(s) x {size} government(s)" for size, n in sorted(sizes.items(), reverse=True))
              + " (provincial portals hosting district columns, city portals hosting departments, county sites)")  # fmt: skip
    print(f"crawler: delay {args.delay} s per host, {args.workers} workers, retries 3, robots.txt obeyed; "
          f"machine load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"run 1: {first.seconds:.1f} s, {first.requests} requests (farm saw {s1['requests']}), "
          f"{sum(r.pages_fetched for r in first.results)} list pages, {found} reports found, "
          f"statuses {dict(Counter(r.status for r in first.results))}")  # fmt: skip
    print(f"  pages/s: {pages / first.seconds:.1f}   requests/s: {first.requests / first.seconds:.1f}   "
          f"requests per report found: {first.requests / max(found, 1):.2f}")  # fmt: skip
    print(f"  precision {hit / max(len(got), 1):.3f}, recall {hit / max(len(want), 1):.3f} "
          f"({len(got)} landed, {len(want)} expected)")  # fmt: skip
    print(f"  politeness bound: busiest host {busiest_host} needed {busiest} requests x {args.delay} s = {bound:.1f} s; "
          f"run time / bound = {first.seconds / bound:.3f} (target <= 1.2)")  # fmt: skip
    print(f"  peak memory (crawler process RSS): {peak_mb:.0f} MB")
    print(f"run 2 (immediate re-run): {second.seconds:.2f} s = {100 * second.seconds / first.seconds:.1f}% of run 1 "
          f"(target < 10%); {second.requests} requests = {second.requests / n:.2f} per government "
          f"(target <= 1.2); report pages fetched again: {s2['report_pages']} (target 0); "
          f"new report rows: {sum(r.reports_new for r in second.results)}")  # fmt: skip
    if portals:
        print("  (one portal per host: the bound is one host's requests x delay, so this run's ratio measures the "
              "crawler's CPU on this machine, not politeness)")  # fmt: skip
        discovery_report(states, columns, port, entries)


def discovery_report(states: dict, columns: dict, port: int, entries) -> None:
    """Requests column discovery spent per government (from the crawl state's own accounting) and column truth."""
    spent = {gid: sum(m.get("requests", 0) for m in st.get("columns", {}).values()) for gid, st in states.items()}
    hosts = {gid: host for gid, _n, host, _f, _k in entries}
    found = {gid: {normalise_url(c["url"]) for m in st.get("columns", {}).values() for c in m.get("columns", [])}
             for gid, st in states.items()}  # fmt: skip
    truth = {gid: {normalise_url(f"http://{hosts[gid]}:{port}{p}") for p in paths} for gid, paths in columns.items()}
    hit = sum(len(found[g] & truth[g]) for g in truth)
    n_found, n_true = sum(len(v) for v in found.values()), sum(len(v) for v in truth.values())
    values = sorted(spent.values())
    by_style: dict[str, list[int]] = {}
    for gid, _n, _h, _f, k in entries:
        by_style.setdefault(PORTAL_STYLES[k % len(PORTAL_STYLES)], []).append(spent[gid])
    print(f"  discovery (run 1): requests per government mean {sum(values) / len(values):.1f}, median "
          f"{values[len(values) // 2]}, max {values[-1]} (target <= 15); governments over 15: "
          f"{sum(v > 15 for v in values)}")  # fmt: skip
    print("  discovery requests by portal style (mean/max): " + ", ".join(
        f"{s} {sum(v) / len(v):.1f}/{max(v)}" for s, v in by_style.items()))  # fmt: skip
    print(f"  columns: precision {hit / max(n_found, 1):.3f}, recall {hit / max(n_true, 1):.3f} "
          f"({n_found} found, {n_true} true)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
