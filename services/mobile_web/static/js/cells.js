// Which grid cell a point falls in: the server's locator when online, else the cell outlines
// kept on the phone (the worker's own cells, and every cell looked up before).

import * as store from './store.js';
import { toWgs84 } from './datum.js';

const PREFIX = 'cell:';

export async function feature(code) {
  const found = await store.getValue(PREFIX + code);
  if (found) return found;
  try {
    const res = await fetch(`/api/v1/grid/cells/${encodeURIComponent(code)}`);
    if (!res.ok) return null;
    const doc = await res.json();
    await store.setValue(PREFIX + code, doc);
    return doc;
  } catch {
    return null;
  }
}

// Downloads the outlines of the worker's cells so they can be drawn and used offline.
export async function keep(codes) {
  for (const code of codes) await feature(code);
}

function inRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function contains(geometry, lat, lng) {
  const polygons = geometry.type === 'MultiPolygon' ? geometry.coordinates : [geometry.coordinates];
  return polygons.some(
    ([outer, ...holes]) => inRing(lng, lat, outer) && !holes.some((hole) => inRing(lng, lat, hole)),
  );
}

// {status, code, name, source: 'server' | 'phone'} or null when the cell is not known.
export async function locate(fix) {
  const q = new URLSearchParams({ lat: fix.lat, lng: fix.lng, crs: fix.crs });
  if (fix.accuracy_m !== null) q.set('accuracy', Math.min(100_000, fix.accuracy_m));
  try {
    const res = await fetch(`/api/v1/grid/locate?${q}`);
    if (res.ok) {
      const doc = await res.json();
      if (doc.cell) feature(doc.cell.code);
      return {
        status: doc.status,
        code: doc.cell ? doc.cell.code : null,
        name: doc.cell ? doc.cell.name : null,
        source: 'server',
      };
    }
  } catch {
    // offline: answer from the outlines on the phone
  }
  const [lat, lng] = toWgs84(fix.lat, fix.lng, fix.crs);
  for (const doc of await store.valuesWithPrefix(PREFIX)) {
    if (doc.geometry && contains(doc.geometry, lat, lng)) {
      return { status: 'inside', code: doc.id, name: doc.properties?.name ?? null, source: 'phone' };
    }
  }
  return null;
}
