"""The open-loop HTTP load a benchmark offers: requests sent on schedule over kept-alive
connections, whatever the server's pace (imported through scripts/benchlib, which puts the
repository on sys.path and gathers the benchmarks' tools)."""

from __future__ import annotations

import selectors
import socket
import time
from collections import deque
from dataclasses import dataclass

# --- load ---------------------------------------------------------------------------------


@dataclass
class Request:
    """One POST of the load: path, JSON body, the account's token, and what it is (a key)."""

    path: str
    body: bytes
    token: str
    key: str


@dataclass
class Sent:
    key: str
    scheduled: float
    sent: float = 0.0
    done: float = 0.0
    status: int = 0


class OpenLoop:
    """Open-loop load: request i is due at start + i/rate whatever the answers so far. One
    thread drives `workers` keep-alive connections: a due request goes out on an idle
    connection as bytes built beforehand (`prepare`), and answers are read as they arrive
    (status line and Content-Length only). A request sent after its due time, because every
    connection was busy or the thread itself was late, shows as generator lag (the server,
    or the machine, fell behind). The generator shares the machine with what it measures, so
    it is kept cheap: no thread per connection, no header parsing beyond the length."""

    def __init__(self, port: int, workers: int):
        self.port = port
        self.workers = workers

    def prepare(self, requests: list[Request]) -> list[Prepared]:
        """The requests as the bytes sent (call before the measured window)."""
        host = f"127.0.0.1:{self.port}"
        return [
            Prepared(
                r.key,
                (
                    f"POST {r.path} HTTP/1.1\r\nHost: {host}\r\n"
                    f"Content-Type: application/json\r\nAuthorization: Bearer {r.token}\r\n"
                    f"Content-Length: {len(r.body)}\r\n\r\n"
                ).encode()
                + r.body,
            )
            for r in requests
        ]

    def run(self, requests: list[Request] | list[Prepared], rate: float) -> list[Sent]:
        items = [r if isinstance(r, Prepared) else self.prepare([r])[0] for r in requests]
        selector = selectors.DefaultSelector()
        idle: deque[_Connection] = deque()
        for _ in range(self.workers):
            idle.append(self._connect(selector))
        waiting: deque[int] = deque()
        results: list[Sent] = []
        start = time.monotonic() + 0.2
        due, count = 0, len(items)
        while len(results) < count:
            now = time.monotonic()
            while due < count and start + due / rate <= now:
                waiting.append(due)
                due += 1
            while waiting and idle:
                conn = idle.popleft()
                i = waiting.popleft()
                conn.sent = Sent(items[i].key, start + i / rate)
                conn.sent.sent = time.monotonic()
                try:
                    conn.sock.sendall(items[i].data)
                except OSError:
                    conn.sent.status = -1
                    conn.sent.done = time.monotonic()
                    results.append(conn.sent)
                    conn.sent = None
                    idle.append(self._reconnect(selector, conn))
            timeout = 1.0
            if due < count and idle:
                timeout = max(0.0, start + due / rate - time.monotonic())
            for key, _ in selector.select(timeout):
                conn = key.data
                answered = conn.read()
                if answered is None:
                    continue
                if conn.sent is not None:
                    conn.sent.status = -1 if answered is False else answered
                    conn.sent.done = time.monotonic()
                    results.append(conn.sent)
                    conn.sent = None
                elif conn in idle:  # an idle connection the server closed
                    idle.remove(conn)
                if answered is False:  # closed or broken: a new connection takes its place
                    conn = self._reconnect(selector, conn)
                idle.append(conn)
        for conn in idle:
            selector.unregister(conn.sock)
            conn.sock.close()
        selector.close()
        return results

    def _connect(self, selector: selectors.BaseSelector) -> _Connection:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection(sock)
        selector.register(sock, selectors.EVENT_READ, conn)
        return conn

    def _reconnect(self, selector: selectors.BaseSelector, conn: _Connection) -> _Connection:
        selector.unregister(conn.sock)
        conn.sock.close()
        return self._connect(selector)


@dataclass
class Prepared:
    """A request as the bytes sent, and what it is (a key)."""

    key: str
    data: bytes


class _Connection:
    """One keep-alive connection of OpenLoop: the request in flight and its answer so far."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sent: Sent | None = None
        self.buf = b""

    def read(self) -> int | bool | None:
        """Reads what arrived: the status once the whole answer is in, None while it is
        incomplete, False when the server closed the connection (or it broke)."""
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            return False
        if not chunk:
            return False
        self.buf += chunk
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].lower() + b"\r\n"
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            length = int(head[at + 17 : head.find(b"\r\n", at + 2)])
            if len(self.buf) < end + 4 + length:
                return None
            rest = self.buf[end + 4 + length :]
        elif b"\r\ntransfer-encoding: chunked" in head:
            stop = self.buf.find(b"\r\n0\r\n\r\n", end)
            if stop < 0 and not self.buf[end + 4 :].startswith(b"0\r\n\r\n"):
                return None
            rest = b""
        else:
            rest = self.buf[end + 4 :]
        status = int(self.buf[9:12])
        self.buf = rest
        if self.sent is None:  # nothing was asked: an unsolicited answer closes the connection
            return False
        return status
