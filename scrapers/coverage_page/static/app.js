// The coverage page: one hash route per view, each drawn from one JSON endpoint of `fzzf serve` (/api/...).
// Text from the warehouse is always set as text (never as HTML): report bodies and titles come from the web.
"use strict";

const STATUS = {
  on_time: "按时发布",
  late: "逾期发布",
  missing: "缺失",
  unknown: "无法判断",
  overdue: "已过期（宽限期内）",
  not_due: "未到期",
};
const STATUS_ORDER = ["on_time", "late", "overdue", "missing", "unknown", "not_due"];
const LEVEL = { province: "省级", city: "市级", county: "县级", township: "乡镇", department: "部门" };
// The heat map's colouring: a count of one status, or the share published of the years already due.
const MEASURES = {
  missing: { label: "缺失数", colors: ["#fff5f0", "#fcae91", "#cb181d"] },
  unknown: { label: "无法判断数", colors: ["#f7f7f7", "#bdbdbd", "#525252"] },
  late: { label: "逾期发布数", colors: ["#fffbe6", "#f5d26b", "#bf8700"] },
  on_time: { label: "按时发布数", colors: ["#f7fcf5", "#a1d99b", "#1a7f37"] },
  published_share: { label: "已到期年度的发布率", colors: ["#cb181d", "#fee08b", "#1a7f37"] },
};
const SUITES = {
  landing_reports: "落地区 · 报告",
  landing_crawl_log: "落地区 · 抓取日志",
  landing_links: "落地区 · 链接",
  dbt_build: "dbt 构建",
  marts_annual_reports: "数据集市 · 年度报告",
  marts_report_coverage: "数据集市 · 覆盖状态",
  marts_coverage_complete: "数据集市 · 覆盖完整性",
  marts_crawl_health: "数据集市 · 抓取健康",
  marts_report_metrics: "数据集市 · 报告指标",
  marts_report_sections: "数据集市 · 报告章节",
};
// coverage_explained.reason_kind in Chinese; the mart's own one-line reason (English, as the digest carries it) follows.
const REASON_KIND = {
  no_list_url: "登记册中没有可读取的列表页",
  never_crawled: "从未抓取",
  portal_unreached: "近期未能访问门户网站",
  column_not_confirmed: "近期未读到已确认的报告栏目",
  held_back: "报告已抓取，但正文被质量闸门暂扣",
  odd_date: "报告所载日期晚于统计日",
  listed_gone: "列出的报告页已失效",
  link_error: "该年度的链接抓取失败，仍在重试",
  repost: "只有转载或重复的文本",
  look_alike: "只有相似的其他文件",
  off_site: "只有站外链接",
  not_a_report: "页面经判断不是年度报告",
  gone: "报告页已被删除",
  no_link: "列表页上没有该年度的链接",
};
const STREAMS = { reports: "报告", crawl_log: "抓取日志", links: "链接" };
// marts.quarantined_rows.table_name: the mart a row was taken out of, and what one row of it is called.
const HELD_TABLES = { report_metrics: ["报告指标", "数字"], report_sections: ["报告章节", "章节"] };

const view = document.getElementById("view");
let charts = []; // ECharts instances of the current view, disposed when the view changes

// ---- small DOM helpers -------------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function statusBadge(status) {
  return el("span", { class: `status status-${status}`, "data-status": status }, STATUS[status] || status);
}

function table(headers, rows, attrs) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      attrs || {},
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows),
    ),
  );
}

function govLink(id, name) {
  return el("a", { href: `#/gov/${encodeURIComponent(id)}` }, name || id);
}

function reportLink(id, year, text) {
  return el("a", { href: `#/report/${encodeURIComponent(id)}/${year}` }, text);
}

function sourceLink(url) {
  // The government's own page: opened by the reader's click only, never fetched by this page.
  return url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, "原文链接") : "—";
}

function day(value) {
  return value ? String(value).slice(0, 10) : "—";
}

function time(value) {
  return value ? String(value).replace("T", " ").slice(0, 19) : "—";
}

function levelName(level) {
  return LEVEL[level] || level || "—";
}

async function api(path) {
  const response = await fetch(`/api/${path}`, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) {
    const error = new Error(body.error || `HTTP ${response.status}`);
    error.body = body;
    throw error;
  }
  return body;
}

