"""The live benchmark's load generator: thousands of Socket.IO clients over WebSocket from one
asyncio process (scripts/bench_live.py starts one or more; nothing else uses it).

Each client speaks Engine.IO 4 / Socket.IO 5 itself (a few lines: the handshake, CONNECT with
its token, ping → pong, events), as a page would: it keeps its resume cursor as the pages do
(services/web/static/js/resume.js: the highest case-event id seen while its connection's
replay was complete) and, when its connection drops, comes back with it as `last_event_id`
after the delays of the socket.io client of its app (its plan's `backoff`: first delay and
most; doubling, ±50 %, the most applied after the jitter, as socket.io's Backoff does).

    python scripts/livegen.py PLAN.json OUT.json
    PLAN: {"url": "ws://…/socket.io/?EIO=4&transport=websocket", "ramp_per_s": 400,
           "clients": [{"token": …, "source": "127.1.0.7", "backoff": [1.0, 5.0]}, …]}

Every second it prints one status line of JSON to stdout (connected, caught up, refused,
events received); a line "stop" on stdin makes it close every client and write OUT: per client
its cursor at first connect, the event ids it saw, how many live events came twice, and the
fan-out latencies (receipt − the event's `at`, with the receipt's time) of everything it
received live.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import datetime

import aiohttp
import orjson
import uvloop

JITTER = 0.5  # socket.io's randomizationFactor
# socket.io-client's `timeout`: a connection not open (Engine.IO's open packet) within this long
# is abandoned and tried again after the backoff. Without it a handshake a balancer had passed
# to a process that never answered waited for good (206 of 20,000 clients in one restart).
OPEN_TIMEOUT_S = 20.0


def backoff(first_s: float, most_s: float, attempt: int) -> float:
    """socket.io-client's Backoff.duration: first·2^attempt ± jitter, then at most `most_s`."""
    delay = first_s * 2**attempt
    deviation = random.random() * JITTER * delay
    delay = delay - deviation if random.random() < 0.5 else delay + deviation
    return min(delay, most_s)


class Client:
    """One simulated page or phone."""

    def __init__(self, gen: Generator, spec: dict, session: aiohttp.ClientSession):
        self.gen, self.token, self.session = gen, spec["token"], session
        self.backoff = tuple(spec.get("backoff") or (1.0, 5.0))
        self.first_cursor: int | None = None
        self.cursor: int | None = None  # resume cursor, as resume.js keeps it
        self.highest: int | None = None  # the highest event id seen
        self.seen: set[int] = set()
        self.live: set[int] = set()
        self.doubled = 0
        self.connected = False
        self.caught_up = False  # this connection's replay has all come: the cursor moves
        self.refused: str | None = None
        self.connects = 0
        self.cuts = 0  # replays that could not reach back to the cursor
        self.stage = "starting"  # where the client is: what a stuck client was waiting for

    async def run(self) -> None:
        attempt = 0
        while not self.gen.stopping:
            try:
                await self.session_once()
                attempt = 0
            except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
                name = type(exc).__name__
                if isinstance(exc, aiohttp.WSServerHandshakeError):
                    name += f":{exc.status}"
                self.gen.errors[name] = self.gen.errors.get(name, 0) + 1
                attempt += 1
            except Exception as exc:  # noqa: BLE001 - counted apart; a page's client retries too
                name = f"unexpected:{type(exc).__name__}"
                self.gen.errors[name] = self.gen.errors.get(name, 0) + 1
                attempt += 1
            self.connected = False
            if self.gen.stopping or self.refused:
                return
            self.stage = "backing off"
            await asyncio.sleep(backoff(*self.backoff, min(attempt, 20)))

    async def session_once(self) -> None:
        timeout = aiohttp.ClientWSTimeout(ws_close=2)
        self.stage = "handshaking"
        loop = asyncio.get_running_loop()
        open_by = loop.time() + OPEN_TIMEOUT_S
        async with asyncio.timeout(OPEN_TIMEOUT_S):
            ws = await self.session.ws_connect(
                self.gen.url, max_msg_size=0, heartbeat=None, timeout=timeout
            )
        async with ws:
            # A CLOSE instead (a stopping process closes what it has just upgraded) is a failed
            # attempt like any other. (aiohttp's receive_str raised TypeError for it, which no
            # retry caught: the client's task ended, and it stayed "handshaking" for good — the
            # 39–242 clients "never back" of earlier two-process restarts.)
            opening = await ws.receive(timeout=max(0.1, open_by - loop.time()))
            if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith("0"):
                raise ValueError(f"no Engine.IO open packet ({opening.type.name})")
            auth: dict = {"token": self.token}
            if self.cursor is not None:
                auth["last_event_id"] = self.cursor
            await ws.send_str("40" + json.dumps(auth))
            self.stage = "signing in"
            self.caught_up = False
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = msg.data
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith("40"):
                    self.stage = "signed in"
                    self.connected = True
                    self.connects += 1
                elif data.startswith("44"):
                    code = (orjson.loads(data[2:]).get("data") or {}).get("code", "refused")
                    key = f"refused:{code}"
                    self.gen.errors[key] = self.gen.errors.get(key, 0) + 1
                    if code in ("unauthorized", "forbidden"):  # a page gives up (signs in anew)
                        self.refused = code
                    return
                elif data.startswith("42"):
                    self.on_event(orjson.loads(data[2:]))

    def on_event(self, packet: list) -> None:
        name, body = packet[0], packet[1] if len(packet) > 1 else None
        now = time.time()
        if name in ("snapshot", "replay"):
            self.stage = name + (" (more)" if name == "replay" and body.get("more") else "")
        if name == "snapshot":
            if self.first_cursor is None:
                self.first_cursor = body["last_event_id"]
            if self.cursor is None:
                self.cursor = self.highest = body["last_event_id"]
        elif name == "replay":
            for event in body["events"]:
                self.see(event["id"])
            self.cuts += bool(body.get("cut"))
            self.caught_up = not body.get("more")
            if self.caught_up:
                self.cursor = self.highest
        elif name == "case_events":
            for event in body:
                if event["id"] in self.live:  # the live stream must never repeat an event
                    self.doubled += 1
                self.live.add(event["id"])
                self.see(event["id"])
                at = _instant(event["at"])
                if at is not None:
                    self.gen.latencies.append((now, now - at))

    def see(self, event_id: int) -> None:
        self.seen.add(event_id)
        if self.highest is None or event_id > self.highest:
            self.highest = event_id
        if self.caught_up:
            self.cursor = self.highest


