// The worker's session: login, quiet token refresh, logout, and fetch with the Bearer token.
// Tokens live in IndexedDB so the service worker can send the queue too. Refresh tokens work
// once, so every refresh runs under a Web Lock: two tabs (or a tab and the service worker)
// never spend the same refresh token.

import * as store from './store.js';
import { emit } from './bus.js';

const KEY = 'session';
const EARLY_MS = 60_000; // refresh this long before the access token expires

export class NetworkError extends Error {}
export class AuthRequired extends Error {}

function withLock(name, fn) {
  if (globalThis.navigator && navigator.locks) return navigator.locks.request(name, fn);
  return fn();
}

async function post(path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
  } catch (err) {
    throw new NetworkError(String(err));
  }
}

function stored(pair, username, mustChange = false) {
  return {
    username,
    access_token: pair.access_token,
    refresh_token: pair.refresh_token,
    expires_at: Date.now() + pair.expires_in * 1000,
    must_change: mustChange,
  };
}

export const current = () => store.getValue(KEY);

// Resolves with the session; rejects with {status, error} from the server or a NetworkError.
export async function login(username, password) {
  const res = await post('/api/v1/auth/login', { username, password });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error('login failed'), { status: res.status, error: body.error });
  const session = stored(body, username, Boolean(body.must_change_password));
  await store.setValue(KEY, session);
  emit('session', { username });
  return session;
}

export async function logout() {
  const session = await current();
  await store.deleteValue(KEY);
  emit('session', { username: null });
  if (session && session.access_token) {
    post('/api/v1/auth/logout', {}, session.access_token).catch(() => {});
  }
}

// Trades the refresh token for a new pair, once, under the lock. `stale` is the access token
// the caller found wanting: if another context already replaced it, that one is used.
async function refresh(stale) {
  return withLock('gridflow-session', async () => {
    const session = await current();
    if (!session || !session.refresh_token) throw new AuthRequired('not signed in');
    if (session.access_token !== stale && session.expires_at - EARLY_MS > Date.now()) {
      return session;
    }
    const res = await post('/api/v1/auth/refresh', { refresh_token: session.refresh_token });
    if (res.status === 401 || res.status === 400 || res.status === 422) {
      await store.setValue(KEY, { username: session.username, expired: true });
      emit('session', { username: session.username, expired: true });
      throw new AuthRequired('session ended');
    }
    if (!res.ok) throw new NetworkError(`refresh answered ${res.status}`);
    const next = stored(await res.json(), session.username, Boolean(session.must_change));
    await store.setValue(KEY, next);
    emit('token', { access_token: next.access_token });
    return next;
  });
}

// The server ended the live connection of this session (revoked, disabled, or its token
// expired): ask for a new pair now; a session that is over shows the sign-in screen.
export async function renew() {
  const session = await current();
  if (!session || !session.access_token) throw new AuthRequired('not signed in');
  return refresh(session.access_token);
}

// A valid access token, refreshed quietly when it is about to expire.
export async function accessToken() {
  const session = await current();
  if (!session || !session.access_token) throw new AuthRequired('not signed in');
  if (session.expires_at - EARLY_MS > Date.now()) return session.access_token;
  return (await refresh(session.access_token)).access_token;
}

// fetch() with the Bearer token; a 401 is answered by one refresh and one retry.
// `init` may be a function returning fresh options (a FormData body cannot be sent twice).
export async function apiFetch(path, init = {}) {
  const options = () => (typeof init === 'function' ? init() : init);
  const attempt = async (token) => {
    const opts = options();
    const headers = new Headers(opts.headers || {});
    headers.set('Authorization', `Bearer ${token}`);
    try {
      return await fetch(path, { ...opts, headers });
    } catch (err) {
      throw new NetworkError(String(err));
    }
  };
  const token = await accessToken();
  let res = await attempt(token);
  if (res.status === 401) res = await attempt((await refresh(token)).access_token);
  if (res.status === 403) await noticePasswordChange(res);
  return res;
}

// A one-time password not yet replaced: the server refuses everything else with 403
// `password_change_required`, and the app shows its password-change screen.
async function noticePasswordChange(res) {
  const body = await res.clone().json().catch(() => ({}));
  if (!body.error || body.error.code !== 'password_change_required') return;
  const session = await current();
  if (session && !session.must_change) await store.setValue(KEY, { ...session, must_change: true });
  emit('password-required', {});
}

// Replaces the one-time password; resolves with null, or the server's error ({code, field}).
export async function changePassword(oldPassword, newPassword) {
  const res = await apiFetch('/api/v1/auth/password', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ old_password: oldPassword, new_password: newPassword }),
  });
  if (!res.ok) return (await res.json().catch(() => ({}))).error || { code: String(res.status) };
  const session = await current();
  if (session) await store.setValue(KEY, { ...session, must_change: false });
  return null;
}

// GET a JSON document; throws NetworkError, AuthRequired, or an Error with .status.
export async function getJson(path) {
  const res = await apiFetch(path);
  if (!res.ok) throw Object.assign(new Error(`${path} answered ${res.status}`), { status: res.status });
  return res.json();
}
