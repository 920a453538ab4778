// The outbox: everything the worker creates (reports, verifications) is written to IndexedDB
// first and sent from here, with the same id on every attempt, until the server answers
// 200/201 — or a 4xx that the worker must look at. Used by the page and the service worker.

import * as store from './store.js';
import { emit } from './bus.js';
import { apiFetch, current, AuthRequired } from './session.js';
import { isTransient, parseRetryAfter, retryDelay } from './backoff.js';

const { OUTBOX } = store;
export const WAITING = 'waiting';
export const SENDING = 'sending';
export const ATTENTION = 'attention';
export const SENT = 'sent';
const KEEP_SENT = 30; // delivered items kept for the queue screen
// A send that has not finished by then is given up and tried again later (same id), so one
// stalled upload on a weak signal never blocks the queue.
const SEND_TIMEOUT_MS = 120_000;

// Adds an item: {id, kind, owner, path, body, json_field, files: [{field, blob, name}]}.
// The body is sent as JSON, or — when there are files — as multipart with the JSON document
// in the form field `json_field`.
export async function enqueue(item) {
  const record = {
    created_at: Date.now(),
    files: [],
    json_field: null,
    ...item,
    state: WAITING,
    attempts: 0,
    next_at: 0,
    error: null,
    result: null,
  };
  await store.tx(OUTBOX, 'readwrite', (s) => s.add(record));
  emit('outbox', { id: record.id });
  emit('queued', { id: record.id });
  return record;
}

export async function items() {
  const list = await store.all(OUTBOX);
  return list.sort((a, b) => a.created_at - b.created_at);
}

// The items of the signed-in worker: on a shared phone, nobody sees (or sends) another
// worker's reports; theirs wait until they sign in again.
export async function myItems() {
  const session = await current();
  const owner = session ? session.username : null;
  return (await items()).filter((i) => i.owner === owner);
}

export const pending = (list) => list.filter((i) => i.state !== SENT);

export async function pendingCount() {
  return pending(await myItems()).length;
}

// Applies `changes` to a stored item (skipped if the item was deleted meanwhile).
async function update(id, changes) {
  await store.tx(OUTBOX, 'readwrite', (s) => {
    const req = s.get(id);
    req.onsuccess = () => {
      if (req.result) s.put({ ...req.result, ...changes });
    };
  });
  emit('outbox', { id, ...('state' in changes ? { state: changes.state } : {}) });
}

export async function remove(id) {
  await store.del(OUTBOX, id);
  emit('outbox', { id, removed: true });
}

// The worker asked to try an item again now (after fixing what blocked it, or to skip a wait).
export async function retryNow(id) {
  await update(id, { state: WAITING, attempts: 0, next_at: 0, error: null });
}

// Makes every waiting item due now (the network just came back).
export async function wakeAll() {
  const waiting = (await items()).filter((i) => i.state === WAITING && i.next_at > Date.now());
  for (const item of waiting) await update(item.id, { next_at: 0 });
}

function requestInit(item) {
  const files = item.files || [];
  const signal = AbortSignal.timeout(SEND_TIMEOUT_MS);
  if (!files.length) {
    return {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(item.body),
      signal,
    };
  }
  const form = new FormData();
  form.append(item.json_field || 'document', JSON.stringify(item.body));
  for (const f of files) form.append(f.field, f.blob, f.name);
  return { method: 'POST', body: form, signal };
}

async function failLater(item, retryAfterS, error) {
  const attempts = item.attempts + 1;
  await update(item.id, {
    state: WAITING,
    attempts,
    next_at: Date.now() + retryDelay(attempts, retryAfterS),
    error,
  });
}

// One attempt to deliver one item. Returns 'sent', 'retry', 'attention', 'network' or 'auth'.
async function deliver(item) {
  await update(item.id, { state: SENDING });
  let res;
  try {
    res = await apiFetch(item.path, () => requestInit(item));
  } catch (err) {
    if (err instanceof AuthRequired) {
      await update(item.id, { state: WAITING });
      return 'auth';
    }
    await failLater(item, null, { code: 'network', message: null });
    return 'network';
  }
  const body = await res.json().catch(() => null);
  if (res.ok) {
    // Delivered: the photos are on the server now, the phone need not keep them.
    await update(item.id, {
      state: SENT, sent_at: Date.now(), status: res.status, result: body, files: [], error: null,
    });
    return 'sent';
  }
  const error = (body && body.error) || { code: `http_${res.status}`, message: res.statusText };
  error.status = res.status;
  if (isTransient(res.status)) {
    await failLater(item, parseRetryAfter(res.headers.get('Retry-After')), error);
    return 'retry';
  }
  await update(item.id, { state: ATTENTION, error });
  return 'attention';
}

async function prune() {
  const sent = (await items()).filter((i) => i.state === SENT);
  for (const old of sent.slice(0, Math.max(0, sent.length - KEEP_SENT))) await store.del(OUTBOX, old.id);
}

function withLock(fn) {
  if (globalThis.navigator && navigator.locks) {
    return navigator.locks.request('gridflow-outbox', { ifAvailable: true }, fn);
  }
  return fn(true);
}

// Sends every due item of the signed-in worker, oldest first. Only one context (a tab or the
// service worker) sends at a time; an item left `sending` by a closed tab is due again.
// Resolves with {sent, busy, offline, auth}.
export function flush() {
  return withLock(async (lock) => {
    const outcome = { sent: 0, busy: !lock, offline: false, auth: false };
    if (!lock) return outcome;
    if (globalThis.navigator && navigator.onLine === false) return { ...outcome, offline: true };
    const session = await current();
    if (!session || !session.access_token) return { ...outcome, auth: true };
    const now = Date.now();
    const due = (await items()).filter(
      (i) => (i.state === WAITING || i.state === SENDING) && i.owner === session.username
        && i.next_at <= now,
    );
    for (const item of due) {
      const result = await deliver(item);
      if (result === 'sent') outcome.sent += 1;
      if (result === 'network') { outcome.offline = true; break; }
      if (result === 'auth') { outcome.auth = true; break; }
    }
    await prune();
    return outcome;
  });
}

// Milliseconds until the next waiting item is due (null when none waits).
export async function nextDueIn() {
  const waiting = (await items()).filter((i) => i.state === WAITING);
  if (!waiting.length) return null;
  return Math.max(0, Math.min(...waiting.map((i) => i.next_at)) - Date.now());
}

