// The command-center map (Leaflet): grid cells shaded by open and overdue load, case markers
// coloured by state (clustered at city zoom, leaflet.markercluster), live worker positions;
// the legend's boxes show and hide each layer (cells, cases of each state, overdue, workers). Works without tiles: the cells and markers are
// vectors, so a map with no reachable tile server still shows everything that matters. All of
// it is WGS84, drawn in the tiles' datum (maptiles.js).
"use strict";

window.gf = window.gf || {};

gf.STATE_COLOURS = {
  reported: "#9e9e9e", registered: "#5c6bc0", dispatched: "#1e88e5", acknowledged: "#00897b",
  returned: "#8e24aa", resolved: "#7cb342", closed: "#2e7d32", rejected: "#616161",
  merged: "#616161",
};

// The case layers of the legend: one per open state, and the overdue cases whatever their state.
gf.CASE_LAYERS = ["reported", "registered", "dispatched", "acknowledged", "returned", "resolved",
  "overdue"];

gf.CommandMap = class CommandMap {
  constructor(node, { center, onCaseClick }) {
    this.map = L.map(node, { zoomControl: true, preferCanvas: false })
      .setView(gfTiles.toMap(...(center || [29.95, 121.71])), 14);
    for (const layer of gfTiles.layers(L)) layer.addTo(this.map);
    // Thousands of cells draw faster on a canvas; markers stay SVG (one element each).
    this.cellLayer = gfTiles.geoJSON(L, null, {
      style: (f) => this.cellStyle(f), renderer: L.canvas(),
    }).addTo(this.map);
    // Markers closer than 50 px cluster below street zoom (14); circle markers need no animation.
    this.caseLayer = L.markerClusterGroup({
      animate: false, maxClusterRadius: 50, disableClusteringAtZoom: 14, showCoverageOnHover: false,
    }).addTo(this.map);
    this.shown = new Set(["cells", ...gf.CASE_LAYERS, "workers"]);
    this.workerLayer = L.layerGroup().addTo(this.map);
    this.cases = new Map();     // case id → marker
    this.workers = new Map();   // worker id → marker
    this.load = new Map();      // cell code → {open, overdue}
    this.onCaseClick = onCaseClick;
    this.fitted = false;
    this.map.on("moveend", () => this.loadCells());
    this.legend().addTo(this.map);
    // A worker who stopped pinging leaves the map after 15 minutes.
    setInterval(() => this.dropStaleWorkers(15 * 60 * 1000), 30 * 1000);
  }

  legend() {
    const control = L.control({ position: "bottomleft" });
    const rows = [["cells", "dot cells", "layer.cells"],
      ...gf.CASE_LAYERS.map((k) => [k, k === "overdue" ? "dot overdue" : `dot state-${k}`,
        k === "overdue" ? "case.overdue" : `state.${k}`]),
      ["workers", "dot worker", "worker"]];
    control.onAdd = () => {
      const box = gf.el("div", { class: "map-legend map-layers" });
      L.DomEvent.disableClickPropagation(box);
      const render = () => {
        gf.clear(box);
        for (const [key, dot, text] of rows) {
          box.append(gf.el("label", { class: "layer-toggle" },
            gf.el("input", { type: "checkbox", "data-layer": key, checked: this.shown.has(key),
              onchange: (ev) => this.show(key, ev.target.checked) }),
            gf.el("span", { class: dot }), gf.el("span", { text: gf.t(text) })));
        }
      };
      render();
      gf.onLanguage.push(render);
      return box;
    };
    return control;
  }

  // Shows or hides one layer of the legend: "cells", "workers" or one of gf.CASE_LAYERS.
  show(key, on) {
    if (on) this.shown.add(key); else this.shown.delete(key);
    const whole = { cells: this.cellLayer, workers: this.workerLayer }[key];
    if (whole) {
      if (on) whole.addTo(this.map); else whole.remove();
      return;
    }
    const markers = [...this.cases.values()].filter((m) => m.layerKey === key);
    if (on) this.caseLayer.addLayers(markers); else this.caseLayer.removeLayers(markers);
  }

  dropStaleWorkers(maxAgeMs) {
    const now = Date.now();
    for (const [id, marker] of this.workers) {
      if (now - marker.seenAt > maxAgeMs) {
        this.workerLayer.removeLayer(marker);
        this.workers.delete(id);
      }
    }
  }

  cellCode(feature) {
    const p = feature.properties || {};
    return p.code || p.cell_code;
  }

  cellStyle(feature) {
    const load = this.load.get(this.cellCode(feature)) || { open: 0, overdue: 0 };
    let fill = "#c8e6c9";
    if (load.overdue > 0) fill = load.overdue > 2 ? "#c62828" : "#ef5350";
    else if (load.open > 4) fill = "#ffa726";
    else if (load.open > 0) fill = "#fff176";
    return {
      color: "#455a64", weight: 1, fillColor: fill,
      fillOpacity: load.open > 0 ? 0.45 : 0.15,
      className: `grid-cell cell-${this.cellCode(feature)}`,
    };
  }

  // Cell load in columns: {cell_code: [...], open: [...], overdue: [...]}.
  setLoad(cells) {
    this.load = new Map();
    const { cell_code: codes, open, overdue } = cells;
    for (let i = 0; i < codes.length; i += 1) {
      this.load.set(codes[i], { open: open[i], overdue: overdue[i] });
    }
    this.cellLayer.setStyle((f) => this.cellStyle(f));
  }

  // Loads the cells in view, page by page (the API pages by cell code); a newer move cancels.
  async loadCells() {
    const generation = (this.cellGeneration = (this.cellGeneration || 0) + 1);
    const bbox = gfTiles.bbox(this.map.getBounds());
    let url = `/api/v1/grid/cells?bbox=${bbox}&zoom=${this.map.getZoom()}&limit=1000`;
    const features = [];
    for (let page = 0; url && page < 10; page += 1) {
      const resp = await gf.api(url);
      if (generation !== this.cellGeneration) return;
      if (!resp.ok || !resp.data || !resp.data.features) break;
      features.push(...resp.data.features);
      url = resp.data.next;
    }
    this.cellLayer.clearLayers();
    this.cellLayer.addData({ type: "FeatureCollection", features });
    this.cellLayer.eachLayer((layer) => {
      const code = this.cellCode(layer.feature);
      layer.bindTooltip(gf.el("span", { text: `${layer.feature.properties.name || ""} ${code}` }));
    });
  }

  upsertCase(c) {
    const existing = this.cases.get(c.id);
    if (existing) { this.caseLayer.removeLayer(existing); this.cases.delete(c.id); }
    const marker = this.caseMarker(c);
    if (marker && this.shown.has(marker.layerKey)) this.caseLayer.addLayer(marker);
  }

  // The marker of an open case with a place (null otherwise), kept in this.cases.
  caseMarker(c) {
    if (c.lat === null || c.lng === null || c.lat === undefined) return null;
    if (["closed", "rejected", "merged"].includes(c.state)) return null;
    const marker = L.circleMarker(gfTiles.toMap(c.lat, c.lng), {
      radius: 7,
      color: c.overdue ? "#d50000" : "#ffffff",
      weight: c.overdue ? 3 : 1.5,
      fillColor: gf.STATE_COLOURS[c.state] || "#9e9e9e",
      fillOpacity: 0.95,
      className: `case-marker state-${c.state} case-${c.id} report-${c.report_id}` +
        (c.overdue ? " overdue" : ""),
    });
    marker.bindTooltip(() => gf.el("span", {
      text: `${c.case_no || ""} · ${gf.t("state." + c.state)} · ${(c.category || {})[gf.lang] || ""}`,
    }));
    marker.on("click", () => this.onCaseClick(c.id));
    marker.layerKey = c.overdue ? "overdue" : c.state;
    this.cases.set(c.id, marker);
    return marker;
  }

  fitScope(bounds) {
    if (!bounds) return;
    this.map.fitBounds(gfTiles.bounds(bounds), { padding: [10, 10] });
    this.fitted = true;
  }

  resetCases(cases) {
    this.caseLayer.clearLayers();
    this.cases.clear();
    for (const c of cases) this.upsertCase(c);   // one by one: later cases drawn on top
    if (!this.fitted && cases.some((c) => c.lat !== null)) {
      const points = cases.filter((c) => c.lat !== null).map((c) => gfTiles.toMap(c.lat, c.lng));
      this.map.fitBounds(points, { maxZoom: 15, padding: [30, 30] });
      this.fitted = true;
    }
  }

  moveWorker(p) {
    let marker = this.workers.get(p.worker_id);
    if (!marker) {
      marker = L.circleMarker(gfTiles.toMap(p.lat, p.lng), {
        radius: 5, color: "#311b92", weight: 2, fillColor: "#b388ff", fillOpacity: 1,
        className: `worker-marker worker-${p.worker_id}`,
      }).addTo(this.workerLayer);
      marker.bindTooltip(() => gf.el("span", { text: `${gf.t("worker")} #${p.worker_id}` }));
      this.workers.set(p.worker_id, marker);
    }
    marker.setLatLng(gfTiles.toMap(p.lat, p.lng));
    marker.seenAt = Date.now();
  }
};
