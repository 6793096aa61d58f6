"""The dbt sources declare exactly the landing columns (names, order, types) that scrapers.landing.STREAMS writes."""

from __future__ import annotations

import json
import re

import yaml

from scrapers.landing import STREAMS
from scrapers.settings import DBT_PROJECT_DIR

SOURCES = DBT_PROJECT_DIR / "models" / "staging" / "_landing__sources.yml"


def landing_tables() -> dict[str, dict]:
    doc = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    (landing,) = [s for s in doc["sources"] if s["name"] == "landing"]
    return {t["name"]: t for t in landing["tables"]}


def test_source_tables_are_the_landing_streams():
    assert list(landing_tables()) == list(STREAMS)


def test_source_columns_equal_landing_streams():
    for stream, table in landing_tables().items():
        declared = {c["name"]: c["data_type"] for c in table["columns"]}
        assert list(declared.items()) == list(STREAMS[stream].items()), stream
        assert all(c.get("description") for c in table["columns"]), stream


def test_external_location_reads_the_declared_columns_with_their_types():
    # json_transform_strict(line, '{...}') fixes the schema DuckDB reads; it must be the same mapping as STREAMS.
    for stream, table in landing_tables().items():
        location = table["meta"]["external_location"]
        assert f"/landing/{stream}/**/*.jsonl" in location
        structure = re.search(r"json_transform_strict\(line, '(\{.*?\})'\)", location, re.S).group(1)
        assert list(json.loads(structure).items()) == list(STREAMS[stream].items()), stream


def test_every_landing_stream_declares_freshness_on_its_load_time():
    doc = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    (landing,) = [s for s in doc["sources"] if s["name"] == "landing"]
    assert landing["config"]["freshness"]["error_after"]["count"] > 0
    for stream, table in landing_tables().items():
        assert STREAMS[stream][table["loaded_at_field"]] == "TIMESTAMP", stream
