// The rankings page (/kpi): a ranking table that sorts by any column and drills down
// district → street → community → cell, a bar chart of the scores and a line chart of the
// weekly trend (Apache ECharts), XLSX export. The state is kept in the page's URL.
"use strict";

const kpi = {
  state: null, // {level, period, date, scheme, sort, order, within: [{code, name, level}]}
  last: null, // the last ranking answer
  charts: {},
};

function kpiStateFromUrl() {
  const q = new URLSearchParams(location.search);
  const today = new Date().toISOString().slice(0, 10);
  const within = q.get("within");
  return {
    level: q.get("level") || "street",
    period: q.get("period") || "month",
    date: q.get("date") || today,
    scheme: q.get("scheme") || "",
    sort: q.get("sort") || "score",
    order: q.get("order") || "best",
    within: within ? [{ code: within, name: within, level: q.get("level") || "street" }] : [],
  };
}

function kpiQuery(extra) {
  const s = kpi.state;
  const q = new URLSearchParams({ level: s.level, period: s.period, date: s.date,
    sort: s.sort, order: s.order });
  if (s.scheme) q.set("scheme", s.scheme);
  const inside = s.within[s.within.length - 1];
  if (inside) q.set("within", inside.code);
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  return q;
}

function kpiFmt(metric, value) {
  if (value === null || value === undefined) return "—";
  if (metric.kind === "rate") return `${(value * 100).toFixed(2)}%`;
  if (metric.kind === "duration") return `${(value / 3600).toFixed(1)} h`;
  return String(value);
}

function kpiMetricName(m) { return gf.lang === "zh" ? m.zh : m.en; }

function kpiHeader(body) {
  const s = kpi.state;
  const cols = [["rank", gf.t("rank.rank"), false], ["name", gf.t("rank.name"), false],
    ["score", gf.t("rank.score"), true],
    ...body.metrics.map((m) => [m.key, kpiMetricName(m), true])];
  const row = gf.el("tr", {});
  for (const [key, label, sortable] of cols) {
    const sorted = sortable && s.sort === key;
    const th = gf.el("th", { "data-key": key, class: sorted ? `sorted ${s.order === "asc" ? "asc" : ""}` : "",
      text: label });
    if (sortable) th.addEventListener("click", () => kpiSort(key));
    row.append(th);
  }
  gf.clear(gf.$("#ranking thead")).append(row);
}

function kpiRow(body, item, total) {
  const name = total ? gf.t("rank.total") : item.name || item.code || "—";
  const tr = gf.el("tr", { class: total ? "total" : item.drill ? "drill" : "",
    "data-code": total ? null : item.code });
  tr.append(gf.el("td", { class: "num", text: total ? "" : item.rank ?? "—" }));
  tr.append(gf.el("td", { text: name, title: item.code || "" }));
  tr.append(gf.el("td", { class: "num", text: item.score === null ? "—" : item.score.toFixed(2) }));
  for (const m of body.metrics) tr.append(gf.el("td", { class: "num", text: kpiFmt(m, item.values[m.key]) }));
  if (!total && item.drill) tr.addEventListener("click", () => kpiDrill(item));
  return tr;
}

function kpiTable(body) {
  kpiHeader(body);
  const tbody = gf.clear(gf.$("#ranking tbody"));
  for (const item of body.items) tbody.append(kpiRow(body, item, false));
  tbody.append(kpiRow(body, body.total, true));
  gf.$("#empty").hidden = body.items.length > 0;
}

function kpiCrumbs() {
  const nav = gf.clear(gf.$("#crumbs"));
  const top = gf.el("button", { type: "button", text: gf.t("rank.all") });
  top.addEventListener("click", () => kpiUp(0));
  nav.append(top);
  kpi.state.within.forEach((step, i) => {
    nav.append(gf.el("span", { class: "sep", text: "›" }));
    const b = gf.el("button", { type: "button", text: step.name || step.code, "data-code": step.code });
    b.addEventListener("click", () => kpiUp(i + 1));
    nav.append(b);
  });
}

function kpiCharts(body) {
  if (!window.echarts) return;
  const bars = kpi.charts.bars || (kpi.charts.bars = echarts.init(gf.$("#score-chart")));
  const top = body.items.filter((i) => i.score !== null).slice(0, 15);
  bars.setOption({
    animation: false,
    title: { text: gf.t("rank.scores"), textStyle: { fontSize: 13 } },
    grid: { left: 110, right: 20, top: 30, bottom: 20 },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: top.map((i) => i.name || i.code || "—") },
    series: [{ type: "bar", data: top.map((i) => Number(i.score.toFixed(2))) }],
  }, true);
}

