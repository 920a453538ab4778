"""The simulated people: grid workers who patrol, report and verify, and departments that
acknowledge and resolve. Each `step(real_now)` does what is due at that real instant, through
the public HTTP API only, exactly as the phone client and the department console would."""

from __future__ import annotations

import io
import json
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.simulate.client import ApiClient, Upload
from services.simulate.fleet import Fleet, SimWorker
from services.simulate.rhythm import (
    Handling,
    SimClock,
    draw_handling,
    on_patrol,
    report_chance,
    walk,
)
from services.simulate.streets import StreetWalk

log = logging.getLogger(__name__)
PHRASES = ("请尽快处理", "影响居民出行", "居民反映多次", "巡查中发现", "存在安全隐患")
DEPARTMENT_CASES = "/api/v1/department/cases?state=active&per_page=200"
DEPARTMENT_ACTION = "/api/v1/department/cases/{case_id}/{action}"
WORKER_TASKS = "/api/v1/me/tasks"
VERIFY = "/api/v1/me/tasks/{task_id}/verify"
STEP_M = 25.0  # walked between two pings


@dataclass
class WorkerState:
    worker: SimWorker
    client: ApiClient
    lat: float
    lng: float
    next_ping: datetime = field(default_factory=lambda: datetime.now(UTC))
    next_tasks: datetime = field(default_factory=lambda: datetime.now(UTC))
    streets: StreetWalk | None = None


class Workers:
    """Grid workers: patrol pings while on duty, reports at the day's rhythm, verifications."""

    def __init__(
        self, base_url: str, fleet: Fleet, clock: SimClock, rng: random.Random, *,
        reports_per_day: float, ping_every_s: float = 3.0,
    ) -> None:  # fmt: skip
        self.clock = clock
        self.rng = rng
        self.fleet = fleet
        self.reports_per_day = reports_per_day
        self.ping_every = timedelta(seconds=ping_every_s)
        self.states = [
            WorkerState(w, ApiClient(base_url, w.username, fleet.password), w.lat, w.lng,
                        streets=StreetWalk(list(w.ring), rng) if len(w.ring) > 3 else None)
            for w in fleet.workers
        ]  # fmt: skip
        self.filed = 0

    def step(self, real_now: datetime, tick_s: float) -> None:
        sim_now = self.clock.now(real_now)
        step = timedelta(seconds=tick_s * self.clock.speed)
        chance = report_chance(sim_now, self.reports_per_day, len(self.states), step)
        for state in self.states:
            if on_patrol(sim_now) and real_now >= state.next_ping:
                if state.streets is not None:  # along the streets of the worker's cell
                    state.lat, state.lng = state.streets.step(STEP_M)
                else:
                    state.lat, state.lng = walk(self.rng, state.lat, state.lng, STEP_M)
                state.next_ping = real_now + self.ping_every
                self._ping(state, real_now)
            if self.rng.random() < chance:
                self._report(state, real_now)
            if real_now >= state.next_tasks:
                state.next_tasks = real_now + timedelta(seconds=10)
                self._verify(state)

    def _ping(self, state: WorkerState, now: datetime) -> None:
        point = {"t": now.isoformat(), "lat": state.lat, "lng": state.lng, "crs": "wgs84",
                 "accuracy_m": round(self.rng.uniform(4, 15), 1)}  # fmt: skip
        state.client.post("/api/v1/patrol/pings", {"pings": [point]})

    def _report(self, state: WorkerState, now: datetime) -> None:
        code, name = self.rng.choice(self.fleet.categories)
        lat, lng = walk(self.rng, state.lat, state.lng, step_m=self.rng.uniform(5, 40))
        resp = state.client.post(
            "/api/v1/reports",
            {
                "id": str(uuid.uuid4()),
                "category": code,
                "description": f"{name}：{self.rng.choice(PHRASES)}",
                "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 8.0},
                "occurred_at": (now - timedelta(minutes=self.rng.uniform(1, 10))).isoformat(),
            },
        )
        if resp.status in (200, 201):
            self.filed += 1
            log.info("%s reported %s (%s)", state.worker.username, name, code)
        else:
            log.warning("%s could not report: %s %s", state.worker.username, resp.status,
                        resp.body)  # fmt: skip

    def _verify(self, state: WorkerState) -> None:
        tasks = state.client.get(WORKER_TASKS)
        if tasks.status != 200 or not isinstance(tasks.body, dict):
            return
        for task in tasks.body.get("items", []):
            passed = self.rng.random() > 0.08  # a few fixes fail the check: rework
            path = VERIFY.format(task_id=task["id"])
            if passed:
                state.client.post(path, {"passed": True, "note": "现场核查，已处置到位"})
                continue
            answer = json.dumps({"passed": False, "note": "现场核查：未处理到位"})
            photo = Upload("photo", "site.jpg", "image/jpeg", _photo())
            state.client.post_multipart(path, {"verification": answer}, [photo])


@dataclass
class Plan:
    handling: Handling
    seen: datetime
    acknowledged: datetime | None = None


class Departments:
    """Departments: acknowledge and resolve (with a photo) after realistic delays; a few cases
    are returned, a few held past their due time."""

    def __init__(self, base_url: str, fleet: Fleet, clock: SimClock, rng: random.Random) -> None:
        self.clock = clock
        self.rng = rng
        self.clients = {
            code: ApiClient(base_url, username, fleet.password)
            for code, username in fleet.departments.items()
        }
        self.plans: dict[str, Plan] = {}
        self.next_poll = datetime.now(UTC)
        self.photo = _photo()

    def step(self, real_now: datetime) -> None:
        if real_now < self.next_poll:
            return
        self.next_poll = real_now + timedelta(seconds=2)
        for code, client in self.clients.items():
            page = client.get(DEPARTMENT_CASES)
            if page.status != 200 or not isinstance(page.body, dict):
                continue
            for case in page.body.get("items", []):
                self._handle(code, client, case, real_now)

    def _handle(self, code: str, client: ApiClient, case: dict, now: datetime) -> None:
        plan = self.plans.get(case["id"])
        if plan is None:
            plan = self.plans[case["id"]] = Plan(draw_handling(self.rng), now)
            if self.rng.random() < 0.03:
                self._act(client, case, "return", {"reason": "不属于本部门职责，请改派"})
                return
        if case["state"] == "dispatched" and now >= self._ack_time(plan, case):
            if self._act(client, case, "acknowledge", {}):
                plan.acknowledged = now
        elif case["state"] == "acknowledged" and now >= self._resolve_time(plan, case, now):
            resp = client.post_multipart(
                DEPARTMENT_ACTION.format(case_id=case["id"], action="resolve"),
                {"note": "已处置完毕"},
                [Upload("photo", "fixed.jpg", "image/jpeg", self.photo)],
            )
            log.info("%s resolved %s: %s", code, case.get("case_no"), resp.status)

    def _ack_time(self, plan: Plan, case: dict) -> datetime:
        if plan.handling.late and case.get("ack_due"):
            return _parse(case["ack_due"]) + timedelta(seconds=self.rng.uniform(30, 300))
        return plan.seen + timedelta(
            seconds=self.clock.real_seconds(plan.handling.acknowledge_after)
        )

    def _resolve_time(self, plan: Plan, case: dict, now: datetime) -> datetime:
        if plan.handling.late and case.get("resolve_due"):
            return _parse(case["resolve_due"]) + timedelta(seconds=60)
        start = plan.acknowledged or now
        return start + timedelta(seconds=self.clock.real_seconds(plan.handling.resolve_after))

    def _act(self, client: ApiClient, case: dict, action: str, body: dict) -> bool:
        resp = client.post(DEPARTMENT_ACTION.format(case_id=case["id"], action=action), body)
        log.info("%s %s %s: %s", client.username, action, case.get("case_no"), resp.status)
        return resp.status in (200, 201)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (96, 140, 90))
    ImageDraw.Draw(image).rectangle((40, 60, 280, 200), outline=(255, 255, 255), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