function show(...nodes) {
  for (const chart of charts) chart.dispose();
  charts = [];
  view.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

function chart(node, option) {
  const instance = echarts.init(node, null, { renderer: "canvas", locale: "ZH" });
  instance.setOption(option);
  charts.push(instance);
  return instance;
}

window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

// ---- views -------------------------------------------------------------------------------------------------

function measureValue(counts, measure) {
  if (measure !== "published_share") return counts[measure] || 0;
  const published = (counts.on_time || 0) + (counts.late || 0);
  const due = published + (counts.missing || 0) + (counts.unknown || 0) + (counts.overdue || 0);
  return due ? Math.round((published / due) * 1000) / 10 : "-";
}

function countsText(counts) {
  return STATUS_ORDER.filter((s) => counts[s]).map((s) => `${STATUS[s]} ${counts[s]}`);
}

async function heatmapView(params) {
  const data = await api("heatmap");
  const measure = MEASURES[params.get("measure")] ? params.get("measure") : "missing";
  const chosen = MEASURES[measure];
  const select = el(
    "select",
    { id: "measure", onchange: (e) => (location.hash = `#/?measure=${e.target.value}`) },
    Object.entries(MEASURES).map(([key, m]) => el("option", { value: key, selected: key === measure }, m.label)),
  );
  const cards = el(
    "div",
    { class: "cards" },
    el("span", { class: "card" }, "政府", el("b", {}, data.governments)),
    el("span", { class: "card" }, "已收集报告", el("b", {}, data.annual_reports)),
    STATUS_ORDER.filter((s) => data.status_counts[s]).map((s) =>
      el("span", { class: "card" }, statusBadge(s), el("b", {}, data.status_counts[s])),
    ),
  );
  const box = el("div", {
    id: "heatmap",
    class: "chart",
    style: `height:${Math.max(260, data.provinces.length * 30 + 130)}px`,
    role: "img",
    "aria-label": `按省份和年度的${chosen.label}热力图；下表列出相同数据`,
  });
  const byCell = new Map(data.cells.map((c) => [`${c.province}|${c.year}`, c.counts]));
  const rows = data.provinces.map((p) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, p),
      data.years.map((y) => {
        const counts = byCell.get(`${p}|${y}`);
        if (!counts) return el("td", { class: "muted" }, "—");
        return el(
          "td",
          { "data-province": p, "data-year": y, class: "cell-counts" },
          el("a", { href: `#/cell/${encodeURIComponent(p)}/${y}` }, countsText(counts).map((t) => el("span", {}, t))),
        );
      }),
    ),
  );
  show(
    el("h2", {}, "覆盖情况：省份 × 年度"),
    cards,
    el("div", { class: "controls" }, el("label", {}, "着色依据 ", select),
       el("span", { class: "muted" }, "点击方格查看该省该年度的各政府")),
    box,
    el("h3", {}, "同一数据的表格"),
    table(["省份", ...data.years.map((y) => `${y}年度`)], rows, { id: "heatmap-table" }),
  );
  const cells = [];
  data.cells.forEach((c) => {
    cells.push([data.years.indexOf(c.year), data.provinces.indexOf(c.province), measureValue(c.counts, measure)]);
  });
  const values = cells.map((c) => c[2]).filter((v) => v !== "-");
  const share = measure === "published_share";
  const instance = chart(box, {
    animation: false,
    tooltip: {
      position: "top",
      formatter: (p) => {
        const province = data.provinces[p.value[1]];
        const year = data.years[p.value[0]];
        const counts = byCell.get(`${province}|${year}`) || {};
        const lines = countsText(counts).map((t) => echarts.format.encodeHTML(t));
        return `${echarts.format.encodeHTML(province)} ${year}年度<br>${lines.join("<br>")}`;
      },
    },
    grid: { left: 110, right: 30, top: 20, bottom: 80 },
    xAxis: { type: "category", data: data.years.map((y) => `${y}年度`), splitArea: { show: true } },
    yAxis: { type: "category", data: data.provinces, splitArea: { show: true }, inverse: true },
    visualMap: {
      min: 0,
      max: share ? 100 : Math.max(1, ...values),
      calculable: true,
      orient: "horizontal",
      left: "center",
      bottom: 10,
      inRange: { color: chosen.colors },
    },
    series: [
      {
        name: chosen.label,
        type: "heatmap",
        data: cells,
        label: { show: true, formatter: (p) => (share && p.value[2] !== "-" ? `${p.value[2]}%` : p.value[2]) },
        emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } },
      },
    ],
  });
  instance.on("click", (p) => {
    const province = data.provinces[p.value[1]];
    location.hash = `#/cell/${encodeURIComponent(province)}/${data.years[p.value[0]]}`;
  });
  // For tests and tools: which (year, province) each data point is.
  box.dataset.years = JSON.stringify(data.years);
  box.dataset.provinces = JSON.stringify(data.provinces);
}

