"""Is each landed report signed by its own government? The crawler's own rule
(scrapers.collect.judge.issued_elsewhere), applied here to every distinct (government, issuer) pair, so the
warehouse and the crawl never judge a signature differently: the rule has one home, in Python.

A report the crawler judged a repost was never landed; this model matters for rows landed under an older rule or
before the registry gained an alias. A pair is a few thousand rows even for 100,000 reports.
"""

from types import SimpleNamespace

import pyarrow as pa

from scrapers.collect.judge import issued_elsewhere

SCHEMA = pa.schema(
    [
        ("government_id", pa.string()),
        ("issuer", pa.string()),
        ("is_own_issuer", pa.bool_()),
        ("issuer_verdict", pa.string()),  # the crawler's reason when another government signed it, else null
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    governments = {
        gid: SimpleNamespace(name=name, aliases=tuple(aliases or ()), level=level)
        for gid, name, aliases, level in dbt.ref("stg_registry__governments")
        .project("government_id, name, aliases, level")
        .fetchall()
    }
    pairs = (
        dbt.ref("int_reports__landed")
        .filter("issuer is not null and trim(issuer) <> ''")
        .project("government_id, issuer")
        .distinct()
        .fetchall()
    )
    rows = []
    for gid, issuer in pairs:
        gov = governments.get(gid)
        if gov is None:  # not registered: int_reports__versions drops the report anyway
            continue
        verdict = issued_elsewhere(gov, issuer)
        rows.append(
            {"government_id": gid, "issuer": issuer, "is_own_issuer": verdict is None, "issuer_verdict": verdict}
        )
    return pa.Table.from_pylist(rows, schema=SCHEMA)
