// The command-center page: map, KPI tiles, hourly chart, department table, case search and
// list, live ticker, and the case panel with its operator actions.
"use strict";

(function commandCenter() {
  const cases = new Map();          // case id → newest case view (by seq)
  let summaryTimer = null;
  let map = null;
  let live = null;
  let lastSummary = null;

  function keepNewest(c) {
    const known = cases.get(c.id);
    if (known && (known.seq || 0) > (c.seq || 0)) return false;
    cases.set(c.id, c);
    return true;
  }

  function renderKpis(k) {
    const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
    const dur = (s) => gf.fmtSpan(s);
    const values = {
      captured: k.captured, dispatched: k.dispatched, resolved: k.resolved, closed: k.closed,
      on_time_rate: pct(k.on_time_rate), median_resolve: dur(k.median_resolve_s),
    };
    for (const [key, value] of Object.entries(values)) {
      gf.$(`#kpi-${key} .value`).textContent = String(value);
    }
  }

  function renderChart(hourly) {
    const svg = gf.clear(gf.$("#chart"));
    const width = 360, height = 120, pad = 18;
    const max = Math.max(1, ...hourly.map((h) => Math.max(h.captured, h.closed)));
    const step = (width - pad) / 24;
    for (const h of hourly) {
      const x = pad + h.hour * step;
      const hc = ((height - pad) * h.captured) / max;
      const hd = ((height - pad) * h.closed) / max;
      svg.append(gf.svg("rect", { x, y: height - pad - hc, width: step / 2 - 1, height: hc,
        class: "bar captured" }));
      svg.append(gf.svg("rect", { x: x + step / 2, y: height - pad - hd, width: step / 2 - 1,
        height: hd, class: "bar closed" }));
    }
    for (const hour of [0, 6, 12, 18]) {
      const label = gf.svg("text", { x: pad + hour * step, y: height - 4, class: "axis" });
      label.textContent = String(hour);
      svg.append(label);
    }
    const top = gf.svg("text", { x: 0, y: 10, class: "axis" });
    top.textContent = String(max);
    svg.append(top);
  }

  function renderDepartments(rows) {
    const tbody = gf.clear(gf.$("#departments tbody"));
    for (const r of rows) {
      tbody.append(gf.el("tr", { class: r.overdue > 0 ? "has-overdue" : "" },
        gf.el("td", { text: (r.name && r.name[gf.lang]) || r.department_code }),
        gf.el("td", { text: r.open }),
        gf.el("td", { class: "overdue", text: r.overdue })));
    }
    const list = gf.clear(gf.$("#department-codes"));
    for (const r of rows) {
      list.append(gf.el("option", { value: r.department_code, label: (r.name || {})[gf.lang] }));
    }
  }

  function renderSummary(s) {
    lastSummary = s;
    renderKpis(s.kpis);
    renderChart(s.hourly);
    renderDepartments(s.departments);
    map.setLoad(s.cells);
  }

  // At most one summary request per 0.8 s however fast events come (a throttle, not a
  // debounce: a busy city must not starve the tiles).
  function refreshSummarySoon() {
    if (summaryTimer) return;
    summaryTimer = setTimeout(async () => {
      summaryTimer = null;
      const s = await live.request("summary");
      if (s && !s.error) renderSummary(s);
    }, 800);
  }

  function tickerLine(m) {
    const c = m.case || {};
    const name = (c.department || {})[gf.lang] || c.department_code;
    const dept = m.type === "CaseDispatched" && name ? ` → ${name}` : "";
    return gf.el("li", { class: `ticker-item event-${m.type}`, "data-event-id": m.id,
      "data-case-id": c.id, "data-report-id": c.report_id, onclick: () => openCase(c.id) },
      gf.el("time", { text: gf.fmtTime(m.at) }),
      gf.el("span", { class: "type", text: gf.t("event." + m.type) }),
      gf.el("span", { class: "case-no", text: c.case_no || "" }),
      gf.el("span", { class: "what", text: `${(c.category || {})[gf.lang] || ""}${dept}` }));
  }

  function addToTicker(m) {
    const list = gf.$("#ticker");
    list.prepend(tickerLine(m));
    while (list.children.length > 200) list.lastChild.remove();
  }

  function onEvent(m) {
    addToTicker(m);
    if (m.case && keepNewest(m.case)) map.upsertCase(cases.get(m.case.id));
    const panel = gf.$("#case-panel");
    // Refresh an open panel of this case, unless the operator is typing in it.
    if (panel.dataset.caseId === (m.case || {}).id && !panel.contains(document.activeElement)) {
      openCase(m.case.id);
    }
    refreshSummarySoon();
  }

  function onSnapshot(s, first) {
    const scope = s.principal.scope_name;
    gf.$("#scope").textContent = (scope && scope[gf.lang]) || s.principal.jurisdiction_code ||
      s.principal.department_code || s.principal.role;
    gf.takeSnapshotCases(cases, s);
    if (first) map.fitScope(s.bounds);
    map.resetCases([...cases.values()]);
    renderSummary(s);
    if (first) for (const m of s.events) addToTicker(m);
    for (const w of s.workers) map.moveWorker(w);
  }

  async function openCase(caseId) {
    if (!caseId) return;
    const detail = await live.request("case_detail", { case_id: caseId });
    if (!detail || detail.error) return;
    gf.renderCasePanel(gf.$("#case-panel"), detail);
  }

  async function start() {
    await gf.startPage();
    map = new gf.CommandMap(gf.$("#map"), { onCaseClick: openCase });
    gf.onLanguage.push(() => {
      if (lastSummary) renderSummary(lastSummary);
      map.resetCases([...cases.values()]);
    });
    live = gf.live({ onSnapshot, onEvent, onWorker: (p) => map.moveWorker(p), onStatus: gf.showConnection });
    window.gridflowLive = live;   // for the browser tests: the connection they cut and restore
    window.gridflowMap = map.map;   // and the map they can ask for its view
    gf.attachPatrolLayer(map, live);
    gf.attachHeatLayer(map);
    // Limits pass without events too: refresh the tiles and the cell shading every minute.
    setInterval(() => { if (live.socket.connected) refreshSummarySoon(); }, 60 * 1000);
    gf.caseList(openCase);
    gf.hotlineForm(map.map, openCase);
    map.loadCells();
  }

  start();
})();
