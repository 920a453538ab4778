// The map of the worker's cells with their open cases, and their patrol of today (coverage,
// track: patroltoday.js), kept current by the live feed.

import { $, h, replaceChildren } from './dom.js';
import { t, localName } from './i18n.js';
import * as cells from './cells.js';
import { on } from './bus.js';
import * as patrolToday from './patroltoday.js';

const CLOSED = new Set(['closed', 'rejected', 'merged']);
const cases = new Map(); // case id → case view
let myCells = [];
let map = null;
let layers = null;
let m = null;
let drawing = 0; // the latest draw: an older one still waiting for cell shapes gives way to it

function caseName(c) {
  return c.category ? localName({ name_zh: c.category.zh, name_en: c.category.en }) : c.category_code;
}

async function draw() {
  if (!map || $('#view-map').hidden) return;
  const mine = ++drawing;
  const features = [];
  for (const code of myCells) features.push([code, await cells.feature(code)]);
  // A draw that started later (the coverage or the cases changed meanwhile) draws instead:
  // this one would put back the shares it read before.
  if (mine !== drawing) return;
  const shapes = [];
  for (const [code, f] of features) {
    if (f) {
      const share = patrolToday.shareOf(code);
      shapes.push(m.cellOutline(f, share > 0
        ? { fillColor: '#1b5e20', fillOpacity: 0.15 + 0.6 * share, className: `patrol-cell patrol-cell-${code} covered` }
        : { className: `patrol-cell patrol-cell-${code}` }));
    }
  }
  const walked = patrolToday.trackLines().map((coords) => m.line(coords, { className: 'patrol-track' }));
  const points = [...cases.values()].filter((c) => c.lat !== null && c.lng !== null)
    .map((c) => m.point(c.lat, c.lng, { fillColor: c.overdue ? '#c92a2a' : '#e67700' }).bindTooltip(c.case_no));
  layers.clearLayers();
  for (const layer of [...shapes, ...walked, ...points]) layers.addLayer(layer);
  if (shapes.length || points.length) map.fitBounds(m.bounds([...shapes, ...points]), { padding: [16, 16], maxZoom: 18 });
}

function renderList() {
  const rows = [...cases.values()].map((c) => h('li', { class: 'case', dataset: { case: c.id, state: c.state } },
    h('div', { class: 'line' },
      h('strong', {}, caseName(c)),
      h('span', { class: 'status', dataset: { status: c.state } }, t(`status.${c.state}`))),
    h('div', { class: 'muted' }, `${c.case_no} · ${c.cell_code || ''}`)));
  if (!rows.length) rows.push(h('li', { class: 'empty' }, t('map.empty')));
  replaceChildren($('#case-list'), rows);
}

function update() {
  renderList();
  draw();
}

export function setCells(codes) {
  myCells = codes || [];
  draw();
}

export function init() {
  patrolToday.init();
  on('patrol_today', () => draw());
  on('cases', (list) => {
    cases.clear();
    for (const c of list) cases.set(c.id, c);
    update();
  });
  on('case_event', (message) => {
    const c = message.case;
    if (!c) return;
    const known = cases.get(c.id);
    if (known && known.seq && c.seq && c.seq < known.seq) return;
    if (CLOSED.has(c.state)) cases.delete(c.id);
    else cases.set(c.id, c);
    update();
  });
  renderList();
}

export async function shown() {
  if (!map) {
    m = await import('./map.js');
    map = m.createMap($('#cases-map'), 16);
    layers = m.layerGroup().addTo(map);
  }
  map.invalidateSize();
  draw();
  patrolToday.refresh();
}
