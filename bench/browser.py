"""Browser benchmark: what the headless Chromium (scrapers/collect/browser.py) costs, and that only the pages that
need it go to it.

Three farms (tests/farm; the farm runs in a child process so its CPU and memory are not the crawler's), each crawled
once in a fresh process (so each peak memory is that run's):

- plain: governments whose lists and reports are plain HTML (every pagination family): the browser is never needed;
- browser: governments only a browser reads (Ruishu-like 412, 521 ``__jsl_clearance``, an XHR list, report bodies
  drawn from hidden data; tests/farm/browser_sites.py), crawled with Chromium and with ``FZZF_BROWSER=0``;
- mixed: both kinds side by side: the browser's share of requests and of pages (target: only the pages that need
  it, i.e. the challenge sites' first list page, the XHR list pages and the hidden-data report pages).

Printed per run: seconds, pages read (list pages + reports found), pages/s, requests, the browser's pages and
requests, reports found of those expected, the crawler process's peak RSS and the browser's peak memory (PSS of
Playwright's driver and Chromium's processes, sampled every 0.1 s).

    .venv/bin/python bench/browser.py [--governments 12] [--delay 0.05]
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
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the portal farm lives with the tests

from farm.browser_sites import KINDS, browser_portals  # noqa: E402
from farm.server import Farm, Resource  # noqa: E402
from farm.sites import PAGINATION, add_robots, build_site  # noqa: E402

from scrapers.collect import browser as browser_mod  # noqa: E402
from scrapers.collect.crawl import run_crawl  # noqa: E402
from scrapers.registry.governments import parse_registry  # noqa: E402
from scrapers.settings import Politeness  # noqa: E402

YEARS = range(2019, 2025)
OFFSITE = "127.0.131.250"


def serve(n_plain: int, n_browser: int, conn) -> None:
    """Child process: the farm (plain governments on 127.0.130.x, browser-only ones on 127.0.131.x)."""
    farm = Farm()
    govs = []
    for i in range(n_plain):
        host = f"127.0.130.{i + 1}"
        govs.append(build_site(farm, f"p{i}", f"平常{i}县", host, PAGINATION[i % len(PAGINATION)], YEARS, per_page=4,
                               quirks=False, body_size=10, k=i))  # fmt: skip
        add_robots(farm, host)
    for j in range(n_browser // len(KINDS)):
        hosts = {kind: f"127.0.131.{j * len(KINDS) + x + 1}" for x, kind in enumerate(KINDS)}
        for gov in browser_portals(farm, hosts, YEARS, offsite=OFFSITE):
            gov.id = f"{gov.id}{j}"
            govs.append(gov)
    farm.add(OFFSITE, "/t.js", Resource(b""))
    farm.start()
    # Pages only a browser reads: a challenge site's or the XHR site's list page, each hidden-data report page.
    need = sum(len(g.expected) if g.family == "hidden" else 1 for g in govs if g.family in KINDS)
    conn.send(([(g.id, g.name, g.host, g.list_path, len(g.expected)) for g in govs], farm.port, need))
    conn.recv()
    farm.stop()


def crawl(entries, port: int, delay: float, browser: bool, conn) -> None:
    """Child process: one crawl, its figures sent back."""
    os.environ["FZZF_BROWSER"] = "1" if browser else "0"
    registry = parse_registry(
        {"governments": [{"id": gid, "name": name, "level": "county", "province": "测试省",
                          "list_urls": [f"http://{host}:{port}{path}"]} for gid, name, host, path, _n in entries]},
        "bench.yaml",
    )  # fmt: skip
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], browser_mod.process_tree_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    data = Path(tempfile.mkdtemp(prefix="fzzf-bench-browser-"))
    try:
        politeness = Politeness(delay=delay, allow_private_hosts=True, workers=16, timeout=20, retries=1, backoff=0)
        summary = run_crawl(list(registry), data, politeness)
    finally:
        done.set()
        sampler.join()
        shutil.rmtree(data, ignore_errors=True)
    shared = next(iter(browser_mod._shared.values()), None)
    found = sum(r.reports_found for r in summary.results)
    conn.send({
        "seconds": summary.seconds, "pages": sum(r.pages_fetched for r in summary.results) + found,
        "requests": summary.requests, "found": found, "expected": sum(e[4] for e in entries),
        "browser_pages": shared.stats.pages if shared else 0, "browser_requests": shared.stats.requests if shared else 0,
        "blocked": len(shared.stats.blocked) if shared else 0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "browser_mb": peak[0],
        "failed": sum(1 for r in summary.results if r.status != "ok"),
    })  # fmt: skip
    if shared:
        shared.close()


def run(label: str, n_plain: int, n_browser: int, delay: float, browser: bool) -> dict:
    ctx = multiprocessing.get_context("fork")
    farm_end, farm_child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(n_plain, n_browser, farm_child), daemon=True)
    server.start()
    entries, port, need = farm_end.recv()
    end, child = ctx.Pipe()
    worker = ctx.Process(target=crawl, args=(entries, port, delay, browser, child))
    worker.start()
    r = end.recv()
    worker.join(60)
    farm_end.send("stop")
    server.join(30)
    share = r["browser_requests"] / r["requests"] if r["requests"] else 0.0
    print(
        f"{label:<28} {r['seconds']:6.1f} s  {r['pages']:4d} pages  {r['pages'] / r['seconds']:6.1f} pages/s  "
        f"{r['requests']:4d} requests  browser: {r['browser_pages']:3d} pages (need {need if browser else 0}), "
        f"{r['browser_requests']:3d} requests ({100 * share:4.1f}%), {r['blocked']} blocked  "
        f"reports {r['found']}/{r['expected']}  governments not ok {r['failed']}  "
        f"peak RSS crawler {r['rss_mb']:.0f} MB, browser {r['browser_mb']:.0f} MB"
    )
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--governments", type=int, default=12, help="per farm kind; browser ones are a multiple of 4")
    ap.add_argument("--delay", type=float, default=0.05)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = args.governments
    print(f"Chromium: {browser_mod.find_chromium() or 'not found'}; {len(YEARS)} report years per government; "
          f"delay {args.delay} s per host; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")  # fmt: skip
    run("plain farm", n, 0, args.delay, browser=True)
    run("browser farm, with Chromium", 0, n, args.delay, browser=True)
    run("browser farm, FZZF_BROWSER=0", 0, n, args.delay, browser=False)
    run("mixed farm, with Chromium", n, n, args.delay, browser=True)
    run("mixed farm, FZZF_BROWSER=0", n, n, args.delay, browser=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
