"""The channels a notification travels by, over plain HTTP:

- an Open311 client's webhook: the JSON body POSTed with `X-Gridflow-Signature: sha256=<hex
  HMAC-SHA256 of the body with the client's secret>`, `X-Gridflow-Event` and
  `X-Gridflow-Delivery` (the same on every attempt of one notification, so a receiver can
  drop the duplicate a crash between its answer and our record of it may cause);
- the SMS gateway of the case's district (政务短信 platforms differ): its URL, JSON or form
  body and field names are settings (`GRIDFLOW_SMS_GATEWAYS` per district, else
  `GRIDFLOW_SMS_GATEWAY_*`): each field a template over {phone}, {text} and {case_no}.

A delivery is done when the receiver answers 2xx; anything else raises `DeliveryFailed`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from services.config import SmsGateway


class DeliveryFailed(Exception):
    """The receiver did not take the notification (unreachable, timeout, non-2xx)."""


def signature(secret: str, body: bytes) -> str:
    """The value of X-Gridflow-Signature for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None


def send_webhook(
    url: str, secret: str | None, body: dict[str, Any], *, delivery_id: str, timeout_s: float
) -> None:
    """POSTs one signed notification to a client's webhook."""
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json; charset=utf-8",
               "X-Gridflow-Event": str(body.get("event_type")),
               "X-Gridflow-Delivery": delivery_id,
               "X-Gridflow-Signature": signature(secret or "", raw)}  # fmt: skip
    _post(url, raw, headers, timeout_s)


def gateway_fields(setting: str) -> dict[str, str]:
    """`mobile={phone},content={text}` → {"mobile": "{phone}", "content": "{text}"}."""
    fields = {}
    for part in setting.split(","):
        name, _, template = part.partition("=")
        if name.strip():
            fields[name.strip()] = template.strip()
    return fields


def send_sms(gateway: SmsGateway, body: dict[str, Any], *, timeout_s: float) -> None:
    """Sends one text through an SMS gateway (`Config.sms_gateway`), in its shape."""
    values = {name: template.format(**body) for name, template in
              gateway_fields(gateway.fields).items()}  # fmt: skip
    headers = {}
    if gateway.token:
        headers["Authorization"] = f"Bearer {gateway.token}"
    if gateway.format == "form":
        raw = urllib.parse.urlencode(values).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        raw = json.dumps(values, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json; charset=utf-8"
    _post(gateway.url, raw, headers, timeout_s)
