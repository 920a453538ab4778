// The category catalog on the phone: downloaded when online, kept for offline use, searched by
// Chinese or English name or by code, with the worker's recent choices first.

import * as store from './store.js';
import { getJson } from './session.js';

const KEY = 'categories';
const RECENT = 'recent_categories';
const MAX_RECENT = 8;
let list = [];

export async function load() {
  list = (await store.getValue(KEY)) || [];
  return list;
}

// Fetches the catalog; keeps the stored one when offline.
export async function refresh() {
  try {
    const doc = await getJson('/api/v1/categories');
    const items = Array.isArray(doc) ? doc : doc.items || doc.categories || [];
    if (items.length) {
      list = items;
      await store.setValue(KEY, items);
    }
  } catch {
    // offline or signed out: the stored catalog stays in use
  }
  return list;
}

export const all = () => list;
export const byCode = (code) => list.find((c) => c.code === code) || null;

export async function recentCodes() {
  return (await store.getValue(RECENT)) || [];
}

export async function remember(code) {
  const codes = [code, ...(await recentCodes()).filter((c) => c !== code)].slice(0, MAX_RECENT);
  await store.setValue(RECENT, codes);
}

function haystack(c) {
  return [c.code, c.name_zh, c.name_en, c.big_class_zh, c.big_class_en]
    .filter(Boolean).join(' ').toLowerCase();
}

// {recent, matches}: recent categories matching `query` first, then the rest of the matches.
export async function search(query) {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const match = (c) => words.every((w) => haystack(c).includes(w));
  const recentSet = await recentCodes();
  const recent = recentSet.map(byCode).filter((c) => c && match(c));
  const shown = new Set(recent.map((c) => c.code));
  const matches = list.filter((c) => !shown.has(c.code) && match(c));
  return { recent, matches };
}