function reasonCell(row) {
  const line = row.reason || row.status_reason;
  if (!line) return "—";
  const kind = REASON_KIND[row.reason_kind];
  return [kind ? el("span", { class: "reason-kind" }, kind) : null, kind ? el("br") : null,
          el("span", { class: "reason", lang: "en" }, line)];
}

function yearRow(y, withGovernment) {
  const published = y.status === "on_time" || y.status === "late";
  let detail;
  if (published) {
    detail = [reportLink(y.government_id, y.report_year, y.title || "查看报告"), " · ", sourceLink(y.url)];
  } else {
    detail = reasonCell(y);
  }
  let timing = "—";
  if (published && y.days_late !== null) timing = y.days_late > 0 ? `晚 ${y.days_late} 天` : "按时";
  else if (y.days_overdue !== null && y.days_overdue !== undefined) timing = `已过截止日 ${y.days_overdue} 天`;
  return el(
    "tr",
    { "data-year": y.report_year, "data-government": y.government_id },
    withGovernment ? el("td", {}, govLink(y.government_id, y.name)) : null,
    withGovernment ? el("td", {}, levelName(y.level)) : el("td", {}, `${y.report_year}年度`),
    el("td", {}, statusBadge(y.status)),
    el("td", {}, day(y.due_date)),
    el("td", {}, timing),
    el("td", { class: "wrap" }, detail),
  );
}

async function cellView(province, year) {
  const data = await api(`cell?province=${encodeURIComponent(province)}&year=${year}`);
  show(
    el("h2", {}, `${province} · ${year}年度`),
    el("p", { class: "muted" }, `${data.governments.length} 个政府；未发布的排在前面。点击政府名称查看其各年度。`),
    table(["政府", "层级", "状态", "截止日期", "时间", "原因 / 报告"], data.governments.map((y) => yearRow(y, true)), {
      id: "cell-table",
    }),
  );
}

async function governmentView(id) {
  const data = await api(`government/${encodeURIComponent(id)}`);
  const g = data.government;
  show(
    el("h2", {}, `${g.name}`),
    el("p", { class: "muted" }, `编号 ${g.government_id} · ${g.province} · ${levelName(g.level)} · 每年截止 ${g.due || "—"}`),
    table(["年度", "状态", "截止日期", "时间", "原因 / 报告"], data.years.map((y) => yearRow(y, false)), {
      id: "government-years",
    }),
  );
}

function highlight(text, words) {
  // Split on the searched words and wrap each hit in <mark>, building text nodes only.
  const parts = [];
  let rest = text || "";
  while (rest) {
    let best = -1;
    let word = "";
    for (const w of words) {
      const at = rest.indexOf(w);
      if (at >= 0 && (best < 0 || at < best)) [best, word] = [at, w];
    }
    if (best < 0) {
      parts.push(rest);
      break;
    }
    parts.push(rest.slice(0, best), el("mark", {}, word));
    rest = rest.slice(best + word.length);
  }
  return parts;
}

