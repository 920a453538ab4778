"""What the benchmarks share: a scratch database, gridflow processes, CPU and RSS sampling,
percentiles and the result file (scripts/bench_<name>.py import it; nothing else does).

Every benchmark runs against its own database (`gridflow_bench_<name>` on the stack's server,
migrated to head by the owner; dropped afterwards unless --keep-db) and its own topic prefix,
starts its own gridflow processes as subprocesses configured through GRIDFLOW_* variables and
connected as a login role in gridflow_app (never as the owner), and samples
/proc/<pid>/stat (user+sys CPU) and /proc/<pid>/status (RSS) of every gridflow process, of the
stack's PostgreSQL processes serving the bench database (plus the shared background writers)
and of the Kafka JVM.
"""

from __future__ import annotations

import json
import math
import os
import platform
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.config import PREFIX, Config  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / ".run" / "bench"
GRIDFLOW = str(Path(sys.executable).with_name("gridflow"))
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
# PostgreSQL processes that serve every database of the server (their CPU is counted, and
# flagged as shared, because the bench's writes are part of what they do).
# BENCH_SUFFIX names a run's database and log folder apart (the smoke run uses one, so it
# never meets a full-size run of the same benchmark).
SUFFIX = os.environ.get("BENCH_SUFFIX", "")
PG_SHARED = ("checkpointer", "background writer", "walwriter", "autovacuum launcher")


# --- the machine and the run ------------------------------------------------------------------


def machine() -> dict:
    """Cores, memory, processor, Python, git commit and load average of this run."""
    mem_kb, cpu = 0, platform.processor()
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no", "--", "geo", "services", "streams"],
        capture_output=True, text=True,
    )  # fmt: skip
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "git_commit": commit.stdout.strip(),
        "git_dirty": bool(dirty.stdout.strip()),
        "load_average_at_start": load_average(),
        "python_speed_ms_at_start": python_speed_ms(),
    }


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


def write_result(name: str, doc: dict, out: Path | None = None) -> Path:
    """Writes the result JSON (bench/results/<name>.json unless `out` says otherwise)."""
    path = out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": name, "finished_at": datetime.now(UTC).isoformat(), **doc}
    doc.setdefault("machine", {})["load_average_at_end"] = load_average()
    doc["machine"]["python_speed_ms_at_end"] = python_speed_ms()
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return path


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0–100) by the nearest-rank method; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float | None, digits: int = 1) -> float | None:
    return None if seconds is None else round(seconds * 1000, digits)


def stack_urls() -> tuple[str, str]:
    db = os.environ.get("GRIDFLOW_DATABASE_URL")
    kafka = os.environ.get("GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS")
    if not db or not kafka:
        sys.exit("run benchmarks through ./scripts/bench NAME (it finds the stack)")
    return db, kafka


# --- the scratch database -------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    """The scratch database's two URLs: the owner's (it migrates and loads the bench's data)
    and that of a login role in gridflow_app, which the bench's gridflow processes use, as a
    deployment's do."""

    owner: str
    app: str


@contextmanager
def bench_database(
    name: str, *, keep: bool = False, reuse: bool = False
) -> Iterator[BenchDatabase]:
    """A fresh database `gridflow_bench_<name>` migrated to head (an old one is dropped first,
    unless `reuse` and it exists: then it is used as it is) and a login role of the bench's own
    in gridflow_app; the role is dropped afterwards, the database too unless `keep`."""
    from services.store.migrate import upgrade
    from tests.databases import create_app_role, drop_role

    base = make_url(stack_urls()[0])
    db = f"gridflow_bench_{name}{SUFFIX}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    role = None
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db}
            ).first()
            if not (reuse and exists):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{db}"'))
        url = base.set(database=db).render_as_string(hide_password=False)
        upgrade(url)
        role = f"{db}_{uuid.uuid4().hex[:6]}"
        yield BenchDatabase(url, create_app_role(url, role))
    finally:
        if role is not None:
            drop_role(base.render_as_string(hide_password=False), role)
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def bench_config(database_url: str, name: str, **changes) -> Config:
    """The Config of the bench's gridflow processes (`database_url`: the app role's, see
    BenchDatabase): production mode with a random secret, its own topic prefix, and `changes`
    (rate limits raised, …) on top."""
    run = uuid.uuid4().hex[:8]
    return Config(
        database_url=database_url,
        kafka_bootstrap_servers=stack_urls()[1],
        topic_prefix=f"bench-{name}-{run}.",
        env="production",
        secret_key=uuid.uuid4().hex + uuid.uuid4().hex,
        media_dir=str(LOGS / f"{name}{SUFFIX}" / "media"),
        **changes,
    ).checked()


def config_doc(config: Config, keys: Iterable[str]) -> dict:
    """The settings a result should show (never the secret or the database password)."""
    return {k: getattr(config, k) for k in keys}


