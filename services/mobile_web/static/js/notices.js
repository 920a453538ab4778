// Notifications: each milestone of the worker's own reports (dispatched, resolved, reworked,
// closed, …), told once by the notifier. Pushed live by the socket ('notification'); read from
// /api/v1/me/notifications when the live feed (re)connects, so none is missed while offline;
// kept for offline viewing. A new one shows a banner at the top of the page and raises the
// bell's badge; opening the list marks them read.

import { $, h, replaceChildren, formatTime } from './dom.js';
import { t, currentLang } from './i18n.js';
import * as store from './store.js';
import { getJson, apiFetch } from './session.js';
import { on } from './bus.js';

const KEY = 'notices';
const BANNER_MS = 8000;
let items = []; // newest first
let unread = 0;
let offline = false;
let bannerTimer = null;

const lineOf = (n) => (currentLang() === 'en' ? n.text_en || n.text_zh : n.text_zh);

async function save() {
  await store.setValue(KEY, { items, unread });
}

export async function refresh() {
  try {
    const doc = await getJson('/api/v1/me/notifications');
    const pushed = items.filter((n) => !doc.items.some((d) => d.id === n.id) && n.id > (doc.items[0]?.id ?? 0));
    items = [...pushed, ...doc.items];
    unread = doc.unread + pushed.filter((n) => !n.read).length;
    offline = false;
    await save();
  } catch {
    offline = true;
  }
  render();
  if (!$('#view-notices').hidden) markRead();
}

function row(n) {
  return h('li', { class: n.read ? 'notification' : 'notification unread', dataset: { id: n.id, event: n.event_type } },
    h('div', { class: 'line' },
      h('strong', {}, t('notices.case', { no: n.case_no })),
      h('span', { class: 'muted' }, formatTime(n.occurred_at))),
    h('p', { class: 'text' }, lineOf(n)),
    n.read ? null : h('span', { class: 'chip unread-mark' }, t('notices.unread')));
}

export function render() {
  const rows = items.map(row);
  if (!rows.length) rows.push(h('li', { class: 'empty' }, t('notices.empty')));
  replaceChildren($('#notice-list'), rows);
  $('#notices-offline').hidden = !offline;
  const badge = $('#notice-badge');
  badge.textContent = String(unread);
  badge.hidden = unread === 0;
}

function banner(n) {
  const el = $('#banner');
  replaceChildren(el, [
    h('strong', {}, t('notices.banner')),
    h('span', { class: 'case' }, t('notices.case', { no: n.case_no })),
    h('span', { class: 'text' }, lineOf(n)),
  ]);
  el.dataset.id = String(n.id);
  el.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => { el.hidden = true; }, BANNER_MS);
}

function onPush(n) {
  if (!n || items.some((x) => x.id === n.id)) return; // told once, whatever the socket repeats
  const notice = { ...n, read: false };
  items = [notice, ...items].sort((a, b) => b.id - a.id);
  unread += 1;
  save();
  render();
  banner(notice);
  if (!$('#view-notices').hidden) markRead();
}

async function markRead() {
  const newest = items[0];
  if (!newest || !unread) return;
  try {
    const res = await apiFetch('/api/v1/me/notifications/read', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ up_to: newest.id }),
    });
    if (!res.ok) return;
    const doc = await res.json();
    items = items.map((n) => (n.id <= newest.id ? { ...n, read: true } : n));
    unread = doc.unread;
    await save();
    render();
  } catch {
    // offline: marked read the next time the list is shown online
  }
}

export async function init() {
  const kept = await store.getValue(KEY);
  if (kept) ({ items, unread } = kept);
  $('#banner').addEventListener('click', () => {
    $('#banner').hidden = true;
    location.hash = '#notices';
  });
  on('notification', onPush);
  on('live', (d) => { if (d.connected) refresh(); });
  render();
}

// Another worker signed in on this phone: nothing of the previous one is shown.
export async function reset() {
  items = [];
  unread = 0;
  await store.deleteValue(KEY);
  render();
}

export function shown() {
  render();
  markRead();
}
