// "My reports": the worker's reports with their live status, and the end of each: the
// department's resolution with its after-photo, and the rating. Reports still on the phone
// come from the outbox; delivered ones from /api/v1/me/reports (kept for offline viewing);
// case events from the live feed move their status on, and a resolution, closure or rating
// heard live reads the report again for its details.

import { $, h, replaceChildren, formatTime, blobImage } from './dom.js';
import { t, localName } from './i18n.js';
import * as store from './store.js';
import * as outbox from './outbox.js';
import * as categories from './categories.js';
import { getJson, apiFetch } from './session.js';
import { on } from './bus.js';

const KEY = 'my_reports';
let reports = []; // ReportOut documents, newest first
let offline = false;
const afterPhotos = new Map(); // photo URL → Blob, fetched once
// Case events after which a report's resolution or rating may have changed.
const DETAIL_EVENTS = new Set(['CaseResolved', 'CaseReworked', 'CaseClosed', 'CaseRated', 'RevisitClosed']);

async function save() {
  await store.setValue(KEY, reports);
}

export async function refresh() {
  const started = Date.now();
  try {
    const doc = await getJson('/api/v1/me/reports?per_page=50');
    const known = new Map(reports.map((r) => [r.id, r]));
    // A status heard live after this read began is newer than what the read returned.
    reports = (doc.items || []).map((r) => {
      const old = known.get(r.id);
      return old && old.live_at > started ? { ...r, status: old.status, live_seq: old.live_seq, live_at: old.live_at } : r;
    });
    offline = false;
    await save();
  } catch {
    offline = true;
  }
  render();
}

function statusChip(status) {
  return h('span', { class: 'status', dataset: { status } }, t(`status.${status}`));
}

function categoryName(code, ref) {
  const c = categories.byCode(code) || ref;
  return c ? localName(c) : code;
}

function queuedRow(item) {
  return h('li', { class: 'report queued', dataset: { id: item.id, status: item.state } },
    h('div', { class: 'line' },
      h('strong', {}, categoryName(item.body.category)),
      h('span', { class: `chip state-${item.state}` }, t(`queue.${item.state}`))),
    h('p', { class: 'desc' }, item.body.description),
    h('div', { class: 'muted' }, formatTime(item.created_at)));
}

function afterPhoto(url) {
  const figure = h('figure', { class: 'thumb after-photo' });
  const show = (blob) => replaceChildren(figure, [blobImage(blob, t('reports.after_photo'))]);
  if (afterPhotos.has(url)) {
    show(afterPhotos.get(url));
  } else {
    apiFetch(url).then((res) => (res.ok ? res.blob() : null)).then((blob) => {
      if (!blob) return;
      afterPhotos.set(url, blob);
      show(blob);
    }).catch(() => {}); // offline: the row shows the note without the photo
  }
  return figure;
}

function resolutionBlock(res) {
  return h('div', { class: 'resolution' },
    h('div', { class: 'line' },
      h('strong', {}, t('reports.resolution')),
      h('span', { class: 'muted' }, formatTime(res.at))),
    res.note ? h('p', { class: 'note' }, res.note) : null,
    res.photo_url ? afterPhoto(res.photo_url) : null);
}

function reportRow(r) {
  return h('li', { class: 'report', dataset: { id: r.id, status: r.status, caseNo: r.case_no } },
    h('div', { class: 'line' },
      h('strong', {}, categoryName(r.category.code, r.category)),
      statusChip(r.status)),
    h('p', { class: 'desc' }, r.description),
    h('div', { class: 'muted' },
      `${t('queue.case_no', { no: r.case_no })} · ${formatTime(r.occurred_at)}`,
      r.placement?.cell_code ? ` · ${r.placement.cell_code}` : ''),
    r.resolution ? resolutionBlock(r.resolution) : null,
    r.rating ? h('div', { class: 'rating', dataset: { rating: r.rating } },
      t('reports.rating', { rating: t(`rating.${r.rating}`) })) : null);
}

export async function render() {
  const items = await outbox.myItems();
  const shown = new Set(reports.map((r) => r.id));
  const rows = [];
  for (const item of items.slice().reverse()) {
    if (item.kind !== 'report' || shown.has(item.id)) continue;
    if (item.state === outbox.SENT && item.result) {
      reports.unshift(item.result); // delivered: the server's answer is the report
      shown.add(item.id);
    } else if (item.state !== outbox.SENT) {
      rows.push(queuedRow(item));
    }
  }
  rows.push(...reports.map(reportRow));
  if (!rows.length) rows.push(h('li', { class: 'empty' }, t('reports.empty')));
  replaceChildren($('#report-list'), rows);
  $('#reports-offline').hidden = !offline;
}

function onCaseEvent(message) {
  const c = message.case;
  const report = c && reports.find((r) => r.id === c.report_id || r.case_no === c.case_no);
  if (!report) return;
  if (report.live_seq && c.seq && c.seq < report.live_seq) return; // an older view of the case
  report.status = c.state;
  report.live_seq = c.seq;
  report.live_at = Date.now();
  save();
  render();
  if (DETAIL_EVENTS.has(message.type)) refresh();
}

export async function init() {
  reports = (await store.getValue(KEY)) || [];
  on('case_event', onCaseEvent);
  on('outbox', (d) => { if (d && (d.state === outbox.SENT || d.removed || !d.state)) render(); });
  on('live', (d) => { if (d.connected) refresh(); });
}

// Another worker signed in on this phone: nothing of the previous one is shown.
export async function reset() {
  reports = [];
  await store.deleteValue(KEY);
  render();
}

export function shown() {
  render();
  refresh();
}
