"""The notification channels against a real local HTTP receiver: the SMS gateway's configured
shape (form or JSON, its own field names, a bearer token) and a webhook's HMAC signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from services.config import Config, SmsGateway
from services.notify.channels import DeliveryFailed, send_sms, send_webhook
from tests.processes import free_port


@pytest.fixture()
def gateway():
    got: list[tuple[dict, bytes]] = []
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server name
            got.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", got, status
    server.shutdown()
    server.server_close()


def test_the_sms_gateway_gets_its_own_shape(gateway):
    url, got, status = gateway
    body = {"phone": "13912345678", "text": "您反映的问题已办结", "case_no": "330211001"}
    form = SmsGateway(url, "form", "mobile={phone},content=【12345】{text}", "tok")
    send_sms(form, body, timeout_s=2)
    headers, raw = got[-1]
    assert headers["Authorization"] == "Bearer tok"
    assert parse_qs(raw.decode()) == {"mobile": ["13912345678"],
                                      "content": ["【12345】您反映的问题已办结"]}  # fmt: skip
    send_sms(Config(sms_gateway_url=url).sms_gateway(None), body, timeout_s=2)
    headers, raw = got[-1]
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(raw) == {"phone": "13912345678", "text": "您反映的问题已办结"}
    status["code"] = 500
    with pytest.raises(DeliveryFailed, match="HTTP 500"):
        send_sms(form, body, timeout_s=2)


def test_a_webhook_is_signed_with_the_clients_secret(gateway):
    url, got, _ = gateway
    send_webhook(url, "k3y", {"event_type": "CaseClosed", "status": "closed"},
                 delivery_id="e1:webhook:7", timeout_s=2)  # fmt: skip
    headers, raw = got[-1]
    assert headers["X-Gridflow-Signature"] == "sha256=" + hmac.new(
        b"k3y", raw, hashlib.sha256).hexdigest()  # fmt: skip
    assert headers["X-Gridflow-Delivery"] == "e1:webhook:7"
    with pytest.raises(DeliveryFailed):
        send_webhook(f"http://127.0.0.1:{free_port()}/x", "k", {}, delivery_id="d", timeout_s=1)


def test_the_demo_receiver_checks_the_signature(tmp_path):
    import io

    from services.notify.receiver import receiver_server

    out = io.StringIO()
    server = receiver_server("127.0.0.1", free_port(), "demo", out)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        send_webhook(url, "demo", {"event_type": "CaseClosed"}, delivery_id="d1", timeout_s=2)
        with pytest.raises(DeliveryFailed, match="HTTP 401"):
            send_webhook(url, "wrong", {"event_type": "CaseClosed"}, delivery_id="d2",
                         timeout_s=2)  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["delivery"], x["signed"]) for x in lines] == [("d1", True), ("d2", False)]