async function kpiTrend() {
  if (!window.echarts) return;
  const q = new URLSearchParams({ date: kpi.state.date, weeks: "8" });
  if (kpi.state.scheme) q.set("scheme", kpi.state.scheme);
  const inside = kpi.state.within[kpi.state.within.length - 1];
  if (inside) q.set("within", inside.code);
  const resp = await gf.api(`/api/v1/rankings/trend?${q}`);
  if (!resp.ok) return;
  const line = kpi.charts.line || (kpi.charts.line = echarts.init(gf.$("#trend-chart")));
  const weeks = resp.data.weeks;
  line.setOption({
    animation: false,
    title: { text: gf.t("rank.trend"), textStyle: { fontSize: 13 } },
    grid: { left: 40, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category", data: weeks.map((w) => w.from.slice(5)) },
    yAxis: { type: "value" },
    series: [{ type: "line", data: weeks.map((w) => (w.score === null ? null : Number(w.score.toFixed(2)))) }],
  }, true);
}

function kpiSchemes(body) {
  const select = gf.$("#scheme");
  if (select.options.length === 0) {
    for (const s of body.schemes) select.append(gf.el("option", { value: s.name, text: s.title }));
  }
  select.value = body.scheme.name;
  gf.$("#scheme-title").textContent = `${body.scheme.title} — ${body.scheme.source}`;
}

function kpiSaveUrl() {
  history.replaceState(null, "", `${location.pathname}?${kpiQuery()}`);
}

async function kpiLoad() {
  const s = kpi.state;
  gf.$("#level").value = s.level;
  gf.$("#period").value = s.period;
  gf.$("#date").value = s.date;
  kpiSaveUrl();
  kpiCrumbs();
  const resp = await gf.api(`/api/v1/rankings?${kpiQuery()}`);
  if (!resp.ok) {
    gf.$("#period-shown").textContent = resp.data?.error?.message || String(resp.status);
    return;
  }
  kpi.last = resp.data;
  gf.$("#period-shown").textContent = `${resp.data.from} — ${resp.data.to}`;
  kpiSchemes(resp.data);
  kpiTable(resp.data);
  kpiCharts(resp.data);
  document.body.dataset.loaded = `${s.level}:${kpiQuery()}`;
  kpiTrend();
}

function kpiSort(key) {
  const s = kpi.state;
  if (s.sort === key) s.order = s.order === "asc" ? "desc" : "asc";
  else { s.sort = key; s.order = "best"; }
  if (s.order === "best") {
    const metric = kpi.last?.metrics.find((m) => m.key === key);
    s.order = key === "score" || metric?.higher ? "desc" : "asc";
  }
  kpiLoad();
}

function kpiDrill(item) {
  const inside = kpi.state.within[kpi.state.within.length - 1];
  if (!inside || inside.code !== item.code) {
    kpi.state.within.push({ code: item.code, name: item.name || item.code, level: kpi.state.level });
  }
  kpi.state.level = item.drill;
  kpiLoad();
}

function kpiUp(depth) {
  const s = kpi.state;
  const back = s.within[depth];
  s.within = s.within.slice(0, depth);
  if (back) s.level = back.level;
  kpiLoad();
}

async function kpiExport() {
  const resp = await gf.api(`/api/v1/rankings?${kpiQuery({ format: "xlsx" })}`);
  if (!resp.ok) return;
  const link = gf.el("a", { href: URL.createObjectURL(resp.data),
    download: `ranking-${kpi.state.level}-${kpi.state.date}.xlsx` });
  document.body.append(link);
  link.click();
  link.remove();
}

(async function main() {
  gf.$("#connection").hidden = true;
  await gf.startPage();
  kpi.state = kpiStateFromUrl();
  for (const id of ["level", "period", "date", "scheme"]) {
    gf.$(`#${id}`).addEventListener("change", (ev) => {
      kpi.state[id] = ev.target.value;
      if (id === "level") kpi.state.within = [];
      kpiLoad();
    });
  }
  gf.$("#export").addEventListener("click", kpiExport);
  gf.onLanguage.push(() => kpi.last && (kpiTable(kpi.last), kpiCharts(kpi.last), kpiCrumbs(),
    kpiTrend()));
  window.addEventListener("resize", () => Object.values(kpi.charts).forEach((c) => c.resize()));
  kpiLoad();
  noticesLoad();
})();
