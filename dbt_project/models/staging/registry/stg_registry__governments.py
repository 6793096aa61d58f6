"""The registry of governments, validated by the crawler's own code (scrapers.registry.governments) from the file the crawler uses.

No seed, no copy: a registry edit is in the warehouse at the next build, and a registry the crawler would reject
fails the build with the same message (file, entry, field).

Incremental on the registry as a whole: parsing and validating 10,000 governments takes about two seconds on every
build, and the registry rarely changes. Each row carries the fingerprint of what it was read from (the file's path
and bytes, and the parser's source); a build whose fingerprint matches the table's keeps the table, any other
replaces every row.
"""

import hashlib
from pathlib import Path

import pyarrow as pa
import yaml

from scrapers.registry import governments as registry_module
from scrapers.registry.governments import load_registry, parse_registry
from scrapers.registry.resolve import store as found_portals

SCHEMA = pa.schema(
    [
        ("government_id", pa.string()),
        ("parent_id", pa.string()),
        ("division_code", pa.string()),
        ("name", pa.string()),
        ("level", pa.string()),
        ("province", pa.string()),
        ("due", pa.string()),
        ("note", pa.string()),
        ("list_urls", pa.list_(pa.string())),
        ("report_urls", pa.list_(pa.string())),
        ("home_url", pa.string()),
        ("url_status", pa.string()),
        ("extra_hosts", pa.list_(pa.string())),
        ("aliases", pa.list_(pa.string())),
        ("reports_from", pa.int32()),
        ("due_month", pa.int32()),
        ("due_day", pa.int32()),
        ("grace_days", pa.int32()),
        ("is_verified", pa.bool_()),
        ("registry_path", pa.string()),
        ("registry_fingerprint", pa.string()),
    ]
)


def read_registry(path):
    """parse_registry on libyaml's parser when it is there (5x faster than PyYAML's pure-Python one on a registry of
    thousands of governments); anything the fast path cannot read goes through load_registry for its exact message."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return load_registry(path)
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - CSafeLoader is safe
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return load_registry(path)  # raises RegistryError naming the file (and line, column)
    return parse_registry(data, path)


def registry_fingerprint(path, data_dir) -> str:
    """Changes when the rows could: another file, other bytes, other found portals, another parser
    (scrapers.registry.governments, the found-portal merge)."""
    path = Path(path).resolve()
    digest = hashlib.sha256(str(path).encode())
    for part in (path, Path(registry_module.__file__), Path(found_portals.__file__)):
        try:
            digest.update(part.read_bytes())
        except OSError:
            return ""  # unreadable: never matches, so read_registry says what is wrong with it
    try:
        digest.update(found_portals.resolved_path(data_dir).read_bytes())
    except FileNotFoundError:
        digest.update(b"no found portals")
    except OSError:
        return ""
    return digest.hexdigest()


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    path = dbt.config.get("registry_path")
    data_dir = Path(dbt.config.get("data_dir"))
    fingerprint = registry_fingerprint(path, data_dir)
    if dbt.is_incremental:
        kept = session.execute(f"select distinct registry_fingerprint from {dbt.this}").fetchall()
        if fingerprint and kept == [(fingerprint,)]:
            return SCHEMA.empty_table()  # the same registry read by the same code: the rows are already there
    # The registry as the crawl reads it: a found portal is the home page of a government that had none, so its
    # coverage is judged from what its crawl read (a confirmed column), not reported as "no URL known".
    registry = found_portals.with_found_portals(read_registry(path), data_dir)
    if dbt.is_incremental:
        # Inside the model's transaction, before the append: a registry that fails to parse (above) keeps the old
        # rows, and a build that fails later rolls this back.
        session.execute(f"delete from {dbt.this}")
    rows = []
    for gov in registry:
        month, day = (int(x) for x in gov.due.split("-"))
        rows.append(
            {
                "government_id": gov.id,
                "parent_id": gov.parent_id,
                "division_code": gov.division_code,
                "name": gov.name,
                "level": gov.level,
                "province": gov.province,
                "due": gov.due,
                "note": gov.note,
                "list_urls": list(gov.list_urls),
                "report_urls": list(gov.report_urls),
                "home_url": gov.home_url,
                "url_status": gov.url_status,
                "extra_hosts": list(gov.extra_hosts),
                "aliases": list(gov.aliases),
                "reports_from": gov.reports_from,
                "due_month": month,
                "due_day": day,
                "grace_days": gov.grace_days,
                "is_verified": gov.verified,
                "registry_path": str(registry.path),
                "registry_fingerprint": fingerprint,
            }
        )
    return pa.Table.from_pylist(rows, schema=SCHEMA)
