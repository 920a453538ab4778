// The phone client: start-up, sign-in, the tabs, the outbox badge, the header controls.

import * as i18n from './i18n.js';
import { $, toast } from './dom.js';
import * as session from './session.js';
import * as settings from './settings.js';
import * as categories from './categories.js';
import * as cells from './cells.js';
import * as store from './store.js';
import * as outbox from './outbox.js';
import * as runner from './runner.js';
import * as capture from './capture.js';
import * as picker from './picker.js';
import * as queue from './queue.js';
import * as reports from './reports.js';
import * as notices from './notices.js';
import * as tasks from './tasks.js';
import * as casemap from './casemap.js';
import * as patrol from './patrol.js';
import * as live from './live.js';
import * as password from './password.js';
import { on } from './bus.js';

const VIEWS = { capture, queue, reports, tasks, map: casemap, notices, settings: null };
let entered = false;

function route() {
  const name = location.hash.slice(1) in VIEWS ? location.hash.slice(1) : 'capture';
  for (const el of document.querySelectorAll('[data-view]')) el.hidden = el.dataset.view !== name;
  for (const a of document.querySelectorAll('[data-tab]')) {
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = VIEWS[name];
  if (view && view.shown) view.shown();
}

async function updateBadge() {
  const n = await outbox.pendingCount();
  const badge = $('#queue-badge');
  badge.textContent = String(n);
  badge.hidden = n === 0;
  try {
    if (n && navigator.setAppBadge) await navigator.setAppBadge(n);
    else if (navigator.clearAppBadge) await navigator.clearAppBadge();
  } catch {
    // app badges need an installed app on some platforms
  }
  if (!$('#view-queue').hidden) queue.render();
}

function showNetwork() {
  const el = $('#net');
  const online = navigator.onLine;
  el.dataset.state = online ? 'online' : 'offline';
  el.dataset.i18n = online ? 'net.online' : 'net.offline';
  el.textContent = i18n.t(el.dataset.i18n);
  if (!$('#view-queue').hidden) queue.render();
}

async function showPatrol() {
  const active = await patrol.active();
  const button = $('#patrol-toggle');
  button.setAttribute('aria-pressed', String(active));
  button.dataset.i18n = active ? 'patrol.stop' : 'patrol.start';
  button.textContent = i18n.t(button.dataset.i18n);
  const status = $('#patrol-status');
  status.hidden = !active;
  if (active) status.textContent = i18n.t('patrol.on', { n: await patrol.buffered() });
}

function showSettings(me) {
  const select = $('#patrol-interval');
  select.replaceChildren(...settings.INTERVALS.map((n) => {
    const o = document.createElement('option');
    o.value = String(n);
    o.textContent = i18n.t('settings.seconds', { n });
    return o;
  }));
  select.value = String(settings.get().patrol_interval_s);
  $('#datum').value = settings.get().crs;
  $('#account').textContent = me ? i18n.t('settings.account', { name: me.username }) : '';
  const cellCodes = (me && me.cell_codes) || [];
  $('#my-cells').textContent = cellCodes.length ? i18n.t('settings.cells', { cells: cellCodes.join(', ') }) : '';
}

async function loadMe() {
  try {
    const me = await session.getJson('/api/v1/auth/me');
    await store.setValue('me', me);
    return me;
  } catch {
    return store.getValue('me');
  }
}

function showLogin(note = null) {
  $('#login-view').hidden = false;
  $('#app').hidden = true;
  $('#tabs').hidden = true;
  $('#patrol-toggle').hidden = true;
  $('#settings-link').hidden = true;
  $('#notices-link').hidden = true;
  $('#banner').hidden = true;
  const el = $('#login-note');
  el.hidden = !note;
  if (note) el.textContent = i18n.t(note);
}

async function enterApp() {
  $('#login-view').hidden = true;
  $('#app').hidden = false;
  $('#tabs').hidden = false;
  $('#patrol-toggle').hidden = false;
  $('#settings-link').hidden = false;
  $('#notices-link').hidden = false;
  route();
  updateBadge();
  if (!entered) {
    entered = true;
    runner.start();
    patrol.resume();
    live.start();
  } else {
    runner.kick();
    patrol.send();
    live.start();
    live.reconnect();
  }
  categories.refresh();
  const me = await loadMe();
  if (me) {
    showSettings(me);
    casemap.setCells(me.cell_codes || []);
    cells.keep(me.cell_codes || []);
  }
}

async function onLogin(event) {
  event.preventDefault();
  const error = $('#login-error');
  error.hidden = true;
  try {
    const before = await store.getValue('me');
    const s = await session.login($('#username').value.trim(), $('#password').value);
    $('#password').value = '';
    if (before && before.username !== s.username) {
      await store.deleteValue('me');
      await reports.reset();
      await notices.reset();
      await tasks.reset();
    }
    if (s.must_change) password.show();
    else await enterApp();
  } catch (err) {
    let key = 'login.failed';
    if (err instanceof session.NetworkError) key = 'login.offline';
    else if (err.status === 429) key = 'login.throttled';
    error.textContent = i18n.t(key);
    error.hidden = false;
  }
}

function wire() {
  $('#login-form').addEventListener('submit', onLogin);
  $('#lang').addEventListener('click', () => i18n.setLang(i18n.currentLang() === 'zh' ? 'en' : 'zh'));
  $('#patrol-toggle').addEventListener('click', async () => {
    if (await patrol.active()) await patrol.stop();
    else await patrol.start();
  });
  $('#patrol-interval').addEventListener('change', async (e) => {
    await settings.set({ patrol_interval_s: Number(e.target.value) });
    patrol.restart();
  });
  $('#datum').addEventListener('change', (e) => settings.set({ crs: e.target.value }));
  $('#logout').addEventListener('click', async () => {
    live.stop();
    await session.logout();
    updateBadge();
    showLogin();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => { showNetwork(); patrol.send(); live.reconnect(); });
  window.addEventListener('offline', showNetwork);
  on('outbox', updateBadge);
  on('patrol', showPatrol);
  on('password-required', () => password.show());
  on('session', (s) => {
    if (s && s.expired) {
      $('#username').value = s.username || '';
      showLogin('login.expired');
    }
  });
  i18n.onLangChange(async () => {
    showNetwork();
    showPatrol();
    showSettings(await store.getValue('me'));
    queue.render();
    reports.render();
    notices.render();
    tasks.render();
  });
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/m/sw.js', { scope: '/m/', type: 'module' });
  } catch (err) {
    console.warn('service worker', err);
  }
}

async function boot() {
  i18n.initLang();
  await settings.load();
  await categories.load();
  wire();
  capture.init();
  picker.init();
  password.init(enterApp);
  casemap.init();
  await reports.init();
  await notices.init();
  await tasks.init();
  showNetwork();
  updateBadge();
  showPatrol();
  registerServiceWorker();
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  const s = await session.current();
  if (s && s.access_token && s.must_change) password.show();
  else if (s && s.access_token) await enterApp();
  else showLogin(s && s.expired ? 'login.expired' : null);
  document.body.dataset.ready = 'true';
}

boot().catch((err) => {
  console.error(err);
  toast(String(err.message || err));
});
