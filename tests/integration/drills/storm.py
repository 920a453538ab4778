"""Storms of live clients for the benchmark and the drill: thousands of accounts of every role
made in bulk, the asyncio load generators of scripts/livegen.py that connect them, and the
count of what each client missed or received twice (scripts/bench_live.py, the socket-storm
drill in drills.py).

The mix is a district's: 95 % grid workers spread over the cells, 4 % department consoles over
the departments, 1 % operator pages over the streets and the district. Each client connects
from a loopback address of its own hundred (127.1.x.y), as phones come from many addresses.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from services.auth.principal import Principal
from services.live.messages import event_messages
from services.live.rooms import rooms_for_principal

ROOT = Path(__file__).resolve().parents[3]
LIVEGEN = ROOT / "scripts" / "livegen.py"
PER_GENERATOR = 9000  # clients per generator process (each holds a file per client)
PER_SOURCE = 100  # clients per loopback source address (the per-address cap is 256)
# Reconnection delays (first, most, in s) of the apps' socket.io clients: the phone app
# (services/mobile_web/static/js/live.js) and the pages (services/web/static/js/live.js).
PHONE_BACKOFF = (1.0, 5.0)
PAGE_BACKOFF = (0.3, 2.0)


@dataclass(frozen=True)
class AccountSpec:
    """One account to make in bulk: its role and the scope that role needs."""

    role: str
    cells: tuple[str, ...] = ()
    jurisdiction_code: str | None = None
    department_code: str | None = None


def make_accounts(engine, config, specs: list[AccountSpec], prefix: str) -> list[tuple[int, str]]:
    """Creates one account per spec (named <prefix>-<i>) and signs each in (one session each,
    as a login would); returns [(user id, access token)] in the order of `specs`.

    Accounts are inserted in bulk with one password hash computed once (hashing 10,000
    passwords would measure argon2, not gridflow); tokens come from the same session code the
    login endpoint uses, so the API checks them exactly as it checks any login's."""
    from services.auth.passwords import hash_password
    from services.auth.tokens import open_session

    digest = hash_password(uuid.uuid4().hex)
    rows = [
        {"u": f"{prefix}-{i:05d}", "h": digest, "r": s.role, "j": s.jurisdiction_code,
         "d": s.department_code, "cells": list(s.cells)}
        for i, s in enumerate(specs)
    ]  # fmt: skip
    out = []
    with engine.begin() as conn:
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            ids = conn.execute(
                text(
                    "INSERT INTO app_user (username, password_hash, role, display_name, "
                    "jurisdiction_code, department_code) SELECT u, h, r, u, j, d "
                    "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
                    "AS x(u text, h text, r text, j text, d text) RETURNING id, username"
                ),
                {"rows": json.dumps([{k: r[k] for k in "uhrjd"} for r in chunk])},
            ).all()
            by_name = {r.username: r.id for r in ids}
            cells = [{"id": by_name[r["u"]], "cell": c} for r in chunk for c in r["cells"]]
            if cells:
                conn.execute(
                    text("INSERT INTO user_cell (user_id, cell_code) VALUES (:id, :cell)"), cells
                )
            for r in chunk:
                pair = open_session(conn, config, by_name[r["u"]])
                out.append((by_name[r["u"]], pair.access_token))
    return out


