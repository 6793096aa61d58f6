"""dbt docs of the published warehouse (``fzzf docs``, ``make docs``): the models' and columns' descriptions, the
lineage up to the exposures (the coverage page, the alerts), and the catalog of what the published file holds.

``dbt docs generate`` runs with the profile's target ``docs``, which opens ``DATA_DIR/warehouse.duckdb`` read-only:
it can neither alter the file analysts read nor lock out its other readers, and a publish meanwhile replaces the
file by rename without waiting. Its target and logs go to ``DATA_DIR/docs/`` (never the build's ``build/dbt/``, so a
build running at the same time keeps its own). Served on 127.0.0.1 only.

Offline: dbt's ``index.html`` reads ``manifest.json`` and ``catalog.json`` beside it and fetches nothing else; the
one script it could load from the internet, dbt's usage tracker, it loads only when the manifest says
``send_anonymous_usage_stats``, which ``run_dbt`` always turns off. ``static_index.html`` holds both files inline,
for opening without a server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from scrapers.settings import DEFAULT_REGISTRY
from scrapers.warehouse.dbt_runner import DbtResult, run_dbt
from scrapers.warehouse.paths import docs_dir, published_path

__all__ = ["DEFAULT_PORT", "DocsFailed", "DocsResult", "generate_docs", "serve_docs"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 8081  # not 8080: `make airflow` serves its UI there


class DocsFailed(RuntimeError):
    """dbt docs generate failed; the message is dbt's, node by node."""


@dataclass(frozen=True)
class DocsResult:
    site: Path  # the directory to serve: index.html, manifest.json, catalog.json, static_index.html
    warehouse: Path
    dbt: DbtResult

    def describe(self) -> str:
        return (
            f"dbt docs of {self.warehouse} written to {self.site} in {self.dbt.seconds:.1f}s\n"
            f"  offline, without a server: {self.site / 'static_index.html'}"
        )


def generate_docs(data_dir: Path, registry_path: Path | None = None) -> DocsResult:
    """``dbt docs generate`` for the published warehouse of ``data_dir``; ``FileNotFoundError`` when there is none.

    The vars are the published build's: its as-of day and the registry the data directory was crawled with
    (``registry_path`` overrides), so the compiled SQL shown is the SQL that built the file.
    """
    from scrapers.registry.record import registry_for
    from scrapers.warehouse.connect import reading
    from scrapers.warehouse.published import require_built

    data_dir = Path(data_dir)
    warehouse = require_built(published_path(data_dir), "there is nothing to document")
    with reading(warehouse) as con:
        (as_of,) = con.execute("select max(as_of) from marts.report_coverage").fetchone()
    if as_of is None:  # no government registered: any day compiles the same SQL
        from scrapers import clock

        as_of = clock.today()
    registry = registry_for(data_dir, registry_path, DEFAULT_REGISTRY)
    work = docs_dir(data_dir)
    result = run_dbt(
        data_dir, registry, as_of, warehouse, command="docs generate --static", target="docs", work_dir=work
    )
    if not result.success:
        raise DocsFailed(result.describe())
    return DocsResult(site=work / "target", warehouse=warehouse, dbt=result)


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        log.debug("docs server: " + format, *args)


def serve_docs(site: Path, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """An HTTP server for ``site`` on 127.0.0.1:``port`` (0: any free port), not yet started: the caller runs
    ``serve_forever()`` (in a thread for a test) and ``server_close()``. Loopback only, as ``make airflow``: a
    docs site for one analyst's machine, not a public server."""
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, directory=str(site)))
    server.daemon_threads = True
    return server
