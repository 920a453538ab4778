// The live connection: Socket.IO over WebSocket, snapshot first, then events, with no gap and
// no duplicate. The page keeps the id of every case event it has shown; on reconnect it sends
// its resume cursor (resume.js: the highest id shown while its last replay was complete) and
// the server replays what came after (reaching back up to 20,000 ids, the events written in the
// 10 s before it, because ids are handed out before commit). Anything already shown, or older
// than the first snapshot (the `floor`), is dropped. Events that arrive before a connection's
// snapshot wait for it.
"use strict";

window.gf = window.gf || {};

gf.live = function live(handlers) {
  const state = {
    floor: null,        // last_event_id of the first snapshot: older events are history
    seen: new Set(),
    order: [],
    awaitingSnapshot: true,
    buffer: [],
    resume: gfResume(),
  };
  const remember = (id) => {
    state.seen.add(id);
    state.order.push(id);
    state.resume.seen(id);
    if (state.order.length > 50000) state.seen.delete(state.order.shift());
  };
  const deliver = (message, replayed) => {
    if (state.floor !== null && message.id <= state.floor) return;
    if (state.seen.has(message.id)) return;
    remember(message.id);
    handlers.onEvent(message, { replayed });
  };

  const socket = io({
    // WebSocket only: one connection to one server process, so a load balancer needs no
    // sticky sessions (long-polling would spread one client's requests over processes).
    transports: ["websocket"],
    reconnectionDelay: 300,
    reconnectionDelayMax: 2000,
    auth: (cb) => cb(state.floor === null
      ? { token: gf.session.access }
      : { token: gf.session.access, last_event_id: state.resume.cursor }),
  });

  socket.on("snapshot", (snapshot) => {
    const first = state.floor === null;
    if (first) {
      state.floor = snapshot.last_event_id;
      state.resume.snapshot(snapshot.last_event_id);
      for (const message of snapshot.events || []) remember(message.id);
    }
    handlers.onSnapshot(snapshot, first);
    state.awaitingSnapshot = false;
    for (const message of state.buffer) deliver(message, false);
    state.buffer = [];
    if (handlers.onStatus) handlers.onStatus(true);
  });
  socket.on("replay", (batch) => {
    for (const message of batch.events) deliver(message, true);
    state.resume.replayed(batch.more);
  });
  // Live events come in batches: what one read of the server's feed brought, oldest first.
  socket.on("case_events", (messages) => {
    for (const message of messages) {
      if (state.awaitingSnapshot) state.buffer.push(message);
      else deliver(message, false);
    }
  });
  socket.on("worker_position", (position) => {
    if (handlers.onWorker) handlers.onWorker(position);
  });
  socket.on("disconnect", (reason) => {
    // Every connection starts with a snapshot (the client may deliver it before or after its
    // "connect" event): until it comes, events wait.
    state.awaitingSnapshot = true;
    state.buffer = [];
    state.resume.connecting();
    if (handlers.onStatus) handlers.onStatus(false);
    // A server-side disconnect (token expired or revoked) is not retried by the client itself.
    if (reason === "io server disconnect") renewAndReconnect();
  });
  socket.on("connect_error", (err) => {
    if (handlers.onStatus) handlers.onStatus(false);
    const data = err && err.data;
    if (data && (data.code === "unauthorized" || data.code === "forbidden")) renewAndReconnect();
  });
  socket.on("auth_expired", () => null);

  async function renewAndReconnect() {
    if (await gf.refresh()) {
      socket.connect();
    } else {
      gf.session.clear();
      location.reload();
    }
  }

  // Keep the server's copy of the token fresh: refresh a minute before the access token ends.
  setInterval(async () => {
    const token = gf.session.access;
    if (!token || !socket.connected) return;
    const exp = tokenExpiry(token);
    if (exp && exp - Date.now() / 1000 < 60 && (await gf.refresh())) {
      socket.emit("token", { token: gf.session.access });
    }
  }, 15000);

  return {
    socket,
    state,
    request(name, data) {
      return new Promise((resolve) => socket.emit(name, data || {}, resolve));
    },
  };
};

function tokenExpiry(token) {
  try {
    const body = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(body)).exp;
  } catch (e) {
    return null;
  }
}

// The connection badge in the page's header.
gf.showConnection = function showConnection(online) {
  const node = gf.$("#connection");
  node.dataset.i18n = online ? "conn.online" : "conn.offline";
  node.className = online ? "online" : "offline";
  node.textContent = gf.t(node.dataset.i18n);
};

// The snapshot's cases come in columns ({columns: {id: [...], state: [...], ...}, categories}):
// row i of every column is one case. Each becomes the case view an event carries, with the
// fields its page draws (the rest comes with the case's detail when it is opened).
gf.snapshotCases = function snapshotCases(compact) {
  const columns = Object.entries(compact.columns);
  const categories = compact.categories || {};
  const count = columns.length ? columns[0][1].length : 0;
  const out = new Array(count);
  for (let i = 0; i < count; i += 1) {
    const c = {};
    for (const [name, values] of columns) c[name] = values[i];
    c.category = categories[c.category_code] || null;
    out[i] = c;
  }
  return out;
};

// A snapshot replaces the page's cases, except those an event newer than the snapshot
// already brought (they arrived while the snapshot was being built).
gf.takeSnapshotCases = function takeSnapshotCases(cases, snapshot) {
  const fresh = new Map(gf.snapshotCases(snapshot.cases).map((c) => [c.id, c]));
  for (const [id, c] of cases) if ((c.seq || 0) > snapshot.last_event_id) fresh.set(id, c);
  cases.clear();
  for (const [id, c] of fresh) cases.set(id, c);
};
