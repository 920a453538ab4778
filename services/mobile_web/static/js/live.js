// The live feed while online: Socket.IO with the worker's access token. The server sends a
// snapshot of the open cases in the worker's cells, then every case event there (in batches);
// they are passed on as 'cases' and 'case_event' notices, one per event; the milestones of the
// worker's own reports as 'notification' notices. A reconnection asks for the events after
// the resume cursor (/assets/js/resume.js, shared with the other pages): the highest id seen
// while the connection's replay was complete.

import '/assets/js/resume.js';
import { io } from '/m/vendor/socket.io.js';
import { accessToken, AuthRequired, renew } from './session.js';
import { emit, on } from './bus.js';

const LOCAL = { localOnly: true };
let socket = null;
let resume = globalThis.gfResume();
const seen = new Set();

function handle(message) {
  if (!message || seen.has(message.id)) return;
  seen.add(message.id);
  resume.seen(message.id);
  emit('case_event', message, LOCAL);
}

export function start() {
  if (socket) return;
  socket = io({
    path: '/socket.io',
    transports: ['websocket'],
    // socket.io's own cap: back within 5 s of a server's restart, the waiting done in its
    // admission gate (services/live/admission.py), not in the phone.
    reconnectionDelayMax: 5_000,
    // Asked again on every (re)connection, so a refreshed token is always the one used.
    auth: (cb) => {
      accessToken()
        .then((token) => {
          const cursor = resume.cursor;
          cb(cursor === null ? { token } : { token, last_event_id: cursor });
        })
        .catch(() => cb({}));
    },
  });
  socket.on('snapshot', (snap) => {
    resume.snapshot(snap.last_event_id);
    emit('cases', snap.cases ? caseViews(snap.cases) : [], LOCAL);
    emit('live', { connected: true }, LOCAL);
  });
  socket.on('replay', (data) => {
    (data.events || []).forEach(handle);
    resume.replayed(data.more);
  });
  socket.on('case_events', (messages) => (messages || []).forEach(handle)); // oldest first
  // Sent just before the server hangs up on this session: a revoked one ends here.
  socket.on('auth_expired', () => { renew().catch(() => {}); });
  // The patrol of the worker's cells changed today (coverage, or the worker's own track).
  socket.on('patrol_coverage', () => emit('patrol_changed', null, LOCAL));
  socket.on('patrol_track', () => emit('patrol_changed', null, LOCAL));
  // A milestone of one of the worker's own reports (to this account's sockets alone).
  socket.on('notification', (n) => emit('notification', n, LOCAL));
  socket.on('disconnect', (reason) => {
    resume.connecting();
    emit('live', { connected: false }, LOCAL);
    // The server hung up (token expired or revoked): refresh quietly and connect again.
    if (reason === 'io server disconnect') later(1000);
  });
  socket.on('connect_error', () => {
    emit('live', { connected: false }, LOCAL);
    if (socket && !socket.active) later(5000); // refused: the client does not retry by itself
  });
}

// The snapshot sends its cases in columns ({columns: {id: [...], state: [...], ...},
// categories: {code: {zh, en}}}): case i is entry i of every column, shaped here as the case
// view a case event carries, with its category's names.
function caseViews({ columns, categories = {} }) {
  const names = Object.keys(columns);
  return (columns.id || []).map((_, i) => {
    const view = Object.fromEntries(names.map((name) => [name, columns[name][i]]));
    view.category = categories[view.category_code] || null;
    return view;
  });
}

function later(ms) {
  setTimeout(() => {
    accessToken()
      .then(() => { if (socket && !socket.connected) socket.connect(); })
      .catch((err) => { if (!(err instanceof AuthRequired)) later(Math.min(ms * 2, 60_000)); });
  }, ms);
}

export function stop() {
  if (socket) socket.close();
  socket = null;
  resume = globalThis.gfResume();
  seen.clear();
}

// A quietly refreshed token is handed to the open connection, which stays up.
on('token', (detail) => {
  if (socket && socket.connected) socket.emit('token', { token: detail.access_token });
});

// The network is back: connect now rather than when the backoff timer says so.
export function reconnect() {
  if (!socket || socket.connected) return;
  socket.disconnect();
  socket.connect();
}
