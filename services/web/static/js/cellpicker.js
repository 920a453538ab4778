// Picking grid cells on a map (Leaflet): the current cells in view are drawn (from zoom 15),
// a click adds or removes one; chosen cells are filled. `find(code)` brings a cell into view.
"use strict";

window.gf = window.gf || {};

gf.CellPicker = class CellPicker {
  // onClick(code, latlng), when given, is called for a click instead of choosing the cell.
  // Cells are WGS84, drawn in the tiles' datum; a click's latlng is given back in WGS84.
  constructor(node, { onChange, onClick }) {
    this.map = L.map(node).setView(gfTiles.toMap(29.95, 121.71), 15);
    for (const layer of gfTiles.layers(L)) layer.addTo(this.map);
    this.chosen = new Set();
    this.onChange = onChange || (() => {});
    this.layer = gfTiles.geoJSON(L, null, {
      style: (f) => this.style(f),
      onEachFeature: (f, layer) => {
        layer.bindTooltip(gf.el("span", { text: `${f.properties.name || ""} ${f.properties.code}` }));
        layer.on("click", (ev) => {
          if (this.map.pm && this.map.pm.globalDrawModeEnabled()) return; // a line is being drawn
          if (onClick) onClick(f.properties.code, L.latLng(gfTiles.fromMap(ev.latlng.lat, ev.latlng.lng)));
          else this.toggle(f.properties.code);
        });
      },
    }).addTo(this.map);
    this.map.on("moveend", () => this.load());
  }

  style(feature) {
    const code = feature.properties.code;
    const on = this.chosen.has(code);
    return {
      color: on ? "#0d47a1" : "#546e7a", weight: on ? 2 : 1, fillColor: on ? "#1e88e5" : "#cfd8dc",
      fillOpacity: on ? 0.55 : 0.15, className: `grid-cell cell-${code}${on ? " chosen" : ""}`,
    };
  }

  // Restyles the drawn cells; Leaflet keeps a path's first class, so `chosen` is set here too.
  paint() {
    this.layer.eachLayer((l) => {
      l.setStyle(this.style(l.feature));
      const path = l.getElement && l.getElement();
      if (path) path.classList.toggle("chosen", this.chosen.has(l.feature.properties.code));
    });
    this.onChange([...this.chosen].sort());
  }

  set(codes) {
    this.chosen = new Set(codes);
    this.paint();
  }

  toggle(code) {
    if (this.chosen.has(code)) this.chosen.delete(code); else this.chosen.add(code);
    this.paint();
  }

  // Shows a cell: fetches its outline and fits the map to it. False when there is none.
  async find(code) {
    const resp = await gf.api(`/api/v1/grid/cells/${encodeURIComponent(code)}`);
    if (!resp.ok) return false;
    const bounds = gfTiles.geoJSON(L, resp.data).getBounds();
    this.map.fitBounds(bounds, { maxZoom: 17, padding: [40, 40] });
    return true;
  }

  async load() {
    const generation = (this.generation = (this.generation || 0) + 1);
    if (this.map.getZoom() < 15) { this.layer.clearLayers(); return; }
    const bbox = gfTiles.bbox(this.map.getBounds());
    const resp = await gf.api(`/api/v1/grid/cells?bbox=${bbox}&zoom=${this.map.getZoom()}&limit=1000`);
    if (generation !== this.generation || !resp.ok) return;
    this.layer.clearLayers();
    this.layer.addData(resp.data);
  }

  refresh() {
    this.map.invalidateSize();
    this.load();
  }
};
