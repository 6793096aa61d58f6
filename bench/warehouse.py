"""Warehouse benchmark: generate landing files for 10,000 and 100,000 report records and time the build of each.

    .venv/bin/python bench/warehouse.py [--sizes 10000 100000] [--out bench/out/warehouse] [--keep] [--reuse]

Landing files are written with scrapers.landing.Landing, as the crawler writes them: one file per (run, government)
and stream. Each government gets ten report records (eight report years, the PDF of its latest report and an older
version of one page), a crawl_log row per run and a links row per report; bodies are about 3,000 characters of
report-like Chinese text, split into four sections, with four metrics each. The registry has one government per ten
records, so the coverage spine grows with the size too. Texts come from a pool of 320 generated bodies.

Timed per size, each a real ``fzzf build`` (scrapers.warehouse.build.run_build: landing gate, dbt, marts gate, publish; no
alerts), step by step: the full build (no gate cache, no staged warehouse), then, after a new crawl adds 1% new
reports in one run folder, the incremental build (gate results cached per landing file, dbt loading only the new
files). Prints each step, the ratio of each build to dbt alone, the 100,000 / 10,000 ratio, the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from scrapers.landing import Landing, sha256_hex  # noqa: E402

AS_OF = dt.date(2025, 6, 1)
RECORDS_PER_GOVERNMENT = 10
YEARS = range(2016, 2024)  # 8 report years; 2024 is left unpublished (missing for most governments by AS_OF)
PROVINCES = [
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "广东省",
]
LEVELS = ["city", "county", "county", "county", "township", "department"]

PARAGRAPHS = [
    "{y}年，{g}坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想，全面落实法治政府建设实施纲要，"
    "各项工作取得明显成效。",
    "全年共收到行政复议申请{a}件，受理{b}件，审结{c}件，纠错率{p}%。行政复议决定书全部在网上公开。",
    "全年发生行政诉讼案件{a}件，行政机关负责人出庭应诉率达100%，败诉率{p}%，较上年下降{q}个百分点。",
    "严格落实重大行政决策程序规定，全年作出重大行政决策{b}项，均经过公众参与、专家论证、风险评估、合法性审查和集体讨论决定。",
    "加强规范性文件监督管理，审查规范性文件{a}件，清理规范性文件{b}件，废止{c}件，备案审查率100%。",
    "深化行政执法三项制度，全年办理行政处罚案件{a}件，罚没款{b}万元；开展执法案卷评查，评查案卷{c}卷。",
    "人民调解组织共受理各类矛盾纠纷{a}件，调解成功{b}件，调解成功率{p}%。",
    "法律援助机构办理法律援助案件{a}件，提供法律咨询{b}人次，为群众挽回经济损失{c}万元。",
    "同时也要看到，法治政府建设仍存在一些不足：基层执法人员专业素质有待提升，部分领域执法规范化水平不高，"
    "运用法治思维和法治方式解决问题的能力仍需加强。",
    "{n}年，我们将继续推进法治政府建设，健全依法决策机制，深化行政执法体制改革，加强对行政权力的制约和监督，"
    "为经济社会高质量发展提供有力法治保障。",
]
HEADINGS = [
    "一、主要举措和成效",
    "二、存在的不足和原因",
    "三、党政主要负责人履行推进法治建设第一责任人职责情况",
    "四、下一年度主要安排",
]


def _body(rng: random.Random, gov_name: str, year: int) -> tuple[str, list[dict], list[dict]]:
    sections, metrics = [], []
    lines_all = []
    for ord_, heading in enumerate(HEADINGS, start=1):
        lines = []
        for _ in range(rng.randint(4, 9)):
            template = PARAGRAPHS[rng.randrange(len(PARAGRAPHS))]
            lines.append(
                template.format(
                    y=year,
                    n=year + 1,
                    g=gov_name,
                    a=rng.randint(5, 900),
                    b=rng.randint(3, 500),
                    c=rng.randint(1, 300),
                    p=rng.randint(0, 99),
                    q=rng.randint(1, 9),
                )
            )
        text = "\n".join(lines)
        sections.append({"ord": ord_, "level": 1, "heading": heading, "text": text})
        lines_all += [heading, *lines]
        sentence = lines[0][:60]
        metrics.append(
            {
                "metric": f"m{ord_}",
                "value": float(rng.randint(0, 900)),
                "unit": "件",
                "scope": "全区",
                "sentence": sentence,
                "section": heading,
            }
        )
    return "\n".join(lines_all), sections, metrics


def generate(data_dir: Path, registry_path: Path, n_reports: int, seed: int = 5) -> dict[str, int]:
    rng = random.Random(seed)
    landing = Landing(data_dir).ensure()
    # a pool of generated texts, reused: generating 100,000 distinct texts would time Python, not the warehouse
    pool = {year: [_body(rng, "本区人民政府", year) for _ in range(40)] for year in YEARS}
    n_gov = n_reports // RECORDS_PER_GOVERNMENT
    reg_lines = ["defaults:", "  reports_from: 2016", '  due: "04-01"', "  grace_days: 30", "governments:"]
    run_old, run_new = "20250301T020000Z-aaaaaa", "20250520T020000Z-bbbbbb"
    counts = {"governments": n_gov, "reports": 0, "crawl_log": 0, "links": 0}
    for i in range(n_gov):
        gid = f"{110000 + i * 7:06d}"
        name = f"第{i}区人民政府"
        province = PROVINCES[i % len(PROVINCES)]
        host = f"https://g{i}.example.gov.cn"
        reg_lines.append(
            f'  - {{id: "{gid}", name: {name}, level: {LEVELS[i % len(LEVELS)]}, province: {province}, '
            f'list_urls: ["{host}/fzzfjsndbg/"]}}'
        )
        rows = []
        for year in YEARS:
            body, sections, metrics = pool[year][rng.randrange(len(pool[year]))]
            # publication dates around the due date: most in March, a tail after April 1
            publish = dt.date(year + 1, 4, 1) + dt.timedelta(days=rng.randint(-45, 20))
            url = f"{host}/fzzfjsndbg/{year + 1}03/t{publish:%Y%m%d}_{i}{year}.html"
            rows.append(_record(gid, host, url, year, publish, body, sections, metrics))
        last = rows[-1]
        pdf_url = last["url"].replace(".html", ".pdf")
        rows.append(
            _record(gid, host, pdf_url, last["report_year"], last["publish_date"], last["body"] + "\n附件", [], [])
        )
        older = dict(rows[-3])
        older_body = older["body"] + "\n（初稿）"
        rows.append(
            _record(
                gid,
                host,
                older["url"],
                older["report_year"],
                older["publish_date"],
                older_body,
                [],
                [],
                fetched_at="2025-03-01T02:00:00",
            )
        )
        for r in rows[:-1]:
            r["run_id"] = run_new
        rows[-1]["run_id"] = run_old
        landing.write_rows("reports", run_new, gid, rows[:-1])
        landing.write_rows("reports", run_old, gid, rows[-1:])
        counts["reports"] += len(rows)
        for run_id, finished in ((run_old, "2025-03-01T02:10:00"), (run_new, "2025-05-20T02:10:00")):
            failed = rng.random() < 0.03
            landing.write_rows(
                "crawl_log",
                run_id,
                gid,
                [
                    {
                        "run_id": run_id,
                        "government_id": gid,
                        "list_url": f"{host}/fzzfjsndbg/",
                        "status": "failed" if failed else "ok",
                        "pages_fetched": 0 if failed else 3,
                        "requests": 4,
                        "links_seen": 60,
                        "reports_found": 9,
                        "reports_new": 9,
                        "links_skipped": 51,
                        "errors": 1 if failed else 0,
                        "error": "HTTP 503 from list page" if failed else None,
                        "started_at": finished,
                        "finished_at": finished,
                    }
                ],
            )
            counts["crawl_log"] += 1
        links = [
            {
                "run_id": run_new,
                "government_id": gid,
                "list_url": f"{host}/fzzfjsndbg/",
                "url": r["url"],
                "title": r["title"],
                "decision": "known",
                "reason": "already landed",
                "report_year": r["report_year"],
                "http_status": None,
                "seen_at": "2025-05-20T02:05:00",
            }
            for r in rows[:-1]
        ]
        landing.write_rows("links", run_new, gid, links)
        counts["links"] += len(links)
    registry_path.write_text("\n".join(reg_lines) + "\n", encoding="utf-8")
    return counts


def _record(gid, host, url, year, publish, body, sections, metrics, fetched_at="2025-05-20T02:00:00") -> dict:
    content_hash = sha256_hex(body)
    return {
        "record_id": sha256_hex(f"{gid}\n{url}\n{content_hash}"),
        "run_id": None,
        "government_id": gid,
        "list_url": f"{host}/fzzfjsndbg/",
        "url": url,
        "title": f"{year}年法治政府建设年度报告",
        "report_year": year,
        "publish_date": publish,
        "source": "司法局",
        "issuer": None,
        "body": body,
        "char_count": len(body),
        "content_hash": content_hash,
        "raw_sha256": content_hash,
        "is_annual_report": True,
        "decision_reason": "bench",
        "attachments": [],
        "sections": sections,
        "metrics": metrics,
        "http_status": 200,
        "etag": None,
        "last_modified": None,
        "extractor_version": "bench",
        "fetched_at": fetched_at,
    }


def add_crawl(data_dir: Path, n_new: int, seed: int = 7) -> int:
    """A later crawl: ``n_new`` governments each publish their 2024 report (one new run folder); returns rows landed."""
    rng = random.Random(seed)
    landing = Landing(data_dir)
    run_id, finished = NEW_RUN, "2025-05-30T02:10:00"
    for i in range(n_new):
        gid = f"{110000 + i * 7:06d}"
        host = f"https://g{i}.example.gov.cn"
        body, sections, metrics = _body(rng, f"第{i}区人民政府", 2024)
        publish = dt.date(2025, 3, 1) + dt.timedelta(days=rng.randint(0, 80))
        url = f"{host}/fzzfjsndbg/202503/t{publish:%Y%m%d}_{i}2024.html"
        row = _record(gid, host, url, 2024, publish, body, sections, metrics, fetched_at="2025-05-30T02:00:00")
        row["run_id"] = run_id
        landing.write_rows("reports", run_id, gid, [row])
        landing.write_rows(
            "crawl_log",
            run_id,
            gid,
            [
                {
                    "run_id": run_id,
                    "government_id": gid,
                    "list_url": f"{host}/fzzfjsndbg/",
                    "status": "ok",
                    "pages_fetched": 3,
                    "requests": 5,
                    "links_seen": 61,
                    "reports_found": 10,
                    "reports_new": 1,
                    "links_skipped": 51,
                    "errors": 0,
                    "error": None,
                    "started_at": finished,
                    "finished_at": finished,
                }
            ],
        )
        landing.write_rows(
            "links",
            run_id,
            gid,
            [
                {
                    "run_id": run_id,
                    "government_id": gid,
                    "list_url": f"{host}/fzzfjsndbg/",
                    "url": url,
                    "title": row["title"],
                    "decision": "report",
                    "reason": "bench",
                    "report_year": 2024,
                    "http_status": 200,
                    "seen_at": "2025-05-30T02:05:00",
                }
            ],
        )
    return n_new


NEW_RUN = "20250530T020000Z-cccccc"  # the later crawl's run folder
STEPS = ("landing gate", "dbt build", "marts gate", "publish")


def timed_build(data_dir: Path, registry: Path, label: str) -> dict[str, float]:
    """One ``fzzf build`` (scrapers.warehouse.build.run_build: landing gate, dbt, marts gate, publish; no alerts)."""
    from scrapers.warehouse.build import run_build

    result = run_build(data_dir, registry, AS_OF, send_alerts=False)
    if not result.published:
        raise SystemExit(f"{label}: build failed at {result.failed_step}: {result.message}")
    times = {step: result.seconds.get(step, 0.0) for step in STEPS}
    times["total"] = sum(times.values())
    print(
        f"  {label}: "
        + ", ".join(f"{k} {v:.1f}s" for k, v in times.items())
        + f"; total/dbt {times['total'] / times['dbt build']:.2f}",
        flush=True,
    )
    return times


def bench_size(out: Path, n: int, reuse: bool = False) -> dict[str, dict[str, float]]:
    root = out / f"n{n}"
    data_dir, registry = root / "data", root / "registry.yaml"
    if reuse and (root / "generated.json").exists():
        counts = json.loads((root / "generated.json").read_text())
        # back to the generated landing files alone: no derived data, no later crawl
        for derived in ("build", "gx"):
            shutil.rmtree(data_dir / derived, ignore_errors=True)
        for published in ("warehouse.duckdb", "warehouse.previous.duckdb"):
            (data_dir / published).unlink(missing_ok=True)
        for stream in ("reports", "crawl_log", "links"):
            shutil.rmtree(data_dir / "landing" / stream / NEW_RUN, ignore_errors=True)
        gen = None
    else:
        if root.exists():
            shutil.rmtree(root)
        t0 = time.perf_counter()
        counts = generate(data_dir, registry, n)
        gen = time.perf_counter() - t0
        (root / "generated.json").write_text(json.dumps(counts))
    size_mb = sum(p.stat().st_size for p in (data_dir / "landing").rglob("*.jsonl")) / 1e6
    files = sum(1 for _ in (data_dir / "landing").rglob("*.jsonl"))
    print(
        f"{n:>7} records: {counts['reports']} reports, {counts['governments']} governments, "
        f"{counts['crawl_log']} crawl_log rows, {counts['links']} links rows; {size_mb:.0f} MB of JSON Lines in "
        f"{files} files" + (f", generated in {gen:.1f}s" if gen is not None else " (reused)") + f"; {_load()}",
        flush=True,
    )
    results = {"full": timed_build(data_dir, registry, "full build (no cache, no staged warehouse)")}
    _marts(data_dir / "build" / "warehouse.duckdb")
    added = add_crawl(data_dir, max(1, n // 100))
    print(f"  + a new crawl: {added} new reports (1%) in one run folder; {_load()}", flush=True)
    results["incremental"] = timed_build(data_dir, registry, "incremental build after 1% new")
    _marts(data_dir / "build" / "warehouse.duckdb")
    return results


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def _marts(warehouse: Path) -> None:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        stats = con.execute(
            "select (select count(*) from marts.annual_reports), (select count(*) from marts.report_versions),"
            " (select count(*) from marts.report_sections), (select count(*) from marts.report_coverage),"
            " (select count(*) from marts.missing_reports)"
        ).fetchone()
    finally:
        con.close()
    print(
        f"    marts: {stats[0]} annual_reports, {stats[1]} report_versions, {stats[2]} report_sections, "
        f"{stats[3]} report_coverage rows, {stats[4]} missing_reports; staged warehouse "
        f"{warehouse.stat().st_size / 1e6:.0f} MB",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "warehouse")
    parser.add_argument("--keep", action="store_true", help="keep the generated data directories")
    parser.add_argument("--reuse", action="store_true", help="reuse data generated by an earlier --keep run")
    args = parser.parse_args()
    from scrapers import logs

    logs.configure()  # the build's one line per step, without library chatter
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"warehouse benchmark: {os.cpu_count()} cores; as of {AS_OF}; output under {out}; {_load()}")
    results = {}
    for n in args.sizes:
        results[n] = bench_size(out, n, reuse=args.reuse)
        if not args.keep:
            shutil.rmtree(out / f"n{n}", ignore_errors=True)
    print()
    print(f"{'records':>8} {'build':>12}  " + "  ".join(f"{k:>12}" for k in (*STEPS, "total", "total/dbt")))
    for n, by_kind in results.items():
        for kind, times in by_kind.items():
            cells = [f"{times[k]:>11.1f}s" for k in (*STEPS, "total")]
            print(f"{n:>8} {kind:>12}  " + "  ".join(cells) + f"  {times['total'] / times['dbt build']:>12.2f}")
    large = args.sizes[-1]
    if len(args.sizes) >= 2:
        small = args.sizes[0]
        for kind in ("full", "incremental"):
            ratio = results[large][kind]["total"] / results[small][kind]["total"]
            print(f"ratio {large}/{small}, {kind} build total: {ratio:.2f} (records x{large / small:.0f})")
    for kind, target in (("full", 120), ("incremental", 15)):
        seconds = results[large][kind]["total"]
        verdict = "within" if seconds < target else "OVER"
        print(f"{large} records, {kind} build with both gates: {seconds:.1f}s, {verdict} the {target} s target")
    print(f"at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
