"""Warehouse benchmark: generate landing files for 10,000 and 100,000 report records and time the build of each.

    .venv/bin/python bench/warehouse.py [--sizes 10000 100000] [--out bench/out/warehouse] [--no-gate]

Landing files are written with scrapers.landing.Landing, as the crawler writes them: one file per (run, government)
and stream. Each government gets ten report records (eight report years, the PDF of its latest report and an older
version of one page), a crawl_log row per run and a links row per report; bodies are about 3,000 characters of
report-like Chinese text, split into four sections, with four metrics each. The registry has one government per ten
records, so the coverage spine grows with the size too. Texts come from a pool of 320 generated bodies.

Timed per size: the dbt build (``scrapers.warehouse.run_dbt``: every model, data test and unit test) on a fresh
warehouse file, and, when ``scrapers.gate`` is importable, the landing gate before it and the marts gate after it.
Prints the times and the 100,000 / 10,000 ratio (linear growth is a ratio of 10).
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
from scrapers.warehouse import run_dbt  # noqa: E402

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


def _gate():
    try:
        from scrapers import gate
    except Exception as exc:  # the gate is another engineer's module and may not be there yet
        print(f"(gate not importable: {type(exc).__name__}: {exc}; timing dbt alone)")
        return None
    return gate


def bench_size(out: Path, n: int, use_gate: bool, reuse: bool = False) -> dict[str, float]:
    root = out / f"n{n}"
    data_dir, registry = root / "data", root / "registry.yaml"
    if reuse and (root / "generated.json").exists():
        counts = json.loads((root / "generated.json").read_text())
        shutil.rmtree(data_dir / "build", ignore_errors=True)
        shutil.rmtree(data_dir / "gx", ignore_errors=True)
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
        f"{files} files" + (f", generated in {gen:.1f}s" if gen is not None else " (reused)"),
        flush=True,
    )
    times: dict[str, float] = {}
    gate = _gate() if use_gate else None
    if gate is not None:
        t0 = time.perf_counter()
        landing_result = gate.check_landing(data_dir, AS_OF)
        times["landing gate"] = time.perf_counter() - t0
        print(f"  landing gate: {landing_result.quarantined} quarantined", flush=True)
    warehouse = data_dir / "build" / "warehouse.duckdb"
    t0 = time.perf_counter()
    result = run_dbt(data_dir, registry, AS_OF, warehouse)
    times["dbt build"] = time.perf_counter() - t0
    print(f"  {result.describe()}", flush=True)
    if not result.success:
        raise SystemExit(f"dbt build failed at {n} records")
    if gate is not None:
        t0 = time.perf_counter()
        marts = gate.check_marts(warehouse, registry, AS_OF)
        times["marts gate"] = time.perf_counter() - t0
        print(f"  marts gate: {'passed' if marts.success else 'FAILED'}", flush=True)
    times["total"] = sum(times.values())
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
        f"  marts: {stats[0]} annual_reports, {stats[1]} report_versions, {stats[2]} report_sections, "
        f"{stats[3]} report_coverage rows, {stats[4]} missing_reports; warehouse "
        f"{warehouse.stat().st_size / 1e6:.0f} MB",
        flush=True,
    )
    print("  " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()), flush=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "warehouse")
    parser.add_argument("--no-gate", action="store_true", help="time dbt alone even when scrapers.gate exists")
    parser.add_argument("--keep", action="store_true", help="keep the generated data directories")
    parser.add_argument("--reuse", action="store_true", help="reuse data generated by an earlier --keep run")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"warehouse benchmark: {os.cpu_count()} cores; as of {AS_OF}; output under {out}")
    results = {}
    for n in args.sizes:
        results[n] = bench_size(out, n, use_gate=not args.no_gate, reuse=args.reuse)
        if not args.keep:
            shutil.rmtree(out / f"n{n}", ignore_errors=True)
    print()
    print(f"{'records':>8}  " + "  ".join(f"{k:>13}" for k in results[args.sizes[0]]))
    for n, times in results.items():
        print(f"{n:>8}  " + "  ".join(f"{v:>12.1f}s" for v in times.values()))
    if len(args.sizes) >= 2:
        small, large = args.sizes[0], args.sizes[-1]
        for key in results[small]:
            ratio = results[large][key] / results[small][key]
            print(f"ratio {large}/{small} {key}: {ratio:.2f} (records x{large / small:.0f})")
        for key in ("dbt build", "total"):
            seconds = results[large][key]
            verdict = "within" if seconds < 120 else "OVER"
            print(f"{large} records, {key}: {seconds:.1f}s, {verdict} the 2-minute target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
