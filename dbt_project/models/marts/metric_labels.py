"""The Chinese name and unit of every code marts.report_metrics.metric can hold, read from the extractor's own rules
(scrapers.extract.metrics.TOPICS): a code and its label have one home, so a new figure cannot reach the warehouse
without its label.
"""

import pyarrow as pa

from scrapers.extract.metrics import TOPICS

SCHEMA = pa.schema(
    [
        ("metric", pa.string()),
        ("label", pa.string()),
        ("topic", pa.string()),
        ("unit", pa.string()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    rows = [
        {"metric": field.metric, "label": field.label, "topic": topic.name, "unit": field.unit}
        for topic in TOPICS
        for field in topic.fields
    ]
    return pa.Table.from_pylist(rows, schema=SCHEMA)
