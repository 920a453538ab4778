// Change notices between the page and the service worker: "the outbox changed", "the session
// ended". Delivered to listeners in this context and, through a BroadcastChannel, in others.

const local = new EventTarget();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('gridflow-m') : null;

if (channel) {
  channel.onmessage = (e) => {
    if (e.data && e.data.type) local.dispatchEvent(new CustomEvent(e.data.type, { detail: e.data.detail }));
  };
}

// `localOnly`: for notices every context produces itself (each tab has its own live feed).
export function emit(type, detail = null, { localOnly = false } = {}) {
  local.dispatchEvent(new CustomEvent(type, { detail }));
  if (channel && !localOnly) channel.postMessage({ type, detail });
}

export function on(type, listener) {
  const wrapped = (e) => listener(e.detail);
  local.addEventListener(type, wrapped);
  return () => local.removeEventListener(type, wrapped);
}
