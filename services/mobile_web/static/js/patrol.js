// Patrol: while patrolling, the position is sampled every `patrol_interval_s` seconds into
// IndexedDB and sent in batches of up to 500 to /api/v1/patrol/pings. A batch keeps its
// batch_id until the server accepts it, so a retry is never counted twice.

import * as store from './store.js';
import * as settings from './settings.js';
import * as position from './position.js';
import { apiFetch, AuthRequired } from './session.js';
import { isTransient, parseRetryAfter, retryDelay } from './backoff.js';
import { emit } from './bus.js';

const STATE = 'patrol';
const BATCH = 'patrol_batch';
const MAX_BATCH = 500;
const SEND_EVERY_MS = 15_000;

let sampler = null;
let sendTimer = null;
let sending = false;
let again = false; // asked to send while a send was running
let failures = 0;

export async function active() {
  return Boolean((await store.getValue(STATE))?.active);
}

// Points buffered on the phone, including a batch being sent.
export async function buffered() {
  return store.count(store.PINGS);
}

async function sample() {
  const fix = position.latestFix();
  const interval = settings.get().patrol_interval_s * 1000;
  if (!fix || Date.now() - fix.at > Math.max(60_000, 3 * interval)) return; // no fresh fix
  await store.put(store.PINGS, {
    t: new Date().toISOString(),
    lat: fix.lat,
    lng: fix.lng,
    crs: fix.crs,
    accuracy_m: fix.accuracy_m === null ? null : Math.min(100_000, fix.accuracy_m),
  });
  emit('patrol');
}

// The batch to send: the one already cut (same batch_id on every retry), else a new one.
async function currentBatch() {
  const cut = await store.getValue(BATCH);
  if (cut) return cut;
  const d = await store.db();
  const rows = await new Promise((resolve, reject) => {
    const req = d.transaction(store.PINGS).objectStore(store.PINGS).getAll(null, MAX_BATCH);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  if (!rows.length) return null;
  const batch = { batch_id: crypto.randomUUID(), seqs: rows.map((r) => r.seq) };
  batch.pings = rows.map(({ seq, ...ping }) => ping);
  await store.setValue(BATCH, batch);
  return batch;
}

async function delivered(batch) {
  await store.tx([store.PINGS, store.KV], 'readwrite', (pings, kv) => {
    for (const seq of batch.seqs) pings.delete(seq);
    kv.delete(BATCH);
  });
}

function later(ms) {
  clearTimeout(sendTimer);
  sendTimer = setTimeout(send, ms);
}

// Sends buffered points, batch after batch, until none is left or the network fails.
export async function send() {
  if (sending) { again = true; return; }
  sending = true;
  again = false;
  clearTimeout(sendTimer);
  try {
    for (let batch = await currentBatch(); batch; batch = await currentBatch()) {
      const res = await apiFetch('/api/v1/patrol/pings', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ batch_id: batch.batch_id, pings: batch.pings }),
        signal: AbortSignal.timeout(60_000),
      });
      if (res.ok) {
        await delivered(batch);
        failures = 0;
        emit('patrol');
        continue;
      }
      if (isTransient(res.status)) {
        failures += 1;
        later(retryDelay(failures, parseRetryAfter(res.headers.get('Retry-After'))));
        return;
      }
      // A batch the server refuses would block every later point: it is dropped and logged.
      console.warn('patrol batch refused', res.status, await res.text());
      await delivered(batch);
    }
    if (await active()) later(SEND_EVERY_MS);
  } catch (err) {
    failures += 1;
    if (!(err instanceof AuthRequired)) later(retryDelay(failures));
  } finally {
    sending = false;
  }
  if (again) send();
}

function run() {
  clearInterval(sampler);
  position.watch();
  sampler = setInterval(sample, settings.get().patrol_interval_s * 1000);
  sample();
  later(SEND_EVERY_MS);
}

export async function start() {
  await store.setValue(STATE, { active: true, since: Date.now() });
  run();
  emit('patrol');
}

export async function stop() {
  await sample();
  clearInterval(sampler);
  sampler = null;
  await store.setValue(STATE, { active: false });
  emit('patrol');
  await send();
}

// On app start: a patrol that was running when the app closed goes on; left points are sent.
export async function resume() {
  if (await active()) run();
  else if (await buffered()) send();
}

// The interval changed in the settings.
export async function restart() {
  if (await active()) run();
}