async function reportView(id, year) {
  const data = await api(`report/${encodeURIComponent(id)}/${year}`);
  const g = data.government;
  const r = data.report;
  const cov = data.coverage;
  const nodes = [el("h2", {}, `${g.name} · ${year}年度法治政府建设报告`)];
  nodes.push(
    el("p", {}, cov ? statusBadge(cov.status) : "该年度不在覆盖范围内", " ",
       cov ? `截止日期 ${day(cov.due_date)}` : "", " · ", govLink(g.government_id, "该政府的全部年度")),
  );
  if (!r) {
    nodes.push(el("p", {}, cov && (cov.reason || cov.status_reason) ? reasonCell(cov) : "数据仓库中没有该年度的报告"));
    show(...nodes);
    return;
  }
  const meta = [
    ["标题", r.title],
    ["原文", sourceLink(r.url)],
    ["原文地址", r.url],
    ["列表页", r.list_url || "—"],
    ["发布日期", day(r.publish_date)],
    ["来源 / 发文机关", [r.source_name, r.issuer].filter(Boolean).join(" / ") || "—"],
    ["首次发现", time(r.first_seen_at)],
    ["最近抓取", time(r.fetched_at)],
    ["是否在线", r.is_online ? "在线" : `已下线（${time(r.last_gone_at)} 起）`],
    ["字数 / 版本数", `${r.char_count} 字 / ${r.version_count} 个版本`],
  ];
  nodes.push(el("dl", { class: "meta" }, meta.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
  if (data.held_back && data.held_back.length) {
    // the marts gate took these rows out of the published warehouse: said here, not silently missing below
    nodes.push(
      el("ul", { class: "held-back", id: "report-held-back" },
         data.held_back.map((q) => el("li", { "data-table": q.table_name },
           `该${heldKind(q)[1]}未发布：${q.field || "（无标题）"}`,
           q.table_name === "report_metrics" ? ` = ${q.value}` : "",
           (q.sentence || "").trim() ? `（原句：${q.sentence.trim()}）` : "",
           `——未通过质量检查 ${q.expectation}`, q.reason ? `：${q.reason}` : "",
           `；自 ${time(q.first_quarantined_at)}（UTC）起暂扣。`))),
    );
  }
  if (data.metrics && data.metrics.length) {
    nodes.push(
      el("h3", {}, `报告中的数字（${data.metrics.length} 项）`),
      table(
        ["指标", "数值", "单位", "原句"],
        data.metrics.map((m) =>
          el("tr", {}, el("td", {}, m.label), el("td", { class: "num" }, m.value), el("td", {}, m.unit || ""),
             el("td", { class: "wrap" }, m.sentence || "")),
        ),
        { id: "report-metrics" },
      ),
    );
  }
  nodes.push(
    el("h3", {}, "报告正文（清洗后）"),
    el("article", { class: "report-text", id: "report-text" },
       (r.body || "").split("\n").filter((line) => line.trim()).map((line) => el("p", {}, line))),
  );
  show(...nodes);
}

async function missingView() {
  const data = await api("missing");
  const nodes = [
    el("h2", {}, `缺失清单（${data.missing.length}）`),
    el("p", { class: "muted" },
       "已过截止日期和宽限期、仍未找到报告的年度，即告警渠道收到的清单。“已告警”取自告警状态文件 ",
       el("code", {}, data.alert_state),
       data.last_alert_as_of ? `（最近一次告警截至 ${data.last_alert_as_of}）` : "（尚未发送过告警）"),
  ];
  if (data.alert_state_problem) nodes.push(el("p", { class: "error" }, `告警状态文件无法读取：${data.alert_state_problem}`));
  if (!data.missing.length) nodes.push(el("p", {}, "无缺失报告。"));
  else
    nodes.push(
      table(
        ["政府", "省份", "层级", "年度", "截止日期", "逾期天数", "原因", "已告警"],
        data.missing.map((m) =>
          el(
            "tr",
            { "data-government": m.government_id, "data-year": m.report_year },
            el("td", {}, govLink(m.government_id, m.name)),
            el("td", {}, m.province),
            el("td", {}, levelName(m.level)),
            el("td", {}, `${m.report_year}年度`),
            el("td", {}, day(m.due_date)),
            el("td", { class: "num" }, m.days_overdue),
            el("td", { class: "wrap" }, reasonCell(m)),
            el("td", {}, m.alerted ? `是，${time(m.alerted_at)}（${m.channels.length} 个渠道）` : "否（下次告警发送）"),
          ),
        ),
        { id: "missing-table" },
      ),
    );
  show(...nodes);
}

async function searchView(params) {
  const q = (params.get("q") || "").trim();
  document.getElementById("search-input").value = q;
  if (!q) {
    show(el("h2", {}, "全文检索"), el("p", { class: "muted" }, "在上方输入词语或句子，检索全部报告的清洗后正文。"));
    return;
  }
  const data = await api(`search?q=${encodeURIComponent(q)}`);
  const words = data.q.split(" ");
  const shown = data.results.length < data.total ? `，显示前 ${data.results.length} 篇` : "";
  show(
    el("h2", {}, `检索：${data.q}`),
    el("p", { id: "search-count" }, `共 ${data.total} 篇报告含有全部检索词${shown}。`),
    el(
      "div",
      { id: "search-results" },
      data.results.map((r) =>
        el(
          "div",
          { class: "result" },
          el("div", {}, reportLink(r.government_id, r.report_year, `${r.name} · ${r.report_year}年度`), " ",
             el("span", { class: "muted" }, r.title || ""), " · ", sourceLink(r.url)),
          el("p", { class: "snippet" }, r.snippet_cut ? "…" : "", highlight(r.snippet, words), "…"),
        ),
      ),
    ),
  );
}

async function metricsView(params) {
  const metric = params.get("metric") || "";
  const query = new URLSearchParams();
  if (metric) query.set("metric", metric);
  const province = params.get("province") || "";
  if (province) query.set("province", province);
  if (params.get("government")) query.set("government", params.get("government"));
  const data = await api(`metrics?${query}`);
  if (!data.available) {
    show(el("h2", {}, "报告指标"), el("p", {}, "已发布的数据仓库中没有报告指标表（marts.report_metrics / metric_labels）。"));
    return;
  }
  const label = Object.fromEntries(data.catalog.map((m) => [m.metric, m]));
  const select = el(
    "select",
    { id: "metric", onchange: () => chooseMetrics() },
    el("option", { value: "" }, "全部指标"),
    data.catalog
      .filter((m) => m.figures > 0)
      .map((m) => el("option", { value: m.metric, selected: m.metric === metric },
                     `${m.label}${m.unit ? `（${m.unit}）` : ""} · ${m.figures} 项`)),
  );
  const provinceSelect = el(
    "select",
    { id: "metric-province", onchange: () => chooseMetrics() },
    el("option", { value: "" }, "全部省份"),
    data.provinces.map((p) => el("option", { value: p, selected: p === province }, p)),
  );
  const nodes = [
    el("h2", {}, "报告指标：按政府和年度"),
    el("div", { class: "controls" }, el("label", {}, "指标 ", select), el("label", {}, "省份 ", provinceSelect),
       el("span", { class: "muted" }, `从报告正文中抽取的数字（共 ${data.figures.length} 项），指标名称与单位取自 marts.metric_labels`)),
    data.truncated ? el("p", { class: "error" }, `只显示前 ${data.limit} 项：请选择指标或省份以缩小范围。`) : null,
  ];
  let box = null;
  let barOption = null;
  if (metric && data.figures.length) {
    const govs = [...new Map(data.figures.map((f) => [f.government_id, f.name])).entries()];
    const years = [...new Set(data.figures.map((f) => f.report_year))].sort();
    box = el("div", { id: "metrics-chart", class: "chart", style: "height:340px" });
    nodes.push(box);
    barOption = {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: years.map((y) => `${y}年度`) },
      grid: { left: 60, right: 20, top: 40, bottom: 90 },
      xAxis: { type: "category", data: govs.map(([, name]) => name), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: label[metric] ? label[metric].unit || "" : "" },
      series: years.map((y) => ({
        name: `${y}年度`,
        type: "bar",
        data: govs.map(([id]) => {
          const f = data.figures.find((x) => x.government_id === id && x.report_year === y);
          return f ? f.value : null;
        }),
      })),
    };
  }
  nodes.push(
    data.figures.length
      ? table(
          ["政府", "省份", "年度", "指标", "数值", "单位", "原句"],
          data.figures.map((f) =>
            el(
              "tr",
              {},
              el("td", {}, govLink(f.government_id, f.name)),
              el("td", {}, f.province),
              el("td", {}, reportLink(f.government_id, f.report_year, `${f.report_year}年度`)),
              el("td", {}, f.label),
              el("td", { class: "num" }, f.value),
              el("td", {}, f.unit || ""),
              el("td", { class: "wrap" }, f.sentence || ""),
            ),
          ),
          { id: "metrics-table" },
        )
      : el("p", {}, "无"),
  );
  show(...nodes);
  if (box) chart(box, barOption);
}

function chooseMetrics() {
  const query = new URLSearchParams();
  for (const [key, id] of [["metric", "metric"], ["province", "metric-province"]]) {
    const value = document.getElementById(id).value;
    if (value) query.set(key, value);
  }
  location.hash = `#/metrics?${query}`;
}

function passBadge(ok) {
  return el("span", { class: `status status-${ok ? "pass" : "fail"}` }, ok ? "通过" : "未通过");
}

async function buildsView() {
  const data = await api("builds");
  show(
    el("h2", {}, `构建与质量闸门（${data.builds.length} 次构建）`),
    el("p", { class: "muted" }, "每次构建依次运行落地区闸门、dbt 和数据集市闸门；记录取自 ", el("code", {}, data.log)),
    data.builds.length
      ? table(
          ["构建", "时间（UTC）", "截至日", "闸门结果", "已发布", "套件", "失败的期望", "严重失败", "警告", "隔离记录"],
          data.builds.map((b) =>
            el(
              "tr",
              { "data-build": b.build },
              el("td", {}, el("a", { href: `#/build/${b.build}` }, `第 ${b.build} 次`)),
              el("td", {}, time(b.started_at)),
              el("td", {}, day(b.as_of)),
              el("td", {}, passBadge(b.success)),
              el("td", {}, b.published ? "是（当前发布）" : "—"),
              el("td", { class: "num" }, b.suites),
              el("td", { class: "num" }, b.failed),
              el("td", { class: "num" }, b.critical_failed),
              el("td", { class: "num" }, b.warnings),
              el("td", { class: "num" }, b.quarantined),
            ),
          ),
          { id: "builds-table" },
        )
      : el("p", {}, "无"),
  );
}

async function buildView(number) {
  const data = await api(`builds/${number}`);
  const b = data.build;
  const nodes = [
    el("h2", {}, `第 ${b.build} 次构建`, " ", passBadge(b.success)),
    el("p", { class: "muted" }, `${time(b.started_at)} 至 ${time(b.finished_at)}（UTC），截至日 ${day(b.as_of)}`,
       b.published ? "；即当前已发布的数据仓库" : "", b.reached_marts ? "" : "；未进入数据集市闸门"),
    el("h3", {}, "闸门结果"),
    table(
      ["套件", "结果", "期望数", "失败", "严重失败", "警告", "检查行数", "隔离", "耗时（秒）", "失败的期望"],
      b.runs.map((r, i) =>
        el(
          "tr",
          { "data-suite": r.suite },
          el("td", {}, SUITES[r.suite] || r.suite, el("br"), el("code", {}, r.suite),
             // the marts gate validates a suite again on what remains after taking rows out (builds.py)
             i > 0 && b.runs[i - 1].suite === r.suite && b.runs[i - 1].quarantined
               ? [el("br"), el("span", { class: "muted" }, "暂扣后复检")] : null),
          el("td", {}, passBadge(r.success)),
          el("td", { class: "num" }, r.evaluated),
          el("td", { class: "num" }, r.failed),
          el("td", { class: "num" }, r.critical_failed),
          el("td", { class: "num" }, r.warnings),
          el("td", { class: "num" }, r.rows ?? "—"),
          el("td", { class: "num" }, r.quarantined ?? "—"),
          el("td", { class: "num" }, r.seconds ?? "—"),
          el("td", { class: "wrap" }, r.failures && r.failures.length ? el("ul", { class: "failures" }, r.failures.map((f) => el("li", {}, f))) : "无"),
        ),
      ),
      { id: "build-suites" },
    ),
    el("h3", {}, "落地区隔离的记录"),
  ];
  if (!data.quarantine_known) {
    nodes.push(el("p", {}, `本次构建隔离 ${b.quarantined} 条记录；逐条的隔离记录只保留当前发布的构建的（见该次构建）。`));
  } else if (!data.quarantine || !data.quarantine.length) {
    nodes.push(el("p", { id: "quarantine-none" }, "无"));
  } else {
    nodes.push(
      table(
        ["数据流", "记录", "原因", "期望", "隔离时间（UTC）"],
        data.quarantine.map((q) =>
          el("tr", {}, el("td", {}, STREAMS[q.stream] || q.stream), el("td", {}, el("code", {}, q.record_id)),
             el("td", { class: "wrap" }, q.reason), el("td", {}, q.expectation), el("td", {}, time(q.quarantined_at))),
        ),
        { id: "quarantine-table" },
      ),
    );
  }
  nodes.push(el("h3", {}, "数据集市中暂扣的行"));
  if (!data.quarantine_known) {
    nodes.push(el("p", {}, "逐行的暂扣记录只保留当前发布的构建的（见该次构建）。"));
  } else if (!data.marts_quarantine_available) {
    nodes.push(el("p", { id: "marts-quarantine-absent" }, "该数据仓库早于逐行隔离，没有 marts.quarantined_rows 表。"));
  } else {
    nodes.push(
      el("p", { class: "muted" }, "未通过逐行检查的数字或章节不发布，报告本身及其覆盖状态照常发布；取自 ",
         el("code", {}, "marts.quarantined_rows")),
      data.marts_quarantined.length
        ? heldTable(data.marts_quarantined, false, "marts-quarantine-table")
        : el("p", { id: "marts-quarantine-none" }, "当前无暂扣的行"),
    );
    if (data.marts_released.length) {
      nodes.push(
        el("details", { id: "marts-released" },
           el("summary", {}, `已放行的行（${data.marts_released.length} 行，历史记录）`),
           heldTable(data.marts_released, true, "marts-released-table")),
      );
    }
  }
  show(...nodes);
}

function heldTable(rows, released, id) {
  return table(
    ["政府", "年度", "字段", "数值", "原句", "原文", "未通过的检查", released ? "放行时间（UTC）" : "首次暂扣（UTC）"],
    rows.map((q) =>
      el(
        "tr",
        { "data-quarantine": q.quarantine_id, "data-table": q.table_name },
        el("td", {}, govLink(q.government_id, q.government_name), el("br"), el("code", {}, q.government_id)),
        el("td", {}, reportLink(q.government_id, q.report_year, String(q.report_year))),
        el("td", {}, q.field || "（无标题）", el("br"), el("span", { class: "muted" }, heldKind(q)[0])),
        // a figure's value as read; for another row, the column the check read (a section: has_content = False)
        el("td", { class: "num" }, q.table_name === "report_metrics" ? q.value : el("code", {}, `${q.column_name} = ${q.value}`)),
        el("td", { class: "wrap" }, (q.sentence || "").trim() || "—"),
        el("td", {}, sourceLink(q.url)),
        el("td", { class: "wrap" }, q.reason || "—", el("br"), el("code", {}, q.expectation)),
        el("td", {}, time(released ? q.released_at : q.first_quarantined_at)),
      ),
    ),
    { id },
  );
}

function heldKind(q) {
  return HELD_TABLES[q.table_name] || [q.table_name, "行"];
}

// ---- routing -----------------------------------------------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const name = parts[0] || "heatmap";
  document.querySelectorAll("nav a").forEach((a) => {
    const active = a.dataset.view === name || (a.dataset.view === "builds" && name === "build");
    a.classList.toggle("active", active);
  });
  const views = {
    heatmap: () => heatmapView(params),
    cell: () => cellView(parts[1], parts[2]),
    gov: () => governmentView(parts[1]),
    report: () => reportView(parts[1], parts[2]),
    missing: () => missingView(),
    search: () => searchView(params),
    metrics: () => metricsView(params),
    builds: () => buildsView(),
    build: () => buildView(parts[1]),
  };
  const render = views[name] || views.heatmap;
  document.body.dataset.view = "loading";
  render()
    .then(() => {
      document.body.dataset.view = name;
    })
    .catch((error) => {
      show(el("h2", {}, "无法显示"), el("p", { class: "error", id: "view-error" }, error.message),
           error.body && error.body.error_en ? el("p", { lang: "en", class: "muted" }, error.body.error_en) : null);
      document.body.dataset.view = "error";
    });
}

async function statusLine() {
  try {
    const s = await api("summary");
    document.getElementById("status-line").textContent =
      `截至 ${day(s.as_of)} · ${s.governments} 个政府 · ${s.annual_reports} 篇报告 · 数据仓库发布于 ${time(s.published_at)} UTC`;
  } catch (error) {
    document.getElementById("status-line").textContent = error.message;
  }
}

document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("search-input").value.trim();
  location.hash = `#/search?q=${encodeURIComponent(q)}`;
});
window.addEventListener("hashchange", route);
statusLine();
route();
