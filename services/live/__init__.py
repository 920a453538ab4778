"""The live side of gridflow: the Socket.IO server in each API process, fed by its own Kafka
reader, with authorization on connect, rooms by jurisdiction and department, and snapshot +
replay so a page never misses or repeats an event.

One process holds 10,000 and more sockets on gevent (services.serving); what keeps it answering
HTTP under them, and its limits, is in infra/README.md ("Live sockets at district scale"):

    server.py     the Socket.IO handlers: connect (token, snapshot, replay), summary,
                  case_detail, token; the watch that keeps each socket's scope true
    admission.py  caps per process and address, sign-in timeout (a WSGI gate + transport hooks)
    clients.py    the signed-in clients: sessions re-checked set-wise, rooms, event rates
    fanout.py     messages to rooms, one packet per client and feed read, slow clients cut
    replay.py     the replay log shared by every reconnecting client
    snapshot.py   what a client gets on connect (a grid worker: its open cases only)
    feed.py       the Kafka reader of this process

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
