"""Shared helpers for the reliability suite: the farm's governments, the ``fzzf`` subprocess runner, landing and
warehouse readers. Every test here is marked ``reliability`` (``pytest -m reliability`` runs them alone)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from .farm import Farm, Report, Site, list_page, not_found, page, text

REPO = Path(__file__).resolve().parents[2]
NETGUARD = Path(__file__).resolve().parent / "netguard"
FZZF = [sys.executable, "-m", "scrapers.cli"]
AS_OF = dt.date(2024, 6, 30)  # fixed so that warehouses of different runs compare equal
LIST_PATH = "/col/fzzfjsndbg/index.html"


# the fzzf subprocess -----------------------------------------------------------------------------------------------
def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("FZZF_"):
            del env[key]
    env.update(
        {
            "FZZF_DELAY": "0",
            "FZZF_BACKOFF": "0",
            "FZZF_TIMEOUT": "1",
            "FZZF_RETRIES": "3",
            "FZZF_GOV_LOCK_WAIT": "30",
            "PYTHONPATH": str(NETGUARD),
            "PYTHONUNBUFFERED": "1",
            "FZZF_TEST_NETLOG": str(tmp / "netlog.jsonl"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "GX_ANALYTICS_ENABLED": "False",
            # The day fzzf pretends it is: builds as of AS_OF are then today's builds, not what-ifs.
            "FZZF_TODAY": AS_OF.isoformat(),
        }
    )
    env.update(extra)
    return env


@dataclass
class Ran:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_fzzf(args: list[str], env: dict[str, str], timeout: float = 120, **popen) -> Ran:
    """Run ``fzzf ARGS`` in its own process group; on timeout the whole group is killed and the test fails."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [*FZZF, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        pytest.fail(f"fzzf {' '.join(args)} did not finish in {timeout} s\n{out[-2000:]}\n{err[-4000:]}")
    return Ran(args, proc.returncode, out, err, time.monotonic() - start)


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def netlog(tmp: Path) -> list[dict]:
    path = tmp / "netlog.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# governments on the farm ------------------------------------------------------------------------------------------
_SEEDS = None


def seeds():
    global _SEEDS
    if _SEEDS is None:
        from scrapers.demo.seeds import load_seeds

        _SEEDS = load_seeds()
    return _SEEDS


@dataclass
class Gov:
    """A government of the farm: its registry entry, its site and the reports it publishes."""

    id: str
    name: str
    site: Site
    reports: list[Report] = field(default_factory=list)
    province: str = "四川省"
    list_path: str = LIST_PATH

    @property
    def list_url(self) -> str:
        return self.site.url(self.list_path)

    def entry(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "level": "county",
            "province": self.province,
            "list_urls": [self.list_url],
            "reports_from": 2021,
        }

    def report_url(self, report: Report) -> str:
        return self.site.url(report.path)


# Names of the seed reports' own governments: a synthetic report of another government must not carry them (the
# crawler rightly skips a report signed by someone else as a repost).
_SEED_NAMES = (
    "南开区人民政府万兴街道办事处", "天津市南开区万兴街道", "重庆市北碚区柳荫镇", "绵阳市安州区人民政府", "东莞市常平镇",
    "南开区万兴街", "北碚区柳荫镇", "万兴街道办事处", "绵阳市安州区", "万兴街道", "万兴街", "柳荫镇", "常平镇", "肇东市",
    "安州区", "南开区", "北碚区", "东莞市", "绵阳市", "天津市", "重庆市",
)  # fmt: skip


def _own(text: str, gov_name: str) -> str:
    for name in _SEED_NAMES:  # longest first, so a full name is replaced before its parts
        text = text.replace(name, gov_name)
    return text


