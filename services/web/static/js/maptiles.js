// The map tiles of every page with a map (command center, video wall, admin maps, the phone
// app), from the page's `gridflow-tiles` meta (services.web.pages.tile_settings): the base
// layer with its {s} subdomains and attribution (审图号 included), the annotation layer over
// it (Tianditu's cva over vec) and the key put for {tk}. Overlays are WGS84 and drawn in the
// tiles' datum: `toMap` moves a point onto the tiles, `fromMap` brings a pointer back.
// A plain script (after datum.js) setting `globalThis.gfTiles`, like datum.js.
"use strict";

(function () {
  const datum = globalThis.gfDatum;
  const meta = document.querySelector('meta[name="gridflow-tiles"]');
  const settings = meta ? JSON.parse(meta.content) : {};
  const crs = settings.crs === "gcj02" ? "gcj02" : "wgs84";
  const escape = (text) => String(text || "").replace(/[&<>"']/g,
    (c) => `&#${c.charCodeAt(0)};`);

  const toMap = (lat, lng) => datum.toTiles(lat, lng, crs);
  const fromMap = (lat, lng) => datum.fromTiles(lat, lng, crs);

  globalThis.gfTiles = Object.freeze({
    settings,
    crs,
    toMap, // WGS84 (lat, lng) → [lat, lng] on the tiles
    fromMap, // (lat, lng) on the tiles, e.g. a click → WGS84 [lat, lng]
    // Leaflet's GeoJSON layer over WGS84 GeoJSON, drawn on the tiles.
    geoJSON: (L, data, options = {}) => L.geoJSON(data, {
      ...options, coordsToLatLng: (c) => L.latLng(toMap(c[1], c[0])),
    }),
    // WGS84 "west,south,east,north" (6 decimals) covering a map's view (its getBounds()).
    bbox(view) {
      const corners = [[view.getSouth(), view.getWest()], [view.getNorth(), view.getEast()],
        [view.getSouth(), view.getEast()], [view.getNorth(), view.getWest()]]
        .map(([lat, lng]) => fromMap(lat, lng));
      const lats = corners.map((c) => c[0]);
      const lngs = corners.map((c) => c[1]);
      return [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)]
        .map((v) => v.toFixed(6)).join(",");
    },
    // A WGS84 [west, south, east, north] as Leaflet bounds on the tiles.
    bounds: ([west, south, east, north]) => [toMap(south, west), toMap(north, east)],
    // The tile layers of a map, for the page's Leaflet `L` (none when no tile URL is set).
    layers(L) {
      const options = {
        maxZoom: 19, subdomains: settings.subdomains || "abc", tk: settings.key || "",
      };
      const base = settings.url
        ? [L.tileLayer(settings.url, { ...options, attribution: escape(settings.attribution) })]
        : [];
      const labels = settings.labels ? [L.tileLayer(settings.labels, options)] : [];
      return [...base, ...labels];
    },
  });
})();
