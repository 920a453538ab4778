// The command center's heat map: the cases of one category (or all) received in a period,
// counted by place on the server (GET /api/v1/operator/cases/heat, in the operator's place)
// and drawn by leaflet.heat in the tiles' datum. A box on the map turns it on and picks the
// category and the days; the number of cases drawn is shown beside them.
"use strict";

window.gf = window.gf || {};

gf.attachHeatLayer = function attachHeatLayer(commandMap) {
  const map = commandMap.map;
  const control = L.control({ position: "topright" });
  const day = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-` +
    String(d.getDate()).padStart(2, "0");
  const today = new Date();
  const monthAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29);
  const on = gf.el("input", { type: "checkbox", id: "heat-on" });
  const category = gf.el("select", { id: "heat-category" });
  const first = gf.el("input", { type: "date", id: "heat-from", value: day(monthAgo) });
  const last = gf.el("input", { type: "date", id: "heat-to", value: day(today) });
  const status = gf.el("span", { class: "heat-status", role: "status" });
  let categories = [];
  let layer = null;
  let asked = 0;

  function renderCategories() {
    const chosen = category.value;
    gf.clear(category).append(gf.el("option", { value: "", text: gf.t("heat.any_category") }),
      ...categories.map((c) => gf.el("option", { value: c.code,
        text: `${c.code} ${gf.lang === "zh" ? c.name_zh : c.name_en}` })));
    category.value = chosen;
  }

  async function draw() {
    const mine = ++asked;
    if (layer) { layer.remove(); layer = null; }
    status.textContent = "";
    delete status.dataset.cases;
    if (!on.checked) return;
    const q = new URLSearchParams({ from: first.value, to: last.value });
    if (category.value) q.set("category", category.value);
    const resp = await gf.api(`/api/v1/operator/cases/heat?${q}`);
    if (mine !== asked || !on.checked) return;   // changed again while this one was asked
    if (!resp.ok) { status.textContent = gf.t("heat.bad"); return; }
    const { points, max } = resp.data;
    layer = L.heatLayer(points.map(([lat, lng, n]) => [...gfTiles.toMap(lat, lng), n]),
      { radius: 25, blur: 15, max: Math.max(1, max), minOpacity: 0.35 }).addTo(map);
    const cases = points.reduce((sum, p) => sum + p[2], 0);
    status.dataset.cases = String(cases);
    status.textContent = gf.t("heat.count").replace("{cases}", cases);
  }

  control.onAdd = () => {
    const box = gf.el("div", { class: "heat-control" },
      gf.el("label", {}, on, gf.el("span", { "data-i18n": "heat.title", text: gf.t("heat.title") })),
      category,
      gf.el("label", {}, gf.el("span", { "data-i18n": "heat.from", text: gf.t("heat.from") }), first),
      gf.el("label", {}, gf.el("span", { "data-i18n": "heat.to", text: gf.t("heat.to") }), last),
      status);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
  for (const input of [on, category, first, last]) input.addEventListener("change", draw);
  gf.onLanguage.push(() => { renderCategories(); if (status.dataset.cases) draw(); });

  gf.api("/api/v1/categories").then((resp) => {
    if (resp.ok) { categories = resp.data.items; renderCategories(); }
  });
  renderCategories();
};
