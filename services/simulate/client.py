"""A small HTTP client of the gridflow API for the simulated fleet: sign in, refresh, JSON and
multipart calls. Standard library only, so the simulator needs nothing the server lacks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Response:
    status: int
    body: Any


class ApiClient:
    """One signed-in account talking to `base_url`; refreshes its token once on a 401."""

    def __init__(self, base_url: str, username: str, password: str, timeout_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout_s = timeout_s
        self.access: str | None = None
        self.refresh_token: str | None = None

    def login(self) -> None:
        """Signs in; raises RuntimeError if the server refuses."""
        resp = self._send("POST", "/api/v1/auth/login", _json_body(
            {"username": self.username, "password": self.password}), auth=False)  # fmt: skip
        if resp.status != 200:
            raise RuntimeError(f"{self.username} cannot sign in: {resp.status} {resp.body}")
        self._store(resp.body)

    def get(self, path: str) -> Response:
        return self._call("GET", path, None)

    def post(self, path: str, data: dict[str, Any] | None = None) -> Response:
        return self._call("POST", path, _json_body(data or {}))

    def post_multipart(self, path: str, fields: dict[str, str], files: list[Upload]) -> Response:
        return self._call("POST", path, _multipart(fields, files))

    def _call(self, method: str, path: str, body: Body | None) -> Response:
        if self.access is None:
            self.login()
        resp = self._send(method, path, body)
        if resp.status == 401 and self._refresh():
            resp = self._send(method, path, body)
        return resp

    def _refresh(self) -> bool:
        if self.refresh_token:
            body = _json_body({"refresh_token": self.refresh_token})
            resp = self._send("POST", "/api/v1/auth/refresh", body, auth=False)
            if resp.status == 200:
                self._store(resp.body)
                return True
        self.login()
        return True

    def _store(self, tokens: dict[str, Any]) -> None:
        self.access = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")

    def _send(self, method: str, path: str, body: Body | None, auth: bool = True) -> Response:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = body.content_type
        if auth and self.access:
            headers["Authorization"] = f"Bearer {self.access}"
        request = urllib.request.Request(
            self.base_url + path,
            data=body.data if body is not None else None,
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                return Response(answer.status, _decode(answer.read()))
        except urllib.error.HTTPError as exc:
            return Response(exc.code, _decode(exc.read()))


@dataclass(frozen=True)
class Body:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


def _json_body(data: dict[str, Any]) -> Body:
    return Body("application/json", json.dumps(data).encode("utf-8"))


def _multipart(fields: dict[str, str], files: list[Upload]) -> Body:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    for f in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{f.field}"; '
            f'filename="{f.filename}"\r\nContent-Type: {f.content_type}\r\n\r\n'
        )
        parts.append(head.encode() + f.data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return Body(f"multipart/form-data; boundary={boundary}", b"".join(parts))


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw
