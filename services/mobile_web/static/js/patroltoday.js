// The worker's patrol of today on the map view: their track, their cells shaded by today's
// coverage, and the day's distance, time and coverage in a line above the map. Fetched when
// the map is shown and again whenever the live feed says the patrol changed.

import { $ } from './dom.js';
import { t } from './i18n.js';
import { apiFetch } from './session.js';
import { emit, on } from './bus.js';

const LOCAL = { localOnly: true };
let track = null;            // the MultiLineString of today (WGS84) or null
let figures = null;          // the worker-day's properties or null
const coverage = new Map();  // own cell code → {share, own_share, idle}

export function shareOf(code) {
  return coverage.get(code)?.share ?? 0;
}

export function trackLines() {
  return track ? track.coordinates : [];
}

function render() {
  const line = $('#patrol-today');
  if (!line) return;
  const shares = [...coverage.values()].map((c) => c.share);
  const mean = shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : 0;
  const km = figures ? (figures.distance_m / 1000).toFixed(2) : '0.00';
  const hours = figures ? (figures.patrol_s / 3600).toFixed(1) : '0.0';
  line.textContent = t('patrol.today', { km, hours, share: Math.round(mean * 100) });
  line.dataset.share = mean.toFixed(4);
  line.hidden = false;
}

export async function refresh() {
  try {
    const [tracks, cells] = await Promise.all([
      apiFetch('/api/v1/patrol/tracks'),
      apiFetch('/api/v1/patrol/coverage'),
    ]);
    if (!tracks.ok || !cells.ok) return;
    const mine = (await tracks.json()).features[0] || null;
    track = mine ? mine.geometry : null;
    figures = mine ? mine.properties : null;
    coverage.clear();
    for (const item of (await cells.json()).items) coverage.set(item.code, item);
    render();
    emit('patrol_today', null, LOCAL);
  } catch {
    // offline or signed out: keep what was shown
  }
}

export function init() {
  on('patrol_changed', () => { if (!$('#view-map').hidden) refresh(); });
}
