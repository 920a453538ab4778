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
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository (for services) and this folder (for the toolbox's other modules), also when
# a test loads this file by its path.
for _path in (str(ROOT), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.config import PREFIX, Config  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / ".run" / "bench"
GRIDFLOW = str(Path(sys.executable).with_name("gridflow"))
# BENCH_SUFFIX names a run's database and log folder apart (the smoke run uses one, so it
# never meets a full-size run of the same benchmark).
SUFFIX = os.environ.get("BENCH_SUFFIX", "")


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

        try:
            if not wait_for_port(port, timeout_s, alive):
                raise TimeoutError(f"{self.name} did not listen on {port}; see {self.log_path}")
        except BaseException:
            self.stop()  # not left running: its caller never got it
            raise

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


# --- gathered here: sampling (benchusage), the load's parts (benchplan) and its generator
# (benchload), so the benchmarks call everything as benchlib.<name>.

from benchload import OpenLoop, Prepared, Request, Sent  # noqa: E402, F401
from benchplan import (  # noqa: E402, F401
    ReportPlan,
    categories,
    current_cells,
    load_demo_data,
    make_account,
    make_grid_workers,
)
from benchusage import (  # noqa: E402, F401
    PG_SHARED,
    Sampler,
    Tracked,
    children,
    kafka_pid,
    load_average,
    postmaster_pid,
    proc_cpu_s,
    proc_rss_mb,
    proc_title,
    python_speed_ms,
    self_cpu_s,
    wait_for_quiet,
)
