"""A webhook receiver on a port the OS picks, as an Open311 app runs one: it records every
request it answers 2xx (headers, raw body, decoded body, when) and answers 503 while `down`."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.refused = 0
        self.down = False
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if owner.down:
                    with owner._lock:
                        owner.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                got = {"headers": dict(self.headers), "raw": body, "body": json.loads(body),
                       "at": time.monotonic()}  # fmt: skip
                with owner._lock:
                    owner.received.append(got)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def deliveries(self) -> list[dict]:
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
