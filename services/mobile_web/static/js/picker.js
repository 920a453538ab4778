// The category picker: a full-screen sheet with a search box; recent categories first.

import { $, h, replaceChildren } from './dom.js';
import { t, localName } from './i18n.js';
import * as categories from './categories.js';

let chosen = null;
let renders = 0; // a slower, older search never overwrites a newer one

function row(c) {
  return h('li', {},
    h('button', {
      type: 'button', class: 'category', dataset: { code: c.code },
      onclick: () => close(c.code),
    },
    h('span', { class: 'name' }, localName(c)),
    h('span', { class: 'meta' }, `${c.code} · ${c.name_en && localName(c) !== c.name_en ? c.name_en : c.name_zh || ''}`)));
}

async function render() {
  const mine = ++renders;
  const { recent, matches } = await categories.search($('#picker-search').value);
  if (mine !== renders) return;
  const list = [];
  if (!categories.all().length) list.push(h('li', { class: 'empty' }, t('picker.empty')));
  if (recent.length) {
    list.push(h('li', { class: 'heading' }, t('picker.recent')), ...recent.map(row));
  }
  if (matches.length) {
    list.push(h('li', { class: 'heading' }, t('picker.all')), ...matches.map(row));
  }
  if (categories.all().length && !recent.length && !matches.length) {
    list.push(h('li', { class: 'empty' }, t('picker.none')));
  }
  replaceChildren($('#picker-list'), list);
}

function close(code) {
  $('#picker').hidden = true;
  if (code && chosen) chosen(code);
  chosen = null;
}

export async function openPicker(onChosen) {
  chosen = onChosen;
  $('#picker-search').value = '';
  replaceChildren($('#picker-list'), []);
  $('#picker').hidden = false;
  await render();
  $('#picker-search').focus();
  if (!categories.all().length) {
    await categories.refresh();
    await render();
  }
}

export function init() {
  $('#picker-search').addEventListener('input', () => render());
  $('#picker-close').addEventListener('click', () => close(null));
}