def plan_clients(
    engine, config, count: int, cells: list[str], district: str
) -> tuple[list[dict], list[Principal]]:
    """The accounts of `count` clients (95 % workers, 4 % consoles, 1 % operators) and their
    client specs (token, source address); returns (specs, principals)."""
    with engine.connect() as conn:
        departments = [
            r[0] for r in conn.execute(text("SELECT code FROM department ORDER BY code"))
        ]
    streets = sorted({c[:9] for c in cells})
    operators = max(1, count // 100)
    consoles = max(1, count * 4 // 100)
    workers = count - operators - consoles
    specs = [AccountSpec("grid_worker", cells=(cells[i % len(cells)],))
             for i in range(workers)]  # fmt: skip
    specs += [AccountSpec("department_staff", department_code=departments[i % len(departments)])
              for i in range(consoles)]  # fmt: skip
    scopes = [district, *streets]
    specs += [AccountSpec("operator", jurisdiction_code=scopes[i % len(scopes)])
              for i in range(operators)]  # fmt: skip
    made = make_accounts(engine, config, specs, f"live-{uuid.uuid4().hex[:6]}")
    clients, principals = [], []
    for i, ((user_id, token), spec) in enumerate(zip(made, specs, strict=True)):
        source = f"127.1.{(i // PER_SOURCE) // 250}.{(i // PER_SOURCE) % 250 + 1}"
        # The phone app's socket.io settings, or the command center's and consoles' pages'.
        page = spec.role != "grid_worker"
        clients.append({"token": token, "source": source,
                        "backoff": PAGE_BACKOFF if page else PHONE_BACKOFF})  # fmt: skip
        principals.append(Principal(user_id, "bench", spec.role, frozenset(spec.cells),
                                    spec.jurisdiction_code, spec.department_code))  # fmt: skip
    return clients, principals


class Generators:
    """The load generator processes and their status lines."""

    def __init__(self, url: str, clients: list[dict], ramp_per_s: float, folder: Path):
        self.procs = []
        self.status: dict[int, dict] = {}
        self.outs = []
        self.followers: list[threading.Thread] = []
        chunks = [clients[i : i + PER_GENERATOR] for i in range(0, len(clients), PER_GENERATOR)]
        for k, chunk in enumerate(chunks):
            plan, out = folder / f"plan-{k}.json", folder / f"out-{k}.json"
            plan.write_text(json.dumps({"url": url, "ramp_per_s": ramp_per_s / len(chunks),
                                        "clients": chunk}))  # fmt: skip
            proc = subprocess.Popen(
                [sys.executable, str(LIVEGEN), str(plan), str(out)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            self.procs.append(proc)
            self.outs.append(out)
            follower = threading.Thread(target=self._follow, args=(k, proc), daemon=True)
            follower.start()
            self.followers.append(follower)

    def _follow(self, k: int, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            try:
                self.status[k] = json.loads(line)
            except ValueError:
                continue

    def total(self, key: str) -> int:
        return sum(s.get(key, 0) for s in list(self.status.values()))

    def wait_until(
        self, key: str, count: int, timeout_s: float, timeline: list | None = None
    ) -> float | None:
        """Seconds until `key` (connected, caught_up, back) reached `count`; None on timeout.
        `timeline` gets (time, connected, `key`) about every second on the way."""
        start = noted = time.monotonic()
        while time.monotonic() - start < timeout_s:
            total = self.total(key)
            if timeline is not None and (not timeline or time.monotonic() - noted >= 1.0):
                timeline.append((time.time(), self.total("connected"), total))
                noted = time.monotonic()
            if total >= count:
                return time.monotonic() - start
            time.sleep(0.25)
        return None

    def finish(self) -> list[dict]:
        for proc in self.procs:
            proc.stdin.write("stop\n")
            proc.stdin.flush()
        for proc, follower in zip(self.procs, self.followers, strict=True):
            proc.wait(timeout=300)
            follower.join(timeout=10)  # it reads to the end of the output, then stops
            proc.stdin.close()
            proc.stdout.close()
        return [json.loads(out.read_bytes()) for out in self.outs]

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]


def delivery(engine, principals: list[Principal], outs: list[dict]) -> dict:
    """missed / doubled over every client: the events of its rooms with an id above its first
    snapshot's cursor, against what it saw."""
    clients = [c for out in outs for c in out["clients"]]
    cursors = [c["first_cursor"] for c in clients if c["first_cursor"] is not None]
    if not cursors:
        return {"missed": None, "doubled": None, "clients_without_snapshot": len(clients)}
    with engine.connect() as conn:
        ids = [
            str(r[0])
            for r in conn.execute(
                text("SELECT event_id FROM case_event WHERE id > :after"), {"after": min(cursors)}
            )
        ]
        seq = dict(conn.execute(text("SELECT event_id::text, id FROM case_event WHERE id > :a"),
                                {"a": min(cursors)}).all())  # fmt: skip
    by_room: dict[str, list[int]] = {}
    for i in range(0, len(ids), 2000):
        for message in event_messages(engine, ids[i : i + 2000]):
            for room in message.rooms:
                by_room.setdefault(room, []).append(seq[message.event_id])
    missed = doubled = without = cut = 0
    missing: dict[str, int] = {}  # clients that missed events, by where they stood at the end
    for principal, client in zip(principals, clients, strict=True):
        doubled += client["doubled"]
        cut += client.get("cuts", 0)
        if client["first_cursor"] is None:
            without += 1
            continue
        expected = {e for room in rooms_for_principal(principal) for e in by_room.get(room, ())
                    if e > client["first_cursor"]}  # fmt: skip
        lost = len(expected - set(client["seen"]))
        missed += lost
        if lost:
            state = _standing(client)
            missing[state] = missing.get(state, 0) + 1
    return {"missed": missed, "doubled": doubled, "clients_without_snapshot": without,
            "replays_cut": cut, "events_in_window": len(ids),
            "clients_missing_by_state": missing}  # fmt: skip


def _standing(client: dict) -> str:
    """Where a client stood when the run ended, e.g. "signed in, 1 session, not caught up"."""
    caught = "caught up" if client.get("caught_up") else "not caught up"
    return f"{client.get('stage')}, {client['connects']} sessions, {caught}"
