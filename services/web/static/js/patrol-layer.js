// The patrol layer of the command center: cells shaded by today's coverage (the darker, the
// more of the cell was walked), cells not patrolled for days outlined in red, and a grid
// worker's track of today on a click on the worker — kept live by the `patrol_coverage` and
// `patrol_track` socket events. It draws over the cells the map has loaded (in WGS84, as the
// map's cells), without changing the map: one call, gf.attachPatrolLayer(map, live).
"use strict";

window.gf = window.gf || {};

gf.attachPatrolLayer = function attachPatrolLayer(commandMap, live) {
  const map = commandMap.map;
  const coverage = new Map();   // cell code → {share, own_share, idle}
  const features = new Map();   // cell code → the cell's GeoJSON feature (loaded by the map)
  const drawn = new Map();      // cell code → the layer over it
  const layer = L.layerGroup().addTo(map);
  const trackLayer = gfTiles.geoJSON(L, null, {
    style: { color: "#6a1b9a", weight: 4, opacity: 0.9, className: "patrol-track" },
  }).addTo(map);
  let day = null;
  let followed = null;

  function style(code) {
    const c = coverage.get(code) || {};
    const share = c.share || 0;
    return {
      stroke: Boolean(c.idle), color: "#b71c1c", weight: 2, dashArray: "4 3",
      fillColor: "#1b5e20", fillOpacity: share > 0 ? 0.15 + 0.6 * share : 0,
      className: `patrol-cell patrol-cell-${code}${share > 0 ? " covered" : ""}` +
        `${c.idle ? " idle" : ""}`,
      interactive: false,
    };
  }

  function refresh(code) {
    const c = coverage.get(code);
    const wanted = c && (c.share > 0 || c.idle) && features.has(code);
    const over = drawn.get(code);
    if (over) { layer.removeLayer(over); drawn.delete(code); }
    if (!wanted) return;
    // Drawn from the cell's geometry alone: the map's own cell layer stays the one layer
    // that carries the cell's feature (its code and name).
    const made = gfTiles.geoJSON(L, features.get(code).geometry, {
      style: () => style(code), interactive: false,
    });
    made.addTo(layer);
    drawn.set(code, made);
  }

  commandMap.cellLayer.on("layeradd", (e) => {
    const code = e.layer.feature && commandMap.cellCode(e.layer.feature);
    if (!code) return;
    features.set(code, e.layer.feature);
    refresh(code);
  });
  commandMap.cellLayer.on("layerremove", (e) => {
    const code = e.layer.feature && commandMap.cellCode(e.layer.feature);
    if (!code) return;
    features.delete(code);
    refresh(code);
  });

  async function loadCoverage() {
    const resp = await gf.api("/api/v1/patrol/coverage");
    if (!resp.ok) return;
    day = resp.data.day;
    coverage.clear();
    for (const item of resp.data.items) coverage.set(item.code, item);
    for (const code of new Set([...drawn.keys(), ...features.keys()])) refresh(code);
  }

  async function showTrack(workerId) {
    followed = workerId;
    const resp = await gf.api(`/api/v1/patrol/tracks?worker=${encodeURIComponent(workerId)}`);
    if (!resp.ok || followed !== workerId) return;
    trackLayer.clearLayers();
    for (const f of resp.data.features) {
      if (!f.geometry) continue;
      trackLayer.addData(f);
      const p = f.properties;
      trackLayer.bindTooltip(gf.el("span", { text: `${gf.t("patrol.track")} ` +
        `${p.display_name || p.username} · ${(p.distance_m / 1000).toFixed(2)} ${gf.t("patrol.km")}` +
        ` · ${(p.patrol_s / 3600).toFixed(1)} ${gf.t("patrol.hours")}` }));
    }
  }

  // A click on a worker's marker (the map's worker layer) shows that worker's track of today.
  map.on("layeradd", (e) => {
    const name = (e.layer.options && e.layer.options.className) || "";
    const found = /(?:^|\s)worker-(\d+)(?:\s|$)/.exec(name);
    if (!found || e.layer.patrolBound) return;
    e.layer.patrolBound = true;
    e.layer.on("click", () => showTrack(Number(found[1])));
  });

  live.socket.on("snapshot", loadCoverage);
  live.socket.on("patrol_coverage", (messages) => {
    if (messages.some((m) => m.day !== day)) { loadCoverage(); return; }
    for (const m of messages) {
      coverage.set(m.code, { ...(coverage.get(m.code) || {}), share: m.share,
        own_share: m.own_share, idle: false, last_patrolled: m.day });
      refresh(m.code);
    }
  });
  live.socket.on("patrol_track", (messages) => {
    if (followed !== null && messages.some((m) => m.worker_id === followed)) showTrack(followed);
  });

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const box = gf.el("div", { class: "map-legend patrol-legend" });
    const render = () => {
      gf.clear(box);
      box.append(gf.el("div", {}, gf.el("span", { class: "dot patrol-covered" }),
        gf.el("span", { text: gf.t("patrol.coverage") })));
      box.append(gf.el("div", {}, gf.el("span", { class: "dot patrol-idle" }),
        gf.el("span", { text: gf.t("patrol.idle") })));
    };
    render();
    gf.onLanguage.push(render);
    return box;
  };
  legend.addTo(map);
  const handle = { coverage, layer, trackLayer, showTrack, loadCoverage };
  window.gridflowPatrol = handle;   // for the browser tests
  return handle;
};
