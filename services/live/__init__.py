"""The live side of gridflow: the Socket.IO server in each API process, fed by its own Kafka
reader, with authorization on connect, rooms by jurisdiction and department, and snapshot +
replay so a page never misses or repeats an event.

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
