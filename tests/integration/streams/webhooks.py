"""Helpers of the notifier tests: a real local webhook receiver that can really go down, Open311
requests of a client with a webhook, their milestones, and the check of what was delivered."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import text

from services.auth.apikeys import create_client
from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import (
    CaseMaker,
    captured_event,
    cell_point,
    resolve_through_api,
    task_of,
    verify_through_api,
)

SECRET = "s3cret-of-the-hotline-app"
MILESTONES = ["CaseDispatched", "CaseResolved", "CaseClosed"]


class _Server(ThreadingHTTPServer):
    allow_reuse_port = True  # beside the socket that keeps the port while the receiver is down


class Receiver:
    """A webhook receiver on a port of the OS's choosing: records every delivery (answered
    204). `go_down()` closes its listening socket, so the notifier's connections are refused
    as by a receiver that is not running; the port stays reserved (a bound socket that does
    not listen) for `come_back()`, so no other process of a parallel run can take it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self._lock = threading.Lock()
        self.server = self._serve(0)
        self.port = self.server.server_address[1]
        self._hold = socket.socket()
        self._hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._hold.bind(("127.0.0.1", self.port))

    def _serve(self, port: int) -> ThreadingHTTPServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got = {"headers": dict(self.headers), "raw": body, "body": json.loads(body),
                       "at": time.monotonic()}  # fmt: skip
                with owner._lock:  # a threading server: deliveries may come side by side
                    owner.received.append(got)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = _Server(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def deliveries(self) -> list[dict]:
        """What was received so far (a copy)."""
        with self._lock:
            return list(self.received)

    @property
    def up(self) -> bool:
        return self.server is not None

    def go_down(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def come_back(self) -> None:
        self.server = self._serve(self.port)

    def close(self) -> None:
        if self.up:
            self.go_down()
        self._hold.close()


def open311_requests(api, engine, webhook: str, count: int) -> tuple[list[dict], CaseMaker]:
    """`count` Open311 requests of a new client with this webhook, routed (dispatched)."""
    with engine.begin() as conn:
        key = create_client(conn, f"app-{uuid.uuid4().hex[:6]}", webhook_url=webhook,
                            webhook_secret=SECRET)  # fmt: skip
    cases = CaseMaker(api, engine, lambda role, **s: signed_in(api, engine, role, **s))
    made = []
    for _ in range(count):
        cell = cases.fresh_cell()
        lat, lng = cell_point(engine, cell)
        resp = api.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "201001", "lat": str(lat), "long": str(lng),
            "description": "垃圾未清运", "phone": "13600000000"})  # fmt: skip
        assert resp.status_code == 201, resp.get_json()
        request = resp.get_json()[0]
        cases.route(captured_event(engine, request["token"]))
        with engine.connect() as conn:
            sql = "SELECT id, department_code FROM case_file WHERE report_id = :r"
            case = conn.execute(text(sql), {"r": request["token"]}).one()
        made.append({**request, "case_id": case.id, "department": case.department_code,
                     "cell": cell})  # fmt: skip
    return made, cases


def close_all(api, engine, cases: CaseMaker, made: list[dict]) -> None:
    """Resolves each request's case as its department and closes it by a passed verification."""
    for request in made:
        staff = signed_in(api, engine, "department_staff", department=request["department"])[1]
        resolve_through_api(api, staff, request["case_id"])
        worker = cases.worker(request["cell"])[1]
        task = task_of(api, worker, request["service_request_id"])
        assert verify_through_api(api, worker, task["id"], True, photo=False).status_code == 200


def notification_rows(engine, made: list[dict]) -> list:
    """The notification rows of these requests' cases, oldest first."""
    with engine.connect() as conn:
        return list(conn.execute(
            text("SELECT id, event_type, status, attempts, last_error FROM notification "
                 "WHERE case_id = ANY(:c) ORDER BY id"), {"c": [m["case_id"] for m in made]},
        ))  # fmt: skip


def check_deliveries(receiver: Receiver, made: list[dict]) -> None:
    """Exactly one signed delivery per milestone of each request, in order."""
    by_request: dict[str, list[str]] = {}
    for delivery in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), delivery["raw"],
                                        hashlib.sha256).hexdigest()  # fmt: skip
        assert delivery["headers"]["X-Gridflow-Signature"] == expected
        body = delivery["body"]
        by_request.setdefault(body["service_request_id"], []).append(body["event_type"])
    assert by_request == {m["service_request_id"]: MILESTONES for m in made}
    ids = [d["headers"]["X-Gridflow-Delivery"] for d in receiver.received]
    assert len(ids) == len(set(ids)) == len(made) * len(MILESTONES)
    closed = [d["body"] for d in receiver.received if d["body"]["event_type"] == "CaseClosed"]
    assert {(b["status"], b["status_notes"]) for b in closed} == {("closed", "已办结")}
