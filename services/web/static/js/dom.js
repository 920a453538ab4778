// Small DOM helpers. Text from the server is only ever set as textContent or an attribute
// value, never parsed as HTML, so stored text stays inert.
"use strict";

window.gf = window.gf || {};

gf.el = function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

gf.svg = function svg(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  return node;
};

gf.clear = function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

gf.$ = (selector, root) => (root || document).querySelector(selector);

gf.fmtTime = function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

gf.fmtDateTime = function fmtDateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getMonth() + 1}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

// "2 h 05 min", "-12 min" (negative: overdue by), from seconds.
gf.fmtDuration = function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${sign}${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return `${sign}${m}:${String(s).padStart(2, "0")}`;
};

// A span for people: "2 分 35 秒", "1 小时 05 分" (English: "2 min 35 s", "1 h 05 min").
gf.fmtSpan = function fmtSpan(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  if (h > 0) return gf.lang === "zh" ? `${h} 小时 ${pad(m)} 分` : `${h} h ${pad(m)} min`;
  return gf.lang === "zh" ? `${m} 分 ${pad(s % 60)} 秒` : `${m} min ${pad(s % 60)} s`;
};
