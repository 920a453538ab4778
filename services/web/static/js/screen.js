// The big screen (/screen) of a command center's video wall: no interaction needed. Today's
// tiles, the map with its cells shaded by open and overdue load, this month's figures and the
// department ranking (from the rankings API), overdue counts by department, a live ticker; the
// right-hand panels take turns. The live connection reconnects by itself (live.js).
"use strict";

(function bigScreen() {
  const cases = new Map();
  let map = null;
  let live = null;
  let summaryTimer = null;
  let lastSummary = null;
  let lastMonth = null;
  const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
  const setTile = (id, value) => { gf.$(`#${id} .value`).textContent = String(value); };

  function renderToday(k) {
    for (const key of ["captured", "dispatched", "resolved", "closed"]) setTile(`today-${key}`, k[key]);
    setTile("today-on_time_rate", pct(k.on_time_rate));
  }

  function renderOverdue(rows) {
    const list = gf.clear(gf.$("#overdue"));
    const worst = [...rows].sort((a, b) => b.overdue - a.overdue || b.open - a.open).slice(0, 12);
    for (const r of worst) {
      list.append(gf.el("li", { class: r.overdue > 0 ? "bad" : "" },
        gf.el("span", { text: (r.name && r.name[gf.lang]) || r.department_code }),
        gf.el("span", { class: "count", text: `${r.overdue} / ${r.open}` })));
    }
  }

  function renderSummary(s) {
    lastSummary = s;
    renderToday(s.kpis);
    renderOverdue(s.departments);
    map.setLoad(s.cells);
  }

  function renderMonth(body) {
    lastMonth = body;
    const v = body.total.values;
    setTile("month-cases", v.cases);
    for (const key of ["closure_rate", "on_time_closure_rate", "satisfaction_rate"]) setTile(`month-${key}`, pct(v[key]));
    setTile("month-score", body.total.score === null ? "—" : body.total.score.toFixed(1));
    const list = gf.clear(gf.$("#ranking"));
    for (const row of body.items.slice(0, 12)) {
      list.append(gf.el("li", { "data-code": row.code },
        gf.el("span", { text: row.name || row.code || "—" }),
        gf.el("span", { class: "score", text: row.score === null ? "—" : row.score.toFixed(1) })));
    }
  }

  async function loadMonth() {
    const resp = await gf.api("/api/v1/rankings?level=department&period=month");
    if (resp.ok) renderMonth(resp.data);
  }

  function refreshSummarySoon() {
    if (summaryTimer) return;
    summaryTimer = setTimeout(async () => {
      summaryTimer = null;
      const s = await live.request("summary");
      if (s && !s.error) renderSummary(s);
    }, 800);
  }

  function addToTicker(m) {
    const c = m.case || {};
    const dept = (c.department || {})[gf.lang] || c.department_code || "";
    const list = gf.$("#ticker");
    list.prepend(gf.el("li", { "data-event-id": m.id, "data-case-id": c.id },
      gf.el("time", { text: gf.fmtTime(m.at) }),
      gf.el("span", { class: "type", text: gf.t("event." + m.type) }),
      gf.el("span", { text: `${c.case_no || ""} ${(c.category || {})[gf.lang] || ""}` +
        (m.type === "CaseDispatched" && dept ? ` → ${dept}` : "") })));
    while (list.children.length > 6) list.lastChild.remove();
  }

  function onEvent(m) {
    addToTicker(m);
    const c = m.case;
    if (c && (!cases.has(c.id) || (cases.get(c.id).seq || 0) <= (c.seq || 0))) {
      cases.set(c.id, c);
      map.upsertCase(c);
    }
    refreshSummarySoon();
  }

  function onSnapshot(s, first) {
    const scope = s.principal.scope_name;
    gf.$("#scope").textContent = (scope && scope[gf.lang]) || s.principal.jurisdiction_code || "";
    gf.takeSnapshotCases(cases, s);
    if (first) map.fitScope(s.bounds);
    map.resetCases([...cases.values()]);
    renderSummary(s);
    if (first) for (const m of s.events.slice(-6)) addToTicker(m);
  }

  function cyclePanels() {
    const panels = [gf.$("#panel-ranking"), gf.$("#panel-overdue")];
    const shown = panels.findIndex((p) => !p.hidden);
    panels.forEach((p, i) => { p.hidden = i !== (shown + 1) % panels.length; });
  }

  async function start() {
    gf.$("#logout").hidden = true;
    await gf.startPage();
    map = new gf.CommandMap(gf.$("#map"), {});
    gf.onLanguage.push(() => {
      if (lastSummary) renderSummary(lastSummary);
      if (lastMonth) renderMonth(lastMonth);
    });
    live = gf.live({ onSnapshot, onEvent, onWorker: (p) => map.moveWorker(p), onStatus: gf.showConnection });
    window.gridflowLive = live;
    setInterval(cyclePanels, 15 * 1000);
    setInterval(() => { if (live.socket.connected) refreshSummarySoon(); }, 60 * 1000);
    setInterval(loadMonth, 5 * 60 * 1000);
    loadMonth();
    map.loadCells();
  }

  start();
})();
