"""The loads of the processor-group drills, beside the phones' reports (load.py):

- `Open311Fleet`: requests of an Open311 app whose reporters are told each milestone by
  webhook; each request is sent once (the protocol has no request id of the client's, so a
  retry could file it twice), an answer other than 201 counted as an error;
- `PingPlan`: the stage's grid workers walking their streets, each batch of pings posted
  through the API with its `batch_id` (the phone's retry of a batch is idempotent), so the
  phones' `Fleet` sends them.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import requests

from tests.integration.drills.load import ATTEMPT_TIMEOUT_S, Attempt, Fleet, Phone

STEP_S = 2  # seconds between two pings of a worker
STEP_M = 2.4  # metres walked between them (1.2 m/s)


class Open311Fleet(Fleet):
    """Files requests of the apps of `api_keys`, in turn (`plan`: a ReportPlan), through the
    Open311 API; `stats.accepted` is keyed by the request's token (its report id)."""

    def __init__(self, base_urls: list[str], plan, api_keys: list[str], rate: float) -> None:
        turn = itertools.cycle(api_keys)  # called by the one thread that makes the requests
        super().__init__(base_urls, plan, lambda cell: next(turn), rate)

    def _send(self, session: requests.Session, base_url: str, phone: Phone) -> None:
        body = phone.body
        form = {"api_key": phone.token, "service_code": body["category"],
                "lat": str(body["location"]["lat"]), "long": str(body["location"]["lng"]),
                "description": body["description"]}  # fmt: skip
        sent = time.monotonic()
        try:
            resp = session.post(f"{base_url}/open311/v2/requests.json", data=form,
                                timeout=ATTEMPT_TIMEOUT_S)  # fmt: skip
            status = resp.status_code
            token = resp.json()[0]["token"] if status == 201 else None
        except (requests.RequestException, ValueError, KeyError, IndexError):
            status, token = -1, None
            session.close()
        with self._lock:
            self.stats.attempts.append(Attempt(sent, time.monotonic() - sent, status))
            if token is not None:
                self.stats.accepted[token] = time.monotonic()
            else:
                self.stats.refused[body["id"]] = status
            self._pending -= 1


class PingPlan:
    """Batches of `size` pings of the stage's grid workers in turn (one worker per street),
    each walking from cell to cell of its street at STEP_M every STEP_S seconds, starting
    `hours_ago` hours ago (today's points, already past). `pings` counts what each batch
    holds: batch_id → (street, pings)."""

    def __init__(self, cells: list[tuple[str, float, float]], size: int = 6,
                 hours_ago: float = 1.0) -> None:  # fmt: skip
        streets: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for code, lat, lng in cells:
            streets[code[:9]].append((lat, lng))
        self.streets = sorted(streets)
        self._route = {s: points for s, points in streets.items()}
        start = datetime.now(UTC) - timedelta(hours=hours_ago)
        self._at = {s: start + timedelta(milliseconds=i) for i, s in enumerate(self.streets)}
        self._where = {s: (0, 0.0) for s in self.streets}  # leg, metres walked along it
        self._turn = 0
        self.size = size
        self.batches: dict[str, tuple[str, int]] = {}

    def _step(self, street: str) -> tuple[float, float]:
        route = self._route[street]
        leg, walked = self._where[street]
        (lat0, lng0), (lat1, lng1) = route[leg % len(route)], route[(leg + 1) % len(route)]
        metres = max(1.0, ((lat1 - lat0) * 110_540) ** 2 + ((lng1 - lng0) * 96_400) ** 2) ** 0.5
        f = min(1.0, walked / metres)
        point = (round(lat0 + f * (lat1 - lat0), 7), round(lng0 + f * (lng1 - lng0), 7))
        walked += STEP_M
        self._where[street] = (leg + 1, 0.0) if walked >= metres else (leg, walked)
        return point

    def next(self) -> tuple[dict, str]:
        """The next batch and a cell code of its street (whose worker's token posts it)."""
        street = self.streets[self._turn % len(self.streets)]
        self._turn += 1
        pings = []
        for _ in range(self.size):
            lat, lng = self._step(street)
            self._at[street] += timedelta(seconds=STEP_S)
            pings.append({"t": self._at[street].isoformat(), "lat": lat, "lng": lng,
                          "crs": "wgs84", "accuracy_m": 5.0})  # fmt: skip
        batch = str(uuid.uuid4())
        self.batches[batch] = (street, len(pings))
        return {"batch_id": batch, "pings": pings}, street + "000000"