def _instant(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except (TypeError, ValueError):
        return None


class Generator:
    def __init__(self, plan: dict) -> None:
        self.url = plan["url"]
        self.ramp_per_s = float(plan.get("ramp_per_s", 400))
        self.plan = plan["clients"]
        self.clients: list[Client] = []
        self.latencies: list[tuple[float, float]] = []  # (received at, seconds since `at`)
        self.errors: dict[str, int] = {}
        self.stopping = False

    async def main(self) -> None:
        sessions: dict[str, aiohttp.ClientSession] = {}
        tasks = []
        started = time.monotonic()
        for i, spec in enumerate(self.plan):
            source = spec.get("source") or "127.0.0.1"
            if source not in sessions:
                # Every handshake on a connection of its own, as a browser opens a WebSocket
                # (aiohttp would reuse a keep-alive connection a refused handshake left).
                connector = aiohttp.TCPConnector(limit=0, local_addr=(source, 0), force_close=True)
                sessions[source] = aiohttp.ClientSession(connector=connector)
            client = Client(self, spec, sessions[source])
            self.clients.append(client)
            tasks.append(asyncio.create_task(client.run()))
            due = started + (i + 1) / self.ramp_per_s
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
        reporter = asyncio.create_task(self.report())
        await self.wait_for_stop()
        self.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        reporter.cancel()
        for session in sessions.values():
            await session.close()

    async def report(self) -> None:
        while True:
            print(json.dumps(self.status()), flush=True)
            await asyncio.sleep(1)

    def status(self) -> dict:
        return {
            "t": time.time(),
            "started": len(self.clients),
            "connected": sum(c.connected for c in self.clients),
            "caught_up": sum(c.connected and c.caught_up for c in self.clients),
            # Back after a restart: connected again (a second session or more) and caught up.
            "back": sum(c.connected and c.caught_up and c.connects > 1 for c in self.clients),
            "refused": sum(bool(c.refused) for c in self.clients),
            "received": len(self.latencies),
            "errors": self.errors,
        }

    async def wait_for_stop(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line or line.strip() == b"stop":
                return

    def result(self) -> dict:
        return {
            "clients": [
                {
                    "first_cursor": c.first_cursor,
                    "seen": sorted(c.seen),
                    "doubled": c.doubled,
                    "connects": c.connects,
                    "refused": c.refused,
                    "cuts": c.cuts,
                    "stage": c.stage,
                    "connected": c.connected,
                    "caught_up": c.caught_up,
                }
                for c in self.clients
            ],
            "latencies": self.latencies,
            "errors": self.errors,
        }


def main() -> None:
    plan_path, out_path = sys.argv[1], sys.argv[2]
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    uvloop.install()
    generator = Generator(plan)
    asyncio.run(generator.main())
    with open(out_path, "wb") as f:
        f.write(orjson.dumps(generator.result()))


if __name__ == "__main__":
    main()
