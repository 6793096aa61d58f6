"""The registry of governments, read by the crawler's own loader (scrapers.registry) from the file the crawler uses.

No seed, no copy: a registry edit is in the warehouse at the next build, and a registry the crawler would reject
fails the build with the same message (file, entry, field).
"""

import pyarrow as pa
from scrapers.registry import load_registry

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
        ("extra_hosts", pa.list_(pa.string())),
        ("aliases", pa.list_(pa.string())),
        ("reports_from", pa.int32()),
        ("due_month", pa.int32()),
        ("due_day", pa.int32()),
        ("grace_days", pa.int32()),
        ("is_verified", pa.bool_()),
        ("registry_path", pa.string()),
    ]
)


def model(dbt, session):
    path = dbt.config.get("registry_path")
    registry = load_registry(path)
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
                "extra_hosts": list(gov.extra_hosts),
                "aliases": list(gov.aliases),
                "reports_from": gov.reports_from,
                "due_month": month,
                "due_day": day,
                "grace_days": gov.grace_days,
                "is_verified": gov.verified,
                "registry_path": str(registry.path),
            }
        )
    return pa.Table.from_pylist(rows, schema=SCHEMA)
