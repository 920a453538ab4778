"""CPU and memory of a benchmark's processes (its gridflow processes, the stack's PostgreSQL
backends serving its database and the Kafka JVM), sampled from /proc (scripts/benchlib
gathers the benchmarks' tools; import them from there)."""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
# PostgreSQL processes that serve every database of the server (their CPU is counted, and
# flagged as shared, because the bench's writes are part of what they do).
PG_SHARED = ("checkpointer", "background writer", "walwriter", "autovacuum launcher")


# --- CPU and memory -------------------------------------------------------------------------


def proc_cpu_s(pid: int) -> float | None:
    """user+sys CPU seconds of a process (None if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    parts = raw[raw.rindex(")") + 2 :].split()
    return (int(parts[11]) + int(parts[12])) / TICK


def proc_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def proc_title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(x) for x in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def postmaster_pid() -> int | None:
    pidfile = ROOT / ".run" / "pg" / "data" / "postmaster.pid"
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def kafka_pid() -> int | None:
    try:
        return int((ROOT / ".run" / "kafka" / "kafka.pid").read_text().strip())
    except (OSError, ValueError):
        return None


@dataclass
class Tracked:
    group: str  # gridflow process name, "postgres", "postgres (shared)", "kafka"
    first_cpu_s: float
    last_cpu_s: float
    peak_rss_mb: float = 0.0
    client: str | None = None  # a backend's client (its application_name), once known


@dataclass
class Sampler:
    """Samples CPU and RSS of the bench's processes every `interval_s` in a thread.

    `gridflow` maps a name to a pid. PostgreSQL backends are those whose title names
    `database`; a backend first seen during the window counts from 0 (its whole life is in
    the window). Each backend's CPU is also attributed to its client, the application name
    every gridflow process gives its connections (`gridflow router`, …; pg_stat_activity).
    Kafka is the JVM of the local stack (shared with anything else using it)."""

    gridflow: dict[str, int]
    database: str
    interval_s: float = 0.5
    _tracked: dict[int, Tracked] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _started: float = 0.0
    _ended: float = 0.0

    def _groups(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for name, pid in self.gridflow.items():
            # A process and its children (`gridflow serve` runs its app in a worker process).
            family = [pid]
            while family:
                member = family.pop()
                found[member] = name
                family += children(member)
        master = postmaster_pid()
        if master is not None:
            found[master] = "postgres (shared)"
            for child in children(master):
                title = proc_title(child)
                if f" {self.database} " in f"{title} ":
                    found[child] = "postgres"
                elif any(f"postgres: {s}" in title for s in PG_SHARED):
                    found[child] = "postgres (shared)"
        jvm = kafka_pid()
        if jvm is not None:
            found[jvm] = "kafka"
        return found

    def _clients(self) -> dict[int, str]:
        """The application name of each backend of `database` (read from the `postgres`
        database, so this connection is none of them)."""
        url = make_url(_stack_database_url()).set(drivername="postgresql", database="postgres")
        with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
            rows = conn.execute(
                "SELECT pid, application_name FROM pg_stat_activity WHERE datname = %s",
                (self.database,),
            ).fetchall()
        return {pid: name or "unnamed" for pid, name in rows}

    def sample(self, *, first: bool = False) -> None:
        groups = self._groups()
        unnamed = [
            pid for pid, group in groups.items()
            if group == "postgres" and (pid not in self._tracked or not self._tracked[pid].client)
        ]  # fmt: skip
        clients = self._clients() if unnamed else {}
        for pid, group in groups.items():
            cpu = proc_cpu_s(pid)
            if cpu is None:
                continue
            rss = proc_rss_mb(pid) or 0.0
            with self._lock:
                known = self._tracked.get(pid)
                if known is None:
                    start = cpu if first else 0.0
                    known = self._tracked[pid] = Tracked(group, start, cpu)
                known.last_cpu_s = cpu
                known.peak_rss_mb = max(known.peak_rss_mb, rss)
                known.client = known.client or clients.get(pid)

    def start(self) -> Sampler:
        self._started = time.monotonic()
        self.sample(first=True)
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def stop(self) -> dict:
        """Stops sampling; returns CPU seconds and peak RSS per group and per gridflow process."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
        self._ended = time.monotonic()
        cpu: dict[str, float] = {}
        rss: dict[str, float] = {}
        for t in self._tracked.values():
            cpu[t.group] = cpu.get(t.group, 0.0) + (t.last_cpu_s - t.first_cpu_s)
            if t.group in self.gridflow:
                rss[t.group] = max(rss.get(t.group, 0.0), t.peak_rss_mb)
        by_client: dict[str, float] = {}
        for t in self._tracked.values():
            if t.group == "postgres":
                client = t.client or "unnamed"
                by_client[client] = by_client.get(client, 0.0) + (t.last_cpu_s - t.first_cpu_s)
        pg_rss = [t.peak_rss_mb for t in self._tracked.values() if t.group == "postgres"]
        kafka = [t.peak_rss_mb for t in self._tracked.values() if t.group == "kafka"]
        return {
            "window_s": round(self._ended - self._started, 2),
            "cpu_s": {k: round(v, 3) for k, v in sorted(cpu.items())},
            "cpu_s_total": round(sum(cpu.values()), 3),
            "postgres_cpu_s_by_client": {k: round(v, 3) for k, v in sorted(by_client.items())},
            "peak_rss_mb": {k: round(v, 1) for k, v in sorted(rss.items())},
            "peak_rss_mb_postgres_backend_max": round(max(pg_rss), 1) if pg_rss else None,
            "peak_rss_mb_kafka": round(max(kafka), 1) if kafka else None,
            "notes": "postgres (shared) = postmaster, checkpointer, background writer, walwriter"
            " and autovacuum launcher, which serve every database of the stack; kafka = the"
            " stack's broker JVM, shared with any other user of the broker",
        }


def self_cpu_s() -> float:
    """CPU seconds (user+sys) of this process so far (the load generator's cost)."""
    t = os.times()
    return t.user + t.system


def _stack_database_url() -> str:
    from benchlib import stack_urls  # the toolbox's (it imports this module)

    return stack_urls()[0]


def python_speed_ms() -> float:
    """Milliseconds of CPU time a fixed pure-Python loop (5 million multiplications and
    additions) takes here, the best of three. The same machine's speed varies from hour to
    hour (shared hosts): 310–570 ms were seen on this project's one, and every CPU figure of a
    run moves with it, so each result records it at its start and end."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        sum(i * i for i in range(5_000_000))
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def wait_for_quiet(max_load: float, max_wait_s: float) -> dict:
    """Waits (up to max_wait_s) for the 1-minute load average to drop below max_load; says how
    long it waited and what the load was, so a busy machine is visible in the result."""
    started = time.monotonic()
    while os.getloadavg()[0] >= max_load and time.monotonic() - started < max_wait_s:
        time.sleep(5)
    return {
        "wanted_below": max_load,
        "waited_s": round(time.monotonic() - started, 1),
        "load_average": load_average(),
    }
