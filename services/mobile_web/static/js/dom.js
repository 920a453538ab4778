// Building the page from data, never from HTML strings: user text only ever becomes text nodes.

export const $ = (selector, root = document) => root.querySelector(selector);

// h('button', {class: 'x', dataset: {id}, onclick: fn, type: 'button'}, 'text', childNode)
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replaceChildren(el, children) {
  el.replaceChildren(...children.filter(Boolean));
}

let toastTimer = null;
export function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

// An object URL for a Blob shown in an <img>, revoked when the image is replaced.
export function blobImage(blob, alt = '') {
  const url = URL.createObjectURL(blob);
  const img = h('img', { src: url, alt });
  img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
  return img;
}

export function formatTime(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getMonth() + 1}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
