"""Landing gate results kept between builds, so each immutable landing file is validated once per suite version.

The cache holds *batches*: the landing files one gate run validated together, each file with its stat key
(size, mtime_ns, ctime_ns, inode), and what the suite's row-local expectations found in them (unexpected and
element counts per expectation, the quarantine entries), plus, as a small Parquet file, the columns the
table-wide expectations (``expect_column_values_to_be_unique``, …) need, which are run on every build over all rows.

A batch is reused only when every one of its files still has the same stat key (any write to a file changes its
ctime, a rename-over changes its inode) and the gate's fingerprint is the same: the suite JSON, the expectation
parameters (as-of year), the landing stream's columns, the gate's own source code and the GX version. Anything
else — a new file, a changed or vanished file of a batch, a suite edit — sends those files (or everything) through
GX again. Results are additive over rows, so a merged result equals a full run's (tests/gates/test_landing_cache.py).

Layout: ``DATA_DIR/build/landing_gate/<stream>.json`` (index) and ``<stream>/<batch>.parquet``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from scrapers.gate.suites import Suite
from scrapers.landing import atomic_write_bytes

MAX_BATCHES = 16  # more batches than this are merged into one (results are additive, so merging is exact)

# Expectations whose verdict on a row depends on that row alone: their results over a set of files are the sum of
# their results per file. Anything else (uniqueness, aggregates, `mostly`) is table-wide and runs on all rows.
ROW_LOCAL = frozenset(
    {
        "expect_column_values_to_be_null",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_match_like_pattern",
        "expect_column_values_to_not_match_like_pattern",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    }
)


def is_row_local(expectation: dict[str, Any]) -> bool:
    kwargs = expectation.get("kwargs") or {}
    mostly = kwargs.get("mostly")
    return expectation["type"] in ROW_LOCAL and (mostly is None or mostly == 1)


def table_wide_columns(suite: Suite) -> list[str]:
    """Key columns plus every column a table-wide expectation reads: what a batch keeps for later builds."""
    columns = list(suite.key)
    for exp in suite.expectations():
        if is_row_local(exp):
            continue
        kwargs = exp.get("kwargs") or {}
        for name in [
            kwargs.get("column"),
            kwargs.get("column_A"),
            kwargs.get("column_B"),
            *kwargs.get("column_list", []),
        ]:
            if name and name not in columns:
                columns.append(name)
    return columns


def cache_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "build" / "landing_gate"


def stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


_CODE = ("landing.py", "landing_cache.py", "suites.py")


def fingerprint(suite: Suite, parameters: dict[str, Any], columns: dict[str, str]) -> str:
    """Changes whenever a cached verdict could: suite (as resolved), parameters, stream columns, gate code, GX version."""
    h = hashlib.sha256()
    # the resolved suite: a "$package" value (chrome markers, look-alikes) that changes re-checks every file
    h.update(json.dumps(suite.document, sort_keys=True, ensure_ascii=False, default=str).encode())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    h.update(json.dumps(columns, sort_keys=True).encode())
    here = Path(__file__).parent
    for name in _CODE:
        h.update((here / name).read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):
        h.update(metadata.version("great-expectations").encode())
    return h.hexdigest()


@dataclass
class Batch:
    """What one gate run found in a set of files; every count and list is additive over rows."""

    files: dict[str, list[int]]  # path relative to the stream directory -> stat key
    rows: int = 0
    counts: dict[int, list[int]] = field(default_factory=dict)  # expectation index -> [unexpected, elements]
    entries: list[list[str]] = field(default_factory=list)  # [record_id, expectation, reason]
    frame_file: str | None = None  # Parquet of table_wide_columns(suite), one row per landed row

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rows": self.rows,
            "counts": {str(k): v for k, v in self.counts.items()},
            "entries": self.entries,
            "frame_file": self.frame_file,
        }

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Batch:
        return cls(
            files=doc["files"],
            rows=doc["rows"],
            counts={int(k): v for k, v in doc["counts"].items()},
            entries=doc["entries"],
            frame_file=doc.get("frame_file"),
        )


class StreamCache:
    """The cached batches of one landing stream under one fingerprint."""

    def __init__(self, data_dir: Path, stream: str, fingerprint: str):
        self.root = cache_dir(data_dir)
        self.stream, self.fingerprint = stream, fingerprint
        self.index = self.root / f"{stream}.json"
        self.frames = self.root / stream
        self.batches: list[Batch] = []
        try:
            doc = json.loads(self.index.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return
        if doc.get("fingerprint") == fingerprint:
            with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
                self.batches = [Batch.of(b) for b in doc["batches"]]

    def split(self, current: dict[str, list[int]]) -> tuple[list[Batch], list[str]]:
        """(batches still valid, files to validate): a batch counts only if every one of its files is unchanged."""
        valid, covered = [], set()
        for batch in self.batches:
            if all(current.get(name) == key for name, key in batch.files.items()) and self._frame_ok(batch):
                valid.append(batch)
                covered.update(batch.files)
        return valid, sorted(name for name in current if name not in covered)

    def _frame_ok(self, batch: Batch) -> bool:
        return batch.frame_file is None or (self.frames / batch.frame_file).exists()

    def read_frame(self, batch: Batch) -> pd.DataFrame | None:
        return pd.read_parquet(self.frames / batch.frame_file) if batch.frame_file else None

    def save(self, batches: list[Batch], frames: dict[int, pd.DataFrame]) -> None:
        """Write the index atomically; ``frames`` maps a position in ``batches`` to the frame a new batch keeps."""
        self.frames.mkdir(parents=True, exist_ok=True)
        for pos, frame in frames.items():
            name = f"{secrets.token_hex(8)}.parquet"
            tmp = self.frames / f".{name}.tmp"
            frame.to_parquet(tmp, index=False)
            tmp.replace(self.frames / name)
            batches[pos].frame_file = name
        doc = {"fingerprint": self.fingerprint, "batches": [b.as_json() for b in batches]}
        atomic_write_bytes(self.index, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        keep = {b.frame_file for b in batches if b.frame_file}
        for stale in self.frames.glob("*.parquet"):
            if stale.name not in keep:
                stale.unlink(missing_ok=True)


def merge(batches: list[Batch], frames: list[pd.DataFrame | None]) -> tuple[Batch, pd.DataFrame | None]:
    """One batch with the union of the files and the sums of the counts (exact: every result is additive)."""
    merged = Batch(files={})
    for batch in batches:
        merged.files.update(batch.files)
        merged.rows += batch.rows
        for idx, (unexpected, elements) in batch.counts.items():
            total = merged.counts.setdefault(idx, [0, 0])
            total[0] += unexpected
            total[1] += elements
        merged.entries += batch.entries
    present = [f for f in frames if f is not None and len(f)]
    frame = pd.concat(present, ignore_index=True) if present else (frames[0] if frames else None)
    return merged, frame
