// Runs the outbox from the page: sends when something is queued, when a retry falls due, when
// the network comes back, when the app is shown again and after signing in. The service
// worker's background sync sends it too when the browser wakes it; a Web Lock keeps the two
// from sending at once.

import * as outbox from './outbox.js';
import { on } from './bus.js';

const BUSY_RETRY_MS = 2000;
let timer = null;
let running = false;
let again = false;

async function run() {
  if (running) { again = true; return; }
  running = true;
  clearTimeout(timer);
  let outcome = null;
  try {
    outcome = await outbox.flush();
  } catch (err) {
    console.warn('outbox', err);
  } finally {
    running = false;
  }
  if (again) { again = false; run(); return; }
  if (outcome && outcome.auth) return; // resumes after the next sign-in
  if (outcome && outcome.offline && navigator.onLine === false) return; // resumes when online
  const wait = outcome && outcome.busy ? BUSY_RETRY_MS : await outbox.nextDueIn();
  if (wait !== null) timer = setTimeout(run, Math.max(200, wait));
}

export function kick() {
  run();
}

async function askForBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    if (reg && reg.sync && (await outbox.pendingCount()) > 0) await reg.sync.register('outbox');
  } catch {
    // background sync is a bonus: the page sends the queue whenever it is open
  }
}

export function start() {
  on('queued', kick);
  on('session', (s) => { if (s && s.username && !s.expired) kick(); });
  window.addEventListener('online', async () => { await outbox.wakeAll(); kick(); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') kick();
    else askForBackgroundSync();
  });
  kick();
}
