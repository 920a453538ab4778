// The queue screen: what waits to be sent, what needs the worker's attention, what arrived.

import { $, h, replaceChildren, formatTime } from './dom.js';
import { t, localName } from './i18n.js';
import * as outbox from './outbox.js';
import * as categories from './categories.js';
import { kick } from './runner.js';

function errorText(error) {
  if (!error) return '';
  if (error.code === 'network') return t('queue.no_network');
  if (error.status >= 500) return t('queue.server_busy', { status: error.status });
  const message = error.message || error.code || '';
  const status = error.status ? `${error.status} ` : '';
  return error.field ? `${status}${t('error.field', { message, field: error.field })}` : `${status}${message}`;
}

function title(item) {
  if (item.kind === 'report') {
    const c = categories.byCode(item.body.category);
    return `${t('queue.report')} · ${c ? localName(c) : item.body.category}`;
  }
  return `${t('queue.verify')} · ${item.case_no || ''}`;
}

function countdown(item) {
  const s = Math.max(0, Math.ceil((item.next_at - Date.now()) / 1000));
  return t('queue.attempts', { n: item.attempts, s });
}

function stateLine(item) {
  if (item.state === outbox.WAITING && item.attempts > 0) {
    return h('span', { class: 'countdown', dataset: { nextAt: item.next_at, attempts: item.attempts } }, countdown(item));
  }
  if (item.state === outbox.SENT && item.result?.case_no) {
    return t('queue.case_no', { no: item.result.case_no });
  }
  return null;
}

function row(item) {
  const buttons = [];
  if (item.state === outbox.ATTENTION || (item.state === outbox.WAITING && item.attempts > 0)) {
    buttons.push(h('button', { type: 'button', class: 'small', onclick: () => outbox.retryNow(item.id).then(kick) }, t('queue.retry')));
  }
  if (item.state !== outbox.SENT && item.state !== outbox.SENDING) {
    buttons.push(h('button', {
      type: 'button', class: 'small danger',
      onclick: () => { if (confirm(t('queue.delete_confirm'))) outbox.remove(item.id); },
    }, t('queue.delete')));
  }
  const photos = (item.files || []).length;
  const line = stateLine(item);
  return h('li', { class: `item ${item.state}`, dataset: { id: item.id, state: item.state, kind: item.kind } },
    h('div', { class: 'line' },
      h('strong', {}, title(item)),
      h('span', { class: `chip state-${item.state}` }, t(`queue.${item.state}`))),
    h('p', { class: 'desc' }, item.kind === 'report' ? item.body.description : item.body.note || ''),
    h('div', { class: 'muted' },
      formatTime(item.created_at),
      photos ? ` · ${t('queue.photos', { n: photos })}` : '',
      line ? ' · ' : '', line),
    item.error && item.state !== outbox.SENT
      ? h('p', { class: item.state === outbox.ATTENTION ? 'error' : 'muted', dataset: { code: item.error.code || '' } }, errorText(item.error))
      : null,
    item.state === outbox.WAITING && !item.error && navigator.onLine === false
      ? h('p', { class: 'muted' }, t('queue.no_network'))
      : null,
    buttons.length ? h('div', { class: 'actions' }, buttons) : null);
}

export async function render() {
  const list = await outbox.myItems();
  const waiting = outbox.pending(list);
  const sent = list.filter((i) => i.state === outbox.SENT).reverse();
  const children = waiting.length ? waiting.map(row) : [h('li', { class: 'empty' }, t('queue.empty'))];
  replaceChildren($('#queue-list'), children);
  replaceChildren($('#sent-list'), sent.map(row));
  $('#sent-heading').hidden = !sent.length;
}

// Counts the seconds to the next attempt down without rebuilding the list under a finger.
function tick() {
  if ($('#view-queue').hidden) { clearInterval(ticker); return; }
  for (const el of document.querySelectorAll('#queue-list .countdown')) {
    el.textContent = countdown({ next_at: Number(el.dataset.nextAt), attempts: el.dataset.attempts });
  }
}

let ticker = null;
export function shown() {
  render();
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
}
