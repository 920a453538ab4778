"""`gridflow notify receiver`: a local webhook receiver for the demo and for trying a client's
integration — no real Open311 client or SMS gateway is reachable here. It checks each
delivery's X-Gridflow-Signature against the shared secret, prints one JSON line per delivery
and answers 204 (401 for a wrong signature, so the notifier retries it and an admin sees it
dead-lettered)."""

from __future__ import annotations

import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import click

from services.notify.channels import signature


def receiver_server(host: str, port: int, secret: str, out=sys.stdout) -> ThreadingHTTPServer:
    """The receiver's server, not yet serving."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signed = hmac.compare_digest(self.headers.get("X-Gridflow-Signature", ""),
                                         signature(secret, raw))  # fmt: skip
            line = {"path": self.path, "signed": signed,
                    "delivery": self.headers.get("X-Gridflow-Delivery"),
                    "body": raw.decode("utf-8", "replace")}  # fmt: skip
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
            self.send_response(204 if signed else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((host, port), Handler)


@click.group()
def notify() -> None:
    """Notifications to reporters."""


@notify.command("receiver")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8099, show_default=True)
@click.option("--secret", required=True, help="the webhook secret of the Open311 client")
def receiver(host: str, port: int, secret: str) -> None:
    """Receive and print signed webhook deliveries (runs until Ctrl-C)."""
    server = receiver_server(host, port, secret)
    click.echo(f"gridflow notify receiver: http://{host}:{port}/", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("gridflow notify receiver: stopped", err=True)
    finally:
        server.server_close()
