"""The live side of gridflow: the Socket.IO server in each API process, fed by its own Kafka
reader, with authorization on connect, rooms by jurisdiction and department, and snapshot +
replay so a page never misses or repeats an event.

One process holds 10,000 and more sockets on gevent (services.serving); what keeps it answering
HTTP under them, and its limits, is in infra/README.md ("Live sockets at district scale"):

    server.py     the Socket.IO handlers: connect (token, snapshot, replay), summary,
                  case_detail, token; the watch that keeps each socket's scope true
    admission.py  caps per process and address, sign-in timeout (a WSGI gate + transport hooks)
    clients.py    the signed-in clients: sessions re-checked set-wise, rooms, event rates
    coalesce.py   connecting clients' lookups (sessions, a phone's cases) made in batches
    fanout.py     messages to rooms, one packet per client and feed read, slow clients cut
    replay.py     the replay log shared by every reconnecting client
    snapshot.py   what a client gets on connect (a grid worker: its open cases only)
    feed.py       the Kafka reader of this process
    queries.py    who sees what (a principal's scope), a case's view, an event's rooms
    messages.py   event messages (encoded by PostgreSQL) with their rooms
    kpis.py details.py  today's figures; one case when clicked

Its SQL is in services.store.live. Imports auth, capture (moderation), stats, the store,
services.http, the envelope and config, and the domain core.

Protocol (namespace "/"):
    connect   auth = {"token": access token, "last_event_id": int, optional}
              refused (connect_error "unauthorized") without a valid token or a scope.
    ← snapshot   {server_time, last_event_id, principal, kpis, hourly, departments, cells,
                  cases, events (recent, first connect only), workers}; `cases` and `cells`
                  in columns (services.live.snapshot); a grid worker's phone gets
                  {last_event_id, principal, cases} alone
    ← replay     {after, events, more, cut}: case events the client may have missed, oldest
                 first, in packets of at most REPLAY_PACKET events (`more`: another packet
                 follows). `after` is the client's cursor: on a reconnect the events above it
                 and, because ids are handed out before commit, those below it written up to
                 REPLAY_REACH_S before the cursor's event (clients drop ids they have already
                 seen); on a first connect those above the snapshot's last_event_id, below
                 which everything is the page's history.
                 `cut`: the cursor was older than the process's replay log holds (50,000
                 events), so the oldest of the missed events are not in it (the snapshot still
                 gives the whole current state)
    ← case_events [{id, event_id, type, at, actor, detail, case}, …]   live, by room: what one
                 read of the feed brought for the client's rooms, oldest first, in one packet
    ← worker_position {worker_id, lat, lng, t, cell_codes}       live, by room
    ← notification {id, account_id, case_id, case_no, report_id, event_type, occurred_at,
                 status, text_zh, text_en}   a milestone of a grid worker's own report, to
                 that account's sockets alone (room account:<id>); missed ones are read from
                 GET /api/v1/me/notifications
    ← auth_expired {}   then the server disconnects
    → summary → ack {kpis, hourly, departments, cells (in columns)}
    → case_detail {case_id} → ack {case, timeline, photos} or {error}
    → token {token} → ack {ok}: a refreshed access token for the same account
    Events a client sends are rate-limited per socket (`live_event_rate_per_s`, burst 4x):
    past it the ack is {error: "rate_limited"}.

    from services.live import init_live
    live = init_live(app, config)   # in create_app
    live.start()                    # in `gridflow serve` only
"""

from __future__ import annotations

from flask import Flask

from services.config import Config
from services.live.server import LiveServer


def init_live(app: Flask, config: Config) -> LiveServer:
    """Attaches the Socket.IO server to `app` (app.extensions["gridflow.live"])."""
    live = LiveServer(app, config)
    app.extensions["gridflow.live"] = live
    return live
