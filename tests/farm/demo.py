"""The demo's data as ``fzzf demo`` builds it, without Airflow (its DAG tasks are one call each into the same
functions): the bundled demo portal on 127.0.0.1 crawled by ``run_crawl``, then ``run_build`` for today. One home for
the tests that read a demo warehouse (README queries, the coverage page, dbt docs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scrapers import clock
from scrapers.collect.crawl import run_crawl
from scrapers.demo.portal import DemoPortal
from scrapers.registry.governments import load_registry
from scrapers.settings import Politeness
from scrapers.warehouse.build import run_build

POLITE = Politeness(delay=0, retries=1, backoff=0, timeout=5, allow_private_hosts=True, workers=4)


def build_demo(data: Path, *, send_alerts: bool = False, extra_registry: str = "") -> tuple[Path, dt.date]:
    """Crawl the demo portal into ``data`` and publish a build as of today; returns the registry and the as-of day.
    ``extra_registry``: YAML entries appended to the demo's registry, not crawled (e.g. a government without a URL);
    ``send_alerts``: the alert state records what the channel (the outbox file) was told."""
    with DemoPortal() as portal:
        registry = data / "demo-registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        crawled = list(load_registry(registry))
        if extra_registry:
            registry.write_text(portal.registry_yaml() + extra_registry, encoding="utf-8")
        run_crawl(crawled, data, POLITE)
    as_of = clock.today()
    build = run_build(data, registry, as_of, send_alerts=send_alerts)
    assert build.published, build.describe()
    return registry, as_of
