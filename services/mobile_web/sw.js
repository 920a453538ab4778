// The service worker of the phone client (scope /m/). The server puts VERSION and SHELL (the
// URLs of the app shell) in front of this file. It caches the shell so the app opens with no
// network, and sends the outbox when the browser wakes it for a background sync. It never
// answers API requests: those go to the network, and the page keeps what it needs offline in
// IndexedDB.
/* global VERSION, SHELL */

import { flush } from '/m/static/js/outbox.js';

const CACHE = `gridflow-m-${VERSION}`;
const SHELL_SET = new Set(SHELL);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('gridflow-m-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function fromCache(request, key) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key || request, { ignoreSearch: true });
  if (hit) return hit;
  return fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/m/')) {
    event.respondWith(fromCache(request, '/m/'));
  } else if (SHELL_SET.has(url.pathname)) {
    event.respondWith(fromCache(request));
  }
});

self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil(flush().then((outcome) => {
    // Rejecting asks the browser to wake us again later (with its own backoff).
    if (outcome.offline || outcome.busy) throw new Error('outbox not sent yet');
  }));
});
