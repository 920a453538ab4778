"""Liveness probes for the services gridflow depends on, each bounded in time."""

from __future__ import annotations

import socket
import struct
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy import Engine

from services.store.db import answers

_API_VERSIONS = 18
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="probe")


def database_ok(engine: Engine) -> None:
    """Raises when PostgreSQL does not answer `SELECT 1`."""
    answers(engine)


def kafka_ok(bootstrap_servers: str, timeout_s: float) -> None:
    """Raises unless some bootstrap broker answers a Kafka ApiVersions request in time."""
    errors = []
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _api_versions(host or "127.0.0.1", int(port), timeout_s)
            return
        except (OSError, ValueError) as exc:
            errors.append(f"{server}: {exc}")
    raise ConnectionError("; ".join(errors))


def _api_versions(host: str, port: int, timeout_s: float) -> None:
    client_id = b"gridflow-health"
    body = struct.pack(">hhih", _API_VERSIONS, 0, 1, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.settimeout(timeout_s)
        sock.sendall(struct.pack(">i", len(body)) + body)
        header = _read_exactly(sock, 4)
        (size,) = struct.unpack(">i", header)
        payload = _read_exactly(sock, size)
    correlation_id, error_code = struct.unpack(">ih", payload[:6])
    if correlation_id != 1 or error_code != 0:
        raise ConnectionError(f"unexpected ApiVersions answer (error code {error_code})")


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        data += chunk
    return data


def check_all(checks: dict[str, callable], timeout_s: float) -> dict[str, str]:
    """Runs the named checks in parallel; each is 'ok' or its error, never later than timeout_s."""
    futures = {name: _pool.submit(check) for name, check in checks.items()}
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=timeout_s)
            results[name] = "ok"
        except FutureTimeout:
            results[name] = f"no answer within {timeout_s:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure is reported as that service's error
            results[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return results
