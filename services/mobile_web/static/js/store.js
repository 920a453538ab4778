// IndexedDB: the phone's durable storage. Reports are written here before anything is sent,
// so they survive closing the app, losing the network and rebooting the phone.
// Used by the page and by the service worker (no DOM here).

const DB_NAME = 'gridflow-m';
const DB_VERSION = 1;
export const OUTBOX = 'outbox'; // reports and verifications waiting to be sent, keyPath id
export const PINGS = 'pings'; // patrol positions waiting to be sent, auto-increment seq
export const KV = 'kv'; // small values: session, categories, settings, cells

let opening = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const d = req.result;
        if (!d.objectStoreNames.contains(OUTBOX)) {
          d.createObjectStore(OUTBOX, { keyPath: 'id' }).createIndex('created_at', 'created_at');
        }
        if (!d.objectStoreNames.contains(PINGS)) {
          d.createObjectStore(PINGS, { keyPath: 'seq', autoIncrement: true });
        }
        if (!d.objectStoreNames.contains(KV)) d.createObjectStore(KV);
      };
      req.onsuccess = () => {
        const d = req.result;
        d.onversionchange = () => { d.close(); opening = null; };
        resolve(d);
      };
      req.onerror = () => { opening = null; reject(req.error); };
    });
  }
  return opening;
}

// Runs fn(stores...) in one transaction and resolves with fn's result once it has committed.
export async function tx(names, mode, fn) {
  const d = await db();
  const list = Array.isArray(names) ? names : [names];
  const t = d.transaction(list, mode);
  const result = fn(...list.map((n) => t.objectStore(n)));
  await new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
  return result instanceof IDBRequest ? result.result : result;
}

export async function get(name, key) {
  const d = await db();
  return promised(d.transaction(name).objectStore(name).get(key));
}

export async function all(name) {
  const d = await db();
  return promised(d.transaction(name).objectStore(name).getAll());
}

export async function count(name) {
  const d = await db();
  return promised(d.transaction(name).objectStore(name).count());
}

export function put(name, value, key) {
  return tx(name, 'readwrite', (s) => (key === undefined ? s.put(value) : s.put(value, key)));
}

export function del(name, key) {
  return tx(name, 'readwrite', (s) => s.delete(key));
}

export const getValue = (key) => get(KV, key);
export const setValue = (key, value) => put(KV, value, key);
export const deleteValue = (key) => del(KV, key);

// Every KV value whose key starts with `prefix`.
export async function valuesWithPrefix(prefix) {
  const d = await db();
  const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
  return promised(d.transaction(KV).objectStore(KV).getAll(range));
}