def make_report(gov_name: str, year: int, k: int, family: str = "trs", seed_index: int | None = None) -> Report:
    seed = seeds()[(seed_index if seed_index is not None else k) % len(seeds())]
    # A first paragraph of its own keeps every government's text distinct (no report is a repost of another), and
    # the seed's own government names become this government's.
    paragraphs = (
        f"{year}年，{gov_name}深入推进依法行政，现将本年度法治政府建设情况报告如下。",
        *(_own(p, gov_name) for p in seed.paragraphs[1:40]),
    )
    return Report(
        title=f"{gov_name}人民政府{year}年法治政府建设年度报告",
        paragraphs=paragraphs,
        publish_date=dt.date(year + 1, 3, 10 + k),
        source="司法局",
        site_name=f"{gov_name}人民政府",
        family=family,
        path=f"/col/fzzfjsndbg/{year + 1}03/t{year + 1}0310_{1000 + k}.html",
    )


def publish(gov: Gov, reports: list[Report], extra_items=(), robots: str | None = "404") -> None:
    """Serve ``reports`` and a list page linking them (plus ``extra_items``: (title, href, date))."""
    gov.reports = list(reports)
    for r in reports:
        gov.site.set(r.path, page(r.render()))
    items = [(r.title, r.path, r.publish_date) for r in reports] + list(extra_items)
    gov.site.set(gov.list_path, page(list_page(items)))
    if robots == "404":
        gov.site.set("/robots.txt", not_found())
    elif robots is not None:
        gov.site.set("/robots.txt", text(robots))


def healthy(farm: Farm, gid: str, name: str, family: str = "trs") -> Gov:
    gov = Gov(gid, name, farm.site(gid))
    reports = [make_report(name, 2021, 0, family), make_report(name, 2022, 1, family)]
    look_alike = (f"{name}人民政府2022年政府信息公开工作年度报告", "/col/xxgk/t1.html", dt.date(2023, 1, 20))
    gov.site.set("/col/xxgk/t1.html", page("<html><body><p>政府信息公开工作年度报告</p></body></html>".encode()))
    publish(gov, reports, [look_alike])
    return gov


def write_registry(path: Path, govs: list[Gov]) -> Path:
    path.write_text(yaml.safe_dump({"governments": [g.entry() for g in govs]}, allow_unicode=True), encoding="utf-8")
    return path


# readers ----------------------------------------------------------------------------------------------------------
def landing_rows(data_dir: Path, stream: str) -> list[dict]:
    from scrapers.landing import Landing

    return Landing(data_dir).read_rows(stream)


def runs(data_dir: Path) -> list[str]:
    base = data_dir / "landing" / "crawl_log"
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []


def query(warehouse: Path, sql: str, params=()) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def table_columns(warehouse: Path, table: str) -> list[str]:
    return [
        r[0]
        for r in query(
            warehouse,
            f"select column_name from information_schema.columns where table_schema='marts' and table_name='{table}' order by ordinal_position",
        )
    ]


def all_landing_files_parse(data_dir: Path) -> list[str]:
    """Problems found in landing, state and raw files: partial JSON lines, leftover temp files, unreadable gzip."""
    import gzip

    problems = []
    for path in (data_dir / "landing").rglob("*"):
        if path.is_file():
            if path.name.endswith(".tmp"):
                problems.append(f"leftover temp file {path}")
                continue
            raw = path.read_bytes()
            if raw and not raw.endswith(b"\n"):
                problems.append(f"{path} does not end with a newline (partial write?)")
            for n, line in enumerate(raw.decode("utf-8").splitlines(), 1):
                try:
                    json.loads(line)
                except ValueError:
                    problems.append(f"{path}:{n} is not JSON")
    for path in (data_dir / "state").rglob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            problems.append(f"{path} is not JSON")
    for path in (data_dir / "raw").rglob("*"):
        if path.is_file():
            if path.name.endswith(".tmp"):
                problems.append(f"leftover temp file {path}")
                continue
            try:
                gzip.decompress(path.read_bytes())
            except (OSError, EOFError) as exc:
                problems.append(f"{path}: {exc}")
    return problems


@pytest.fixture
def farm():
    f = Farm()
    yield f
    f.close()


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """The shared long run (see pipeline.py): built once per session, inspected by many tests."""
    from .pipeline import run_pipeline

    f = Farm()
    try:
        yield run_pipeline(tmp_path_factory.mktemp("pipeline"), f)
    finally:
        f.close()
