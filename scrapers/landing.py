"""The landing zone: immutable files the crawler writes and dbt reads, each written atomically.

Layout under the data directory (the contract between crawler, dbt, gates and alerts)::

    raw/<aa>/<sha256>.gz                          raw response bytes, gzip, content-addressed (never rewritten)
    landing/reports/<run_id>/<government_id>.jsonl    one record per new or changed report version
    landing/crawl_log/<run_id>/<government_id>.jsonl  one row per source (list URL) and run: counts, status, error
    landing/links/<run_id>/<government_id>.jsonl      one row per link judged: decision and the reason for it
    landing/*/_empty.jsonl                        zero-byte file so dbt's globs match before the first crawl
    build/landing_files.jsonl                     the landing files dbt reads in a build: exactly those the landing
                                                  gate checked (a file landed during the build waits for the next)
    state/<government_id>.json                    incremental crawl state (validators, known URLs); rewritable

Files are only ever added: a crawl that dies halfway leaves complete files or none (temp file + fsync + rename),
and a re-run writes a report again only when its content changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# Column name -> DuckDB type, per landing stream. dbt's sources (dbt_project/models/staging/_landing__sources.yml)
# declare the same columns; tests/scrapers/test_landing.py fails when the two drift apart.
STREAMS: dict[str, dict[str, str]] = {
    "reports": {
        "record_id": "VARCHAR",  # sha256 of government_id, url and content_hash: one id per report version
        "run_id": "VARCHAR",
        "government_id": "VARCHAR",
        "list_url": "VARCHAR",  # the list page the link was found on
        "url": "VARCHAR",  # final URL of the report page, after redirects
        "title": "VARCHAR",
        "report_year": "INTEGER",
        "publish_date": "DATE",
        "source": "VARCHAR",  # 发布机构 / 来源 as the page states it
        "issuer": "VARCHAR",  # the government the body or signature names, when it names one
        "body": "VARCHAR",  # clean text, one paragraph per line
        "char_count": "INTEGER",
        "content_hash": "VARCHAR",  # sha256 of body
        "raw_sha256": "VARCHAR",  # key of the raw page under raw/
        "is_annual_report": "BOOLEAN",
        "decision_reason": "VARCHAR",
        "attachments": "STRUCT(name VARCHAR, url VARCHAR)[]",
        "sections": "STRUCT(ord INTEGER, level INTEGER, heading VARCHAR, text VARCHAR)[]",
        "metrics": (
            "STRUCT(metric VARCHAR, value DOUBLE, unit VARCHAR, scope VARCHAR, sentence VARCHAR, section VARCHAR)[]"
        ),
        "http_status": "INTEGER",
        "etag": "VARCHAR",
        "last_modified": "VARCHAR",
        "extractor_version": "VARCHAR",
        "fetched_at": "TIMESTAMP",  # UTC; also the load time dbt's freshness checks
    },
    "crawl_log": {
        "run_id": "VARCHAR",
        "government_id": "VARCHAR",
        "list_url": "VARCHAR",
        "status": "VARCHAR",  # ok | partial | failed
        "pages_fetched": "INTEGER",
        "requests": "INTEGER",
        "links_seen": "INTEGER",
        "reports_found": "INTEGER",
        "reports_new": "INTEGER",
        "links_skipped": "INTEGER",
        "errors": "INTEGER",
        "error": "VARCHAR",  # the first error, readable: what failed and why
        "started_at": "TIMESTAMP",
        "finished_at": "TIMESTAMP",
        # null: the registry's list URL crawled as is; else where the source came from (discovery ran from a home
        # page, or a column discovery remembered) and why
        "discovery": "VARCHAR",
        # list pages after the first that could not be read (an error or WAF page): their links were not seen
        "list_pages_lost": "INTEGER",
    },
    "links": {
        "run_id": "VARCHAR",
        "government_id": "VARCHAR",
        "list_url": "VARCHAR",
        "url": "VARCHAR",
        "title": "VARCHAR",
        "decision": "VARCHAR",  # report | skipped | known | gone | error
        "reason": "VARCHAR",
        "report_year": "INTEGER",
        "http_status": "INTEGER",
        "seen_at": "TIMESTAMP",
    },
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(ts: dt.datetime) -> str:
    """Timestamps land as naive UTC ISO strings, which DuckDB reads as TIMESTAMP without a zone surprise."""
    return ts.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def new_run_id(now: dt.datetime | None = None) -> str:
    """Sortable and unique across parallel processes: UTC time plus a random suffix."""
    now = now or utcnow()
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file, or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Landing:
    """The landing zone of one data directory."""

    def __init__(self, data_dir: Path | str):
        self.root = Path(data_dir)
        self.raw_dir = self.root / "raw"
        self.landing_dir = self.root / "landing"
        self.state_dir = self.root / "state"

    def ensure(self) -> Landing:
        """Create the layout; the zero-byte ``_empty.jsonl`` files let dbt read streams nobody wrote yet."""
        for stream in STREAMS:
            d = self.landing_dir / stream
            d.mkdir(parents=True, exist_ok=True)
            marker = d / "_empty.jsonl"
            if not marker.exists():
                atomic_write_bytes(marker, b"")
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self

    def glob(self, stream: str) -> str:
        """The path pattern DuckDB reads a whole stream with."""
        return str(self.landing_dir / stream / "**" / "*.jsonl")

    def files(self, stream: str) -> list[Path]:
        """The stream's landing files (``<run_id>/<government_id>.jsonl``), sorted."""
        return sorted((self.landing_dir / stream).glob("*/*.jsonl"))

    @property
    def files_list_path(self) -> Path:
        return self.root / "build" / "landing_files.jsonl"

    def write_files_list(self, files: Mapping[str, Iterable[Path]]) -> Path:
        """Name the files dbt reads this build (``{stream: paths}``, absolute paths): the list the landing gate
        checked, so a file landed between the gate and dbt is not read unchecked."""
        lines = [
            json.dumps({"stream": stream, "filename": str(Path(p).resolve())}, ensure_ascii=False) + "\n"
            for stream in STREAMS
            for p in files.get(stream, ())
        ]
        atomic_write_bytes(self.files_list_path, "".join(lines).encode("utf-8"))
        return self.files_list_path

    # raw pages -----------------------------------------------------------------------------------------------
    def raw_path(self, sha: str) -> Path:
        return self.raw_dir / sha[:2] / f"{sha}.gz"

    def store_raw(self, content: bytes) -> str:
        """Keep the raw bytes once, named by their sha256; returns the key."""
        sha = sha256_hex(content)
        path = self.raw_path(sha)
        if not path.exists():
            # mtime=0 keeps the gzip bytes a pure function of the content.
            atomic_write_bytes(path, gzip.compress(content, compresslevel=6, mtime=0))
        return sha

    def read_raw(self, sha: str) -> bytes:
        return gzip.decompress(self.raw_path(sha).read_bytes())

    # records --------------------------------------------------------------------------------------------------
    def write_rows(
        self, stream: str, run_id: str, government_id: str, rows: Iterable[Mapping[str, Any]]
    ) -> Path | None:
        """Land ``rows`` as one new immutable JSON Lines file; nothing is written for no rows."""
        columns = STREAMS[stream]
        lines = []
        for row in rows:
            extra = set(row) - set(columns)
            if extra:
                raise ValueError(f"landing stream {stream!r} has no column(s) {sorted(extra)}")
            lines.append(json.dumps({c: _jsonable(row.get(c)) for c in columns}, ensure_ascii=False))
        if not lines:
            return None
        path = self.landing_dir / stream / run_id / f"{_safe_name(government_id)}.jsonl"
        if path.exists():
            raise FileExistsError(f"{path} already landed; landing files are immutable")
        atomic_write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))
        return path

    def read_rows(self, stream: str) -> list[dict[str, Any]]:
        """Every landed row of a stream, oldest run first (for state rebuilds and tests, not for analytics)."""
        rows: list[dict[str, Any]] = []
        base = self.landing_dir / stream
        if not base.exists():
            return rows
        for path in sorted(base.glob("*/*.jsonl")):
            with path.open(encoding="utf-8") as fh:
                rows.extend(json.loads(line) for line in fh if line.strip())
        return rows

    def quarantine_unreadable(self, checked_cache: Path) -> list[tuple[Path, str]]:
        """Move every landing file that is not JSON Lines of objects to ``DATA_DIR/quarantine/landing/`` (kept
        byte for byte, with a ``.why`` file beside it), so one damaged file cannot stop every build.

        Files are immutable, so a file checked once is not read again: ``checked_cache`` remembers (size, mtime).
        Returns (kept copy, reason) per file moved.
        """
        try:
            seen = json.loads(checked_cache.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            seen = {}
        moved: list[tuple[Path, str]] = []
        current: dict[str, list[int]] = {}
        for stream in STREAMS:
            for path in sorted((self.landing_dir / stream).glob("*/*.jsonl")):
                rel = str(path.relative_to(self.landing_dir))
                st = path.stat()
                stamp = [st.st_size, st.st_mtime_ns]
                if seen.get(rel) == stamp:
                    current[rel] = stamp
                    continue
                reason = _unreadable(path)
                if reason is None:
                    current[rel] = stamp
                    continue
                kept = self.root / "quarantine" / "landing" / rel
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, kept)
                atomic_write_bytes(kept.with_name(kept.name + ".why"), f"{path}: {reason}\n".encode())
                moved.append((kept, reason))
        atomic_write_bytes(checked_cache, json.dumps(current).encode("utf-8"))
        return moved

    # incremental state ---------------------------------------------------------------------------------------
    def state_path(self, government_id: str) -> Path:
        return self.state_dir / f"{_safe_name(government_id)}.json"

    def load_state(self, government_id: str) -> dict[str, Any]:
        path = self.state_path(government_id)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def save_state(self, government_id: str, state: Mapping[str, Any]) -> None:
        data = json.dumps(state, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
        atomic_write_bytes(self.state_path(government_id), data)


def jsonl_rows(text: str) -> Iterable[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row, problem) per non-blank line of a landing file: the row, or None and why it is not one."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield number, None, f"not JSON ({exc})"
            continue
        if isinstance(row, dict):
            yield number, row, None
        else:
            yield number, None, f"a JSON {type(row).__name__}, not an object"


def _unreadable(path: Path) -> str | None:
    """Why a landing file cannot be read as JSON Lines of objects (naming the line), or None when it can."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 at byte {exc.start}"
    for number, _row, problem in jsonl_rows(text):
        if problem:
            return f"line {number}: {problem}"
    return None


def _safe_name(government_id: str) -> str:
    # Ids are registry strings (validated elsewhere); keep them from escaping the directory all the same.
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in government_id) or "_"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
