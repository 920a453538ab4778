// The grid: the current cells on the map, the version history (each exported as GeoJSON), and
// a GeoJSON upload checked by the importer — its problems listed and marked on the map — then
// committed as a new version only when clean.
"use strict";

window.gf = window.gf || {};

gf.grid = {
  async versions() {
    const resp = await gf.api("/api/v1/admin/grid/versions");
    const body = gf.clear(gf.$("#grid-versions tbody"));
    for (const v of (resp.ok ? resp.data.items : [])) {
      const until = v.valid_to ? gf.fmtDateTime(v.valid_to) : gf.t("grid.current");
      body.append(gf.el("tr", { "data-version": v.id, class: v.current ? "current" : "" },
        gf.el("td", { text: v.id }), gf.el("td", { text: v.district_code }),
        gf.el("td", { text: `${gf.fmtDateTime(v.valid_from)} – ${until}` }),
        gf.el("td", { text: v.cell_count }), gf.el("td", { text: v.note ? `${v.source} · ${v.note}` : v.source }),
        gf.el("td", {}, gf.el("button", { type: "button", text: gf.t("grid.export"),
          onclick: () => gf.grid.exportVersion(v) }))));
    }
  },

  async exportVersion(v) {
    const resp = await gf.api(`/api/v1/admin/grid/export?district=${v.district_code}&version=${v.id}`);
    if (!resp.ok) return;
    const blob = new Blob([JSON.stringify(resp.data)], { type: "application/geo+json" });
    const link = gf.el("a", { href: URL.createObjectURL(blob), download: `grid-${v.district_code}-v${v.id}.geojson` });
    document.body.append(link);
    link.click();
    link.remove();
  },

  async upload(commit) {
    const file = gf.$("#grid-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("commit", commit ? "true" : "false");
    form.append("note", gf.$("#grid-note").value.trim());
    const resp = await gf.api("/api/v1/admin/grid/import", { method: "POST", form });
    const data = resp.data || {};
    if (!data.report) {
      gf.$("#grid-summary").textContent = gf.errorText(data);
      return;
    }
    const r = data.report;
    gf.$("#grid-summary").textContent = data.committed ? gf.t("grid.committed")
      : gf.tf(r.ok ? "grid.clean" : "grid.faulty", { cells: r.cells, errors: r.errors, warnings: r.warnings });
    gf.$("#grid-commit").disabled = data.committed || !r.ok;
    gf.grid.problems.clearLayers();
    // The file's own cells, drawn under the problems (a file that is no JSON has none: the
    // importer's report says what is wrong with it).
    const shapes = await file.text().then(JSON.parse).catch(() => null);
    if (shapes) {
      gfTiles.geoJSON(L, shapes, { style: { color: "#6a1b9a", weight: 1, fillOpacity: 0.1 } }).addTo(gf.grid.problems);
    }
    const body = gf.clear(gf.$("#grid-problems tbody"));
    for (const p of r.problems) {
      body.append(gf.el("tr", { class: p.severity, "data-kind": p.kind },
        gf.el("td", { text: gf.t("grid." + p.severity) }), gf.el("td", { text: p.kind }),
        gf.el("td", { text: [p.feature, p.code].filter(Boolean).join(" ") }), gf.el("td", { text: p.message })));
      if (p.lat !== undefined && p.lng !== undefined) {
        L.circleMarker(gfTiles.toMap(p.lat, p.lng), { radius: 9, color: p.severity === "error" ? "#c62828" : "#ef6c00",
          className: `problem-marker ${p.severity}` }).bindTooltip(`${p.kind}: ${p.message}`).addTo(gf.grid.problems);
      }
    }
    gf.$("#grid-problems").hidden = !r.problems.length;
    if (gf.grid.problems.getLayers().length) {
      gf.grid.map.map.fitBounds(gf.grid.problems.getBounds(), { maxZoom: 16, padding: [40, 40] });
    }
    if (data.committed) await gf.grid.versions();
  },

  started: false,
  async start() {
    if (gf.grid.started) { gf.grid.map.refresh(); return; }
    gf.grid.started = true;
    gf.grid.map = new gf.CellPicker(gf.$("#grid-map"), {
      onChange: (codes) => gf.gridEdit.chosen(codes),
    });
    gf.gridEdit.start(gf.grid.map);
    gf.grid.problems = L.featureGroup().addTo(gf.grid.map.map);
    gf.$("#grid-file").addEventListener("change", () => { gf.$("#grid-commit").disabled = true; });
    gf.$("#grid-check").addEventListener("click", () => gf.grid.upload(false));
    gf.$("#grid-commit").addEventListener("click", () => gf.grid.upload(true));
    await gf.grid.versions();
    gf.grid.map.refresh();
  },
};