def drop_topics(config: Config) -> None:
    """Deletes the bench's topics (its prefix), so runs leave nothing on the shared broker."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=config.kafka_bootstrap_servers.split(","))
    try:
        mine = [t for t in admin.list_topics() if t.startswith(config.topic_prefix)]
        if mine:
            admin.delete_topics(mine, timeout_ms=30000)
    finally:
        admin.close()


# --- gridflow processes ---------------------------------------------------------------------


def config_env(config: Config, **overrides: str) -> dict[str, str]:
    """The environment that makes a gridflow process read exactly `config`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    for f in fields(config):
        if f.name != "extra":
            env[PREFIX + f.name.upper()] = str(getattr(config, f.name))
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float, check=None) -> bool:
    """Whether something listens on 127.0.0.1:`port` within `timeout_s` (`check()` is called
    between tries and may raise to give up)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check is not None:
            check()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Process:
    """One `gridflow ARGS…` subprocess with its output in .run/bench/<bench>/<name>.log."""

    def __init__(self, bench: str, name: str, args: list[str], config: Config):
        folder = LOGS / f"{bench}{SUFFIX}"
        folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = folder / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [GRIDFLOW, *args], env=config_env(config), stdout=self._log,
            stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for_port(self, port: int, timeout_s: float = 60.0) -> None:
        def alive() -> None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")

        if not wait_for_port(port, timeout_s, alive):
            raise TimeoutError(f"{self.name} did not listen on {port}; see {self.log_path}")

    def stop(self, timeout_s: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode


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
        url = make_url(stack_urls()[0]).set(drivername="postgresql", database="postgres")
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


# --- accounts -------------------------------------------------------------------------------


def make_grid_workers(engine, config: Config, cells: list[str], count: int, prefix: str):
    """Creates `count` grid workers, worker i bound to cells[i % len(cells)], and signs each
    in; returns [(user id, access token, cell code)] (see make_accounts)."""
    from tests.integration.drills.storm import AccountSpec, make_accounts

    specs = [AccountSpec("grid_worker", cells=(cells[i % len(cells)],)) for i in range(count)]
    made = make_accounts(engine, config, specs, prefix)
    return [(uid, token, spec.cells[0]) for (uid, token), spec in zip(made, specs, strict=True)]


def make_account(engine, config: Config, role: str, **scope) -> tuple[int, str]:
    """One account of `role` (operator: jurisdiction_code=…); returns (id, access token)."""
    from services.auth.tokens import open_session
    from services.auth.users import NewAccount, create_user

    account = NewAccount(
        f"bench-{role.replace('_', '-')}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex + "Aa1!",
        role, "bench", None, (), scope.get("jurisdiction_code"), scope.get("department_code"),
    )  # fmt: skip
    with engine.begin() as conn:
        user_id = create_user(conn, account, development=False)
        return user_id, open_session(conn, config, user_id).access_token


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def current_cells(engine, prefix: str = "") -> list[tuple[str, float, float]]:
    """(code, lat, lng of a point inside) of every current cell whose code starts with prefix."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.code, ST_Y(ST_PointOnSurface(c.geom)), ST_X(ST_PointOnSurface(c.geom)) "
                "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "AND v.valid_to IS NULL WHERE c.code LIKE :p ORDER BY c.code"
            ),
            {"p": prefix + "%"},
        ).all()
    return [(r[0].strip(), r[1], r[2]) for r in rows]


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


class ReportPlan:
    """Report bodies: categories round robin, each at a cell's inner point farther than that
    category's duplicate radius (+10 m) from every earlier report of the same category, so no
    report is merged as a duplicate (a merged report is never dispatched)."""

    def __init__(self, cells, categories, seed: int = 7):
        import random

        self.rng = random.Random(seed)
        self.cells = cells  # [(code, lat, lng)]
        self.categories = categories  # [(code, radius_m)]
        self.used: dict[str, dict[tuple[int, int], list[tuple[float, float]]]] = {}
        self.order = {c: self._shuffled() for c, _ in categories}
        self.n = 0
        # Metres east per degree of longitude, at one latitude for every point: scaled at each
        # point's own latitude, the x of two points 150 m apart north-south differed by ~160 m
        # too much at longitude 121 (an x far from 0), and a report now and then was merged.
        self.m_per_deg_lng = 111_320 * math.cos(math.radians(cells[0][1])) if cells else 0.0

    def _shuffled(self):
        cells = list(self.cells)
        self.rng.shuffle(cells)
        return iter(cells)

    def _free(self, code: str, radius: float, lat: float, lng: float) -> bool:
        grid = self.used.setdefault(code, {})
        mx, my = lng * self.m_per_deg_lng, lat * 110_540
        size = max(200.0, radius + 10)  # the neighbouring squares hold every point in reach
        key = (int(mx // size), int(my // size))
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for ox, oy in grid.get((key[0] + dx, key[1] + dy), ()):
                    if math.hypot(mx - ox, my - oy) <= radius + 10:
                        return False
        grid.setdefault(key, []).append((mx, my))
        return True

    def body(self) -> dict:
        from datetime import timedelta

        for _ in range(len(self.categories)):
            code, radius = self.categories[self.n % len(self.categories)]
            self.n += 1
            for _cell, lat, lng in self.order[code]:
                if self._free(code, radius, lat, lng):
                    return {
                        "id": str(uuid.uuid4()),
                        "category": code,
                        "description": f"巡查发现问题 #{self.n}",
                        "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
                        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                    }
        raise RuntimeError("every spot of every category is used: ask for fewer reports")


def load_demo_data(engine) -> list[tuple[str, float]]:
    """The demo grid, departments and routing rules; returns [(category, duplicate radius)]."""
    from geo.demo import load_demo
    from services.routing.rulefile import load_demo_rules

    load_demo(engine)
    load_demo_rules(engine, actor="bench")
    return categories(engine)


def categories(engine) -> list[tuple[str, float]]:
    """The active categories with their duplicate radius (m), by code."""
    with engine.connect() as conn:
        return [
            (r.code, float(r.duplicate_radius_m))
            for r in conn.execute(
                text("SELECT code, duplicate_radius_m FROM category WHERE active ORDER BY code")
            )
        ]
