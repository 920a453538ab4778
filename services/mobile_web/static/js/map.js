// Small Leaflet maps (Leaflet is served from node_modules by gridflow), with the tiles every
// page has (/assets/js/maptiles.js). Points and outlines are WGS84; they are moved into the
// datum of the tiles before they are drawn.

import * as L from '/m/vendor/leaflet.js';
import './datum.js';
import '/assets/js/maptiles.js';

const DEFAULT_VIEW = [29.96, 121.71]; // shown until the first fix arrives

export const toMap = (lat, lng) => globalThis.gfTiles.toMap(lat, lng);

export function createMap(el, zoom = 16) {
  const map = L.map(el, { zoomControl: false, tap: true });
  map.attributionControl.setPrefix(false);
  for (const layer of globalThis.gfTiles.layers(L)) layer.addTo(map);
  map.setView(DEFAULT_VIEW, zoom);
  return map;
}

export const layerGroup = () => L.layerGroup();

function ring(coords) {
  return coords.map(([lng, lat]) => toMap(lat, lng));
}

// A GeoJSON Polygon / MultiPolygon cell outline as a Leaflet polygon.
export function cellOutline(feature, style = {}) {
  const g = feature.geometry;
  const polys = g.type === 'MultiPolygon' ? g.coordinates : [g.coordinates];
  return L.polygon(polys.map((p) => p.map(ring)), {
    color: '#1769aa', weight: 2, fillOpacity: 0.08, ...style,
  });
}

export function point(lat, lng, style = {}) {
  return L.circleMarker(toMap(lat, lng), {
    radius: 8, color: '#fff', weight: 2, fillColor: '#d9480f', fillOpacity: 1, ...style,
  });
}

export function accuracyCircle(lat, lng, meters) {
  return L.circle(toMap(lat, lng), {
    radius: meters, color: '#1769aa', weight: 1, fillOpacity: 0.12,
  });
}

// A GeoJSON LineString's coordinates ([lng, lat] pairs) as a Leaflet polyline.
export function line(coords, style = {}) {
  return L.polyline(coords.map(([lng, lat]) => toMap(lat, lng)), {
    color: '#6a1b9a', weight: 4, opacity: 0.9, ...style,
  });
}

export const bounds = (layers) => L.featureGroup(layers).getBounds();
