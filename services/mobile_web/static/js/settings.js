// The worker's settings, kept on the phone.

import * as store from './store.js';

const KEY = 'settings';
export const INTERVALS = [5, 10, 30, 60, 120];
const DEFAULTS = { patrol_interval_s: 30, crs: 'wgs84' };
let cached = null;

export async function load() {
  cached = { ...DEFAULTS, ...((await store.getValue(KEY)) || {}) };
  return cached;
}

export const get = () => cached || { ...DEFAULTS };

export async function set(changes) {
  cached = { ...get(), ...changes };
  await store.setValue(KEY, cached);
  return cached;
}
