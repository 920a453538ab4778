// The phone's position from the browser's geolocation, with its accuracy and datum.
// The W3C Geolocation API reports WGS84; a phone whose platform reports GCJ-02 is set so in
// the settings, and the datum is sent with every point either way.

import * as settings from './settings.js';

let latest = null;
let failure = null;
let watchId = null;
const listeners = new Set();

function notify() {
  for (const fn of listeners) fn(latest, failure);
}

function onFix(pos) {
  latest = {
    lat: pos.coords.latitude,
    lng: pos.coords.longitude,
    accuracy_m: Number.isFinite(pos.coords.accuracy) ? pos.coords.accuracy : null,
    crs: settings.get().crs,
    at: pos.timestamp || Date.now(),
  };
  failure = null;
  notify();
}

function onError(err) {
  failure = err.message || String(err.code);
  notify();
}

const OPTIONS = { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 };

export function watch() {
  if (watchId !== null || !navigator.geolocation) return;
  watchId = navigator.geolocation.watchPosition(onFix, onError, OPTIONS);
}

export function relocate() {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(onFix, onError, { ...OPTIONS, maximumAge: 0 });
}

export const latestFix = () => latest;
export const lastFailure = () => failure;

export function onPosition(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
