"""The ``fzzf`` command line: every pipeline step runs and debugs here without Airflow.

Exit codes: 0 success, 1 pipeline failure (a failed gate, every portal down), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import logging
import sys
from pathlib import Path

from scrapers import clock, logs, settings
from scrapers.registry.governments import RegistryError, load_registry
from scrapers.settings import DEFAULT_REGISTRY, SettingsError

log = logging.getLogger("fzzf")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem the user fixes in the command line or the configuration (exit code 2)."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {value!r}") from None


def _add_common(p: argparse.ArgumentParser, registry: bool = True, *, crawled_registry: bool = False) -> None:
    p.add_argument("--data-dir", help="data directory (default: $FZZF_DATA_DIR or ./data)")
    shipped = "the one the data directory was crawled with" if crawled_registry else "the one shipped with fzzf"
    if registry:
        p.add_argument("--registry", help=f"registry YAML (default: $FZZF_REGISTRY, else {shipped})")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("fzzf")  # pyproject.toml's, as installed
    except metadata.PackageNotFoundError:  # run from a checkout without installing
        from scrapers import __version__

        return f"{__version__} (not installed)"


def build_parser() -> argparse.ArgumentParser:
    # The docstring's first line in plain text: a terminal prints reST's ``quotes`` as they are.
    parser = argparse.ArgumentParser(prog="fzzf", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="the step to run; fzzf COMMAND --help for its options"
    )

    p = sub.add_parser("crawl", help="discover, fetch, extract and land reports")
    _add_common(p)
    p.add_argument("--only", nargs="+", metavar="ID", help="crawl only these government ids")
    p.add_argument(
        "--allow-private-hosts",
        action="store_true",
        help="allow loopback/private addresses (demo and tests); also FZZF_ALLOW_PRIVATE_HOSTS=1",
    )
    p.add_argument("--delay", type=float, help="seconds between requests to one host (default $FZZF_DELAY or 1)")
    p.add_argument("--no-progress", action="store_true", help="plain log lines even on a terminal")

    p = sub.add_parser("locate", help="find each government's report columns from its home page (column discovery)")
    _add_common(p)
    p.add_argument("--only", nargs="+", metavar="ID", help="only these government ids")
    p.add_argument("--write", action="store_true",
                   help="write list_urls suggestions to DATA_DIR/registry_suggestions.yaml and remember the columns "
                        "in the crawl state (the registry itself is never rewritten)")  # fmt: skip
    p.add_argument("--budget", type=int, help="requests per site (default $FZZF_LOCATE_BUDGET or 40)")
    p.add_argument("--allow-private-hosts", action="store_true", help="allow loopback/private addresses (tests)")
    p.add_argument("--delay", type=float, help="seconds between requests to one host (default $FZZF_DELAY or 1)")

    p = sub.add_parser("extract", help="extract saved pages; prints one JSON object per file (JSON Lines)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a saved HTML page")
    p.add_argument("--url", help="the URL the page was fetched from (resolves relative links)")

    p = sub.add_parser("build", help="dbt build, quality gate, publish")
    _add_common(p, crawled_registry=True)
    p.add_argument(
        "--as-of",
        type=_date,
        help="decides which reports are due (default: today in Beijing); another day is a what-if: written to "
        "DATA_DIR/whatif/<day>/, never published, no alerts",
    )
    p.add_argument("--no-alerts", action="store_true", help="do not send alerts after publishing")
    p.add_argument(
        "--drop-unregistered",
        action="store_true",
        help="build even when the registry lacks governments whose reports are landed (they are left out)",
    )
    p.add_argument("--full-refresh", action="store_true", help="build the warehouse from scratch, not incrementally")
    p.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even a build with far fewer reports, governments or years than the published warehouse "
        "(held otherwise); also FZZF_ALLOW_SHRINK=1",
    )

    p = sub.add_parser("missing", help="list missing reports from the published warehouse (or a what-if build's)")
    _add_common(p)  # --registry: the what-if build's (default: the one the data directory was crawled with)
    p.add_argument(
        "--as-of",
        type=_date,
        help="what would be missing on this day: runs a what-if build into DATA_DIR/whatif/<day>/ (never "
        "published, no alerts) and lists its missing reports",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines instead of a table")

    p = sub.add_parser(
        "alert",
        help="send alerts for reports that became missing since the last alert, and the weekly cannot-verify digest",
    )
    _add_common(p, registry=False)
    p.add_argument("--as-of", type=_date, help="today in Beijing (the default); alerts are only sent for today")

    p = sub.add_parser("explain", help="why one government's report for one year is (not) in the warehouse")
    p.add_argument("government_id", metavar="GOV_ID", help="the government's id in the registry")
    p.add_argument("year", type=int, metavar="YEAR", help="the report year (the year the report covers)")
    _add_common(p, crawled_registry=True)
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")

    p = sub.add_parser("report", help="one report's clean text and metadata, from the published warehouse")
    p.add_argument("government_id", metavar="GOV_ID", help="the government's id in the registry")
    p.add_argument("year", type=int, metavar="YEAR", help="the report year (the year the report covers)")
    _add_common(p, registry=False)
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")

    p = sub.add_parser("export", help="write one mart of the published warehouse as CSV or Parquet")
    p.add_argument("mart", metavar="MART", help="a table of schema marts, e.g. report_coverage")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default: csv)")
    p.add_argument("--out", metavar="PATH", help="file to write (default: ./MART.FORMAT)")
    _add_common(p, registry=False)

    p = sub.add_parser("docs", help="dbt docs of the published warehouse, served on 127.0.0.1")
    _add_common(p, crawled_registry=True)
    p.add_argument("--port", type=int, help="port on 127.0.0.1 (default 8081; 0: any free port)")
    p.add_argument("--no-serve", action="store_true", help="only write the docs to DATA_DIR/docs/target")

    p = sub.add_parser("links", help="the report links and further pages the crawler finds on one list page")
    p.add_argument("page", metavar="PAGE_FILE_OR_URL", help="a saved list page, or an http(s) URL to fetch once")
    p.add_argument("--url", help="the address the page was fetched from (required for a saved file)")
    p.add_argument("--gov", metavar="ID", help="judge off-site links by this government's hosts (default: the page's)")
    p.add_argument("--registry", help="registry YAML for --gov")
    p.add_argument("--data-dir", help="data directory whose host locks space a live fetch from a running crawl")
    p.add_argument("--allow-private-hosts", action="store_true", help="allow fetching from loopback/private addresses")
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")

    p = sub.add_parser("registry", help="validate a registry file and summarise it")
    p.add_argument("--registry", help="registry YAML (default: $FZZF_REGISTRY, else the one shipped with fzzf)")
    actions = p.add_subparsers(
        dest="registry_command", metavar="ACTION", help="what to do (none: validate and summarise the registry)"
    )
    r = actions.add_parser("resolve", help="find and verify each government's portal (provinces, prefectures, "
                           "counties), keep them in the data directory for the next crawl")  # fmt: skip
    # SUPPRESS: an absent --registry after `resolve` must not reset the one given before it.
    r.add_argument("--registry", default=argparse.SUPPRESS, help="registry YAML")
    r.add_argument("--data-dir", help="data directory (default: $FZZF_DATA_DIR or ./data)")
    r.add_argument("--only", nargs="+", metavar="ID", help="only these government ids")
    r.add_argument("--write", metavar="OUT", help="also write the whole registry with the found home_urls to OUT")
    r.add_argument("--allow-private-hosts", action="store_true", help="allow loopback/private addresses (tests; "
                   "needed for FZZF_HOSTS)")  # fmt: skip
    r.add_argument("--budget", type=int, help="attempts per government (default 40)")
    r.add_argument("--delay", type=float, help="seconds between requests to one host (default $FZZF_DELAY or 1)")

    p = sub.add_parser("demo", help="the whole pipeline offline against the bundled demo portal")
    p.add_argument("--data-dir", help="where the demo writes (default: ./data/demo)")
    p.add_argument("--as-of", type=_date, help="the day the demo pretends it is (default: today)")

    p = sub.add_parser("serve", help="the coverage page for analysts (in Chinese) over the published warehouse")
    p.add_argument("--data-dir", help="data directory (default: $FZZF_DATA_DIR or ./data)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")

    p = sub.add_parser("airflow", help="Airflow with the project's DAGs on 127.0.0.1:8080 (the demo's, by default)")
    p.add_argument("--port", type=int, default=8080, help="the port of the Airflow UI and API (default: 8080)")
    p.add_argument("--registry", help="crawl this registry (default: $FZZF_REGISTRY, else the demo portal)")
    p.add_argument(
        "--data-dir", help="with a registry: default $FZZF_DATA_DIR or ./data; without: the demo's, data/demo"
    )
    return parser


def _load_registry(args):
    return load_registry(settings.registry_path(getattr(args, "registry", None)))


def _politeness(args) -> settings.Politeness:
    """The environment's politeness with the command line's --allow-private-hosts and --delay on top."""
    from dataclasses import replace

    politeness = settings.Politeness()
    if args.allow_private_hosts:
        politeness = replace(politeness, allow_private_hosts=True)
    if args.delay is not None:
        politeness = replace(politeness, delay=args.delay)
    return politeness


def cmd_crawl(args) -> int:
    # Validate the registry before importing the crawler: a bad file must fail fast and write nothing.
    from scrapers.registry.resolve.store import with_found_portals

    # Portals `fzzf registry resolve` proved are crawled from their home page without anyone editing the YAML.
    registry = with_found_portals(_load_registry(args), settings.data_dir(args.data_dir))
    governments = registry.select(args.only)

    from scrapers.collect.contact import check_contact
    from scrapers.collect.crawl import run_crawl
    from scrapers.registry.record import record

    politeness = _politeness(args)
    check_contact(politeness, [u for g in governments for u in g.crawl_urls])  # refused before anything is written
    data_dir = settings.data_dir(args.data_dir)
    changed = record(data_dir, registry)  # the build must know which registry these landing files belong to
    if changed:
        print(changed)
    summary = run_crawl(
        governments,
        data_dir=data_dir,
        politeness=politeness,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    print(summary.describe())
    return EXIT_FAILED if summary.all_failed else EXIT_OK


def cmd_locate(args) -> int:
    registry = _load_registry(args)
    governments = registry.select(args.only)
    if args.budget is not None and args.budget < 1:
        raise UsageError(f"--budget must be at least 1, got {args.budget}")

    from scrapers.collect.suggestions import locate_governments

    politeness = _politeness(args)
    outcome = locate_governments(
        governments, settings.data_dir(args.data_dir), politeness, budget=args.budget, write=args.write
    )
    print(outcome.describe())
    return EXIT_OK if outcome.any_found or not governments else EXIT_FAILED


def cmd_extract(args) -> int:
    from scrapers.extract import extract_page

    status = EXIT_OK
    for name in args.paths:
        path = Path(name)
        try:
            content = path.read_bytes()
        except OSError as exc:
            print(f"fzzf extract: {path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        page = extract_page(content, url=args.url)
        print(json.dumps({"path": str(path), **page.as_dict()}, ensure_ascii=False))
    return status


def cmd_build(args) -> int:
    from scrapers.warehouse.build import run_build

    as_of = args.as_of or clock.today()
    result = run_build(
        data_dir=settings.data_dir(args.data_dir),
        registry_path=settings.explicit_registry_path(args.registry),
        as_of=as_of,
        send_alerts=not args.no_alerts,
        what_if=clock.is_what_if(as_of),
        drop_unregistered=args.drop_unregistered,
        full_refresh=args.full_refresh,
        allow_shrink=args.allow_shrink,
    )
    if result.failed_step in ("registry", "nothing crawled"):
        print(f"fzzf build: {result.message}", file=sys.stderr)
        return EXIT_USAGE
    if result.notice is not None and logging.getLogger("fzzf.notify").isEnabledFor(logging.WARNING):
        # The "not published" notice carried the summary and was logged with it just above: print it once.
        print(f"fzzf build: {result.headline()} (summary in the alert above; {result.notice})", file=sys.stderr)
        return EXIT_FAILED
    print(result.describe())
    return EXIT_OK if result.published else EXIT_FAILED


def cmd_missing(args) -> int:
    from scrapers.warehouse.build import run_build
    from scrapers.warehouse.paths import published_path
    from scrapers.warehouse.published import missing_reports, stale_warning

    data_dir = settings.data_dir(args.data_dir)
    if args.as_of is None:
        rows = missing_reports(published_path(data_dir))
        warning = stale_warning(data_dir, published_path(data_dir))
        if warning:
            print(warning, file=sys.stderr)
    else:
        # Another day is answered by dbt building for that day, so the status rule (unknown, held, grace) is
        # applied as it would be then, never re-derived here from the published day's statuses.
        result = run_build(
            data_dir=data_dir,
            registry_path=settings.explicit_registry_path(args.registry),
            as_of=args.as_of,
            send_alerts=False,
            what_if=True,
        )
        if not result.published:
            print(
                f"fzzf missing: the what-if build as of {args.as_of} failed at step {result.failed_step!r}; "
                "no missing reports can be listed for that day",
                file=sys.stderr,
            )
            print(result.describe(), file=sys.stderr)
            return EXIT_USAGE if result.failed_step == "registry" else EXIT_FAILED
        print(f"missing as of {args.as_of}, from the what-if build {result.warehouse}", file=sys.stderr)
        rows = missing_reports(result.warehouse)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
        return EXIT_OK
    if not rows:
        print("no missing reports")
        return EXIT_OK
    print(f"{len(rows)} missing report(s):")
    for r in rows:
        print(
            f"  {r['government_id']:<12} {r['name']:<24} {r['report_year']}  due {r['due_date']}  {r['days_overdue']} days overdue"
        )
    return EXIT_OK


def cmd_alert(args) -> int:
    from scrapers.alerts.missing import send_missing_alerts
    from scrapers.alerts.unknown import send_unknown_digest

    as_of = args.as_of or clock.today()
    if clock.is_what_if(as_of):
        raise UsageError(
            f"--as-of {as_of} is not today ({clock.today()}): alerts are only sent for today; "
            "`fzzf missing --as-of` shows what would be missing then"
        )
    outcomes = [send_missing_alerts(settings.data_dir(args.data_dir), as_of=as_of)]
    outcomes.append(send_unknown_digest(settings.data_dir(args.data_dir), as_of=as_of))
    print("\n".join(o.describe() for o in outcomes))
    # Non-zero when something was due to go out and no channel took it (the state keeps it for the next run).
    return EXIT_OK if all(o.delivered for o in outcomes) else EXIT_FAILED


def cmd_explain(args) -> int:
    from scrapers.registry.record import registry_for
    from scrapers.warehouse.explain import NotAReportYear, UnknownGovernment, UnreadableData, explain, render_text

    data_dir = settings.data_dir(args.data_dir)
    # as `fzzf build` does: without --registry, the registry this data directory was crawled with
    registry = load_registry(registry_for(data_dir, settings.explicit_registry_path(args.registry), DEFAULT_REGISTRY))
    try:
        result = explain(data_dir, registry, args.government_id, args.year)
    except (UnknownGovernment, NotAReportYear) as exc:
        raise UsageError(str(exc)) from None
    except UnreadableData as exc:
        print(f"fzzf explain: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(result, ensure_ascii=False, default=str) if args.json else render_text(result))
    return EXIT_OK


def cmd_report(args) -> int:
    from scrapers.warehouse.paths import published_path
    from scrapers.warehouse.report import NoReport, UnknownGovernment, read_report, render_text

    try:
        report = read_report(published_path(settings.data_dir(args.data_dir)), args.government_id, args.year)
    except UnknownGovernment as exc:
        raise UsageError(str(exc)) from None
    except NoReport as exc:
        print(f"fzzf report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(report, ensure_ascii=False, default=str) if args.json else render_text(report))
    return EXIT_OK


def cmd_export(args) -> int:
    from scrapers.warehouse.export import UnknownMart, export_mart
    from scrapers.warehouse.paths import published_path

    warehouse = published_path(settings.data_dir(args.data_dir))
    try:
        out, count = export_mart(warehouse, args.mart, args.format, Path(args.out) if args.out else None)
    except UnknownMart as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {out}: marts.{args.mart}, {count} rows ({args.format})")
    return EXIT_OK


def cmd_docs(args) -> int:
    from scrapers.warehouse.docs import DEFAULT_PORT, DocsFailed, generate_docs, serve_docs

    try:
        docs = generate_docs(settings.data_dir(args.data_dir), settings.explicit_registry_path(args.registry))
    except DocsFailed as exc:
        print(f"fzzf docs: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(docs.describe())
    if args.no_serve:
        return EXIT_OK
    server = serve_docs(docs.site, DEFAULT_PORT if args.port is None else args.port)
    print(f"serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def cmd_links(args) -> int:
    from dataclasses import replace
    from urllib.parse import urlsplit

    from scrapers.collect.pagelinks import PageError, judge_page, read_page, render_text

    allowed = None
    if args.gov:
        registry = _load_registry(args)
        try:
            gov = registry.get(args.gov)
        except KeyError:
            raise UsageError(f"{registry.path}: no government with id {args.gov!r}") from None
        # the crawl's own set (scrapers.collect.crawl): its list and report URLs' hosts and extra_hosts
        allowed = {urlsplit(u).hostname or "" for u in gov.crawl_urls} | set(gov.extra_hosts)
    politeness = settings.Politeness()
    if args.allow_private_hosts:
        politeness = replace(politeness, allow_private_hosts=True)
    data_dir = Path(args.data_dir) if args.data_dir else None
    try:
        content, content_type, url, fetcher = read_page(args.page, args.url, politeness, data_dir)
    except PageError as exc:
        raise UsageError(str(exc)) from None
    try:
        result = judge_page(content, url, content_type, allowed, fetcher)
    finally:
        if fetcher is not None:
            fetcher.close()
    print(json.dumps(result, ensure_ascii=False) if args.json else render_text(result))
    return EXIT_OK


def cmd_registry(args) -> int:
    if getattr(args, "registry_command", None) == "resolve":
        return cmd_registry_resolve(args)
    registry = _load_registry(args)
    by_level: dict[str, int] = {}
    for gov in registry:
        by_level[gov.level] = by_level.get(gov.level, 0) + 1
    unverified = sum(1 for g in registry if not g.verified)
    levels = ", ".join(f"{k} {v}" for k, v in sorted(by_level.items()))
    best = {k: 0 for k in ("list", "report", "home", "none")}
    for gov in registry:
        best[gov.url_status] += 1
    urls = ", ".join(f"{k} {v}" for k, v in best.items())
    print(f"{registry.path}: {len(registry)} governments ({levels}); {unverified} with unverified list URLs; "
          f"best URL known: {urls}")  # fmt: skip
    return EXIT_OK


def cmd_registry_resolve(args) -> int:
    registry = _load_registry(args)
    registry.select(args.only)  # an unknown id is a usage error before anything is fetched
    if args.budget is not None and args.budget < 1:
        raise UsageError(f"--budget must be at least 1, got {args.budget}")
    from scrapers.registry.resolve import store
    from scrapers.registry.resolve.run import resolve_registry

    data_dir = settings.data_dir(args.data_dir)
    try:
        outcome = resolve_registry(registry, data_dir, _politeness(args), only=args.only, budget=args.budget)
    except store.ResolvedFileError as exc:
        raise UsageError(str(exc)) from None
    print(outcome.describe())
    print(f"results: {data_dir / 'registry' / store.FILE} (used by the next crawl); to decide by hand: "
          f"{data_dir / 'registry' / store.REVIEW}")  # fmt: skip
    if args.write:
        added = store.write_registry(registry, data_dir, Path(args.write))
        print(f"wrote {args.write}: every entry of {registry.path}, {added} with a found home_url")
    return EXIT_OK


def cmd_demo(args) -> int:
    from scrapers.demo.run import demo_dir, run_demo

    return run_demo(data_dir=demo_dir(args.data_dir), as_of=args.as_of)


def cmd_serve(args) -> int:
    from scrapers.coverage_page.server import serve

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, got {args.port}")
    serve(settings.data_dir(args.data_dir), host=args.host, port=args.port)
    return EXIT_OK


def cmd_airflow(args) -> int:
    from scrapers.orchestration.airflow_local import run_local

    return run_local(port=args.port, data_dir=args.data_dir, registry=args.registry)


COMMANDS = {
    "crawl": cmd_crawl,
    "locate": cmd_locate,
    "extract": cmd_extract,
    "build": cmd_build,
    "missing": cmd_missing,
    "alert": cmd_alert,
    "explain": cmd_explain,
    "report": cmd_report,
    "export": cmd_export,
    "docs": cmd_docs,
    "links": cmd_links,
    "registry": cmd_registry,
    "demo": cmd_demo,
    "serve": cmd_serve,
    "airflow": cmd_airflow,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse exits 2 on bad usage, as the contract wants
    try:
        logs.configure(args.verbose)  # project at INFO, libraries (GX, dbt, urllib3, ...) at WARNING
    except logs.LogLevelError as exc:
        print(f"fzzf {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except RegistryError as exc:
        print(f"fzzf {args.command}: registry error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, SettingsError) as exc:
        print(f"fzzf {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # Permission denied, disk full, a data dir that is a file: the user fixes the machine, not the code, so a
        # one-line message naming the path beats a traceback. Files land atomically, so nothing half-written stays.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"fzzf {args.command}: {where}{exc.strerror or exc}", file=sys.stderr)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            print(f"fzzf {args.command}: the disk is full; free space and run again", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
