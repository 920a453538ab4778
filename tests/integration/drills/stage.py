"""The stage of a drill: a database, a Kafka broker, the demo grid and rules, grid workers with
tokens, and real gridflow processes (serve, relay, router) that a drill kills and restarts.

The database is a fresh one on the stack's server, or one on a private cluster when the drill
restarts PostgreSQL. Its owner only migrates it: the world is loaded and every process connects
as a login role of the stage's own in `gridflow_app`, as a deployment's processes do. The broker
is the stack's (with a topic prefix of its own) or a private one when the drill kills Kafka. The
stack's own PostgreSQL and Kafka are never stopped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.config import Config
from tests.databases import create_app_role, drop_role
from tests.integration.drills.postgres import PrivatePostgres, PrivateReplica
from tests.integration.streams.private_broker import PrivateBroker, port_open
from tests.integration.streams.private_cluster import PrivateCluster
from tests.processes import config_env, free_port

ROOT = Path(__file__).resolve().parents[3]
GRIDFLOW = str(Path(sys.executable).with_name("gridflow"))
COMMANDS = {"serve": ["serve"], "relay": ["relay"], "router": ["router"],
            "notifier": ["notifier"], "patrol": ["patrol"]}  # fmt: skip


class Proc:
    """One gridflow process of the stage; killed and started again under the same name."""

    def __init__(self, name: str, kind: str, env: dict[str, str], log_dir: Path,
                 args: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.name, self.kind, self.env, self.args = name, kind, env, args
        self.port = free_port() if kind == "serve" else None
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 180.0) -> Proc:  # a loaded machine starts slowly
        args = [GRIDFLOW, *COMMANDS[self.kind], *self.args]
        if self.port is not None:
            args += ["--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(args, env=self.env, stdout=log,
                                          stderr=subprocess.STDOUT, cwd=ROOT)  # fmt: skip
        if self.port is not None:
            deadline = time.monotonic() + timeout_s
            while not port_open(self.port):
                if self.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not start: see {self.log_path}")
                time.sleep(0.1)
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen and self.popen.poll() is None else None

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout_s`; the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        return self.popen.returncode

    def rss_mb(self) -> float | None:
        """Resident memory of the process and its children (`gridflow serve` runs its app in
        a gunicorn worker process)."""
        pid = self.pid
        if pid is None:
            return None
        total, family = 0.0, [pid]
        while family:
            member = family.pop()
            try:
                for line in Path(f"/proc/{member}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
                for task in Path(f"/proc/{member}/task").iterdir():
                    family += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue  # gone meanwhile
        return total


class Stage:
    """Everything a drill runs on; `open()` builds it, `close()` removes all of it."""

    def __init__(self, name: str, *, private_db: bool, private_kafka: bool,
                 log_dir: Path, partitions: int = 3, cluster: bool = False,
                 replica: bool = False) -> None:  # fmt: skip
        """`cluster`: a private three-broker Kafka cluster (RF 3) instead of one broker;
        `replica`: a streaming replica of the private PostgreSQL, the API's read URL."""
        self.name = name
        self.private_db, self.private_kafka = private_db, private_kafka
        self.cluster_kafka, self.with_replica = cluster, replica
        self.cluster: PrivateCluster | None = None
        self.replica: PrivateReplica | None = None
        self.log_dir = log_dir
        self.partitions = partitions
        self.postgres: PrivatePostgres | None = None
        self.broker: PrivateBroker | None = None
        self.kafka_dir: Path | None = None
        self.database: str | None = None
        self.owner_url: str | None = None
        self.app_role: str | None = None
        self.config: Config | None = None
        self.engine = None
        self.procs: dict[str, Proc] = {}
        self.cells: list[tuple[str, float, float]] = []
        self.categories: list[tuple[str, float]] = []
        self.tokens: dict[str, str] = {}  # street code → a worker's access token
        self.admin_token = ""
        self.password = ""  # every account's of the stage (the admin signs in to pages with it)
        self.scratch: Path | None = None  # ledgers and media the processes write

    # --- building -------------------------------------------------------------------------

    def open(self) -> Stage:
        from services.store.migrate import upgrade
        from streams.topics import ensure_topics

        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="gridflow-stage-"))
        suffix = uuid.uuid4().hex[:8]
        if self.private_db:
            self.postgres = PrivatePostgres(free_port())
            self.postgres.start()
            if self.with_replica:
                self.replica = PrivateReplica(self.postgres, free_port())
                self.replica.start()
            url = self.postgres.create_database("gridflow")
        else:
            base = make_url(os.environ["GRIDFLOW_DATABASE_URL"])
            self.database = f"gridflow_drill_{suffix}"
            admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.database}"'))
            admin.dispose()
            url = base.set(database=self.database).render_as_string(hide_password=False)
        upgrade(url)
        # As in a deployment, the owner only migrates: the world is loaded and every process
        # of the stage connects as a login role in gridflow_app (tests/databases.py).
        self.owner_url, self.app_role = url, f"gridflow_drill_{suffix}"
        url = create_app_role(url, self.app_role)
        if self.cluster_kafka:
            self.kafka_dir = Path(tempfile.mkdtemp(prefix="gridflow-drill-kafka-"))
            self.cluster = PrivateCluster(self.kafka_dir)
            self.cluster.start()
            kafka = self.cluster.bootstrap
        elif self.private_kafka:
            self.kafka_dir = Path(tempfile.mkdtemp(prefix="gridflow-drill-kafka-"))
            self.broker = PrivateBroker(self.kafka_dir)
            self.broker.start()
            kafka = self.broker.bootstrap
        else:
            kafka = os.environ["GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS"]
        self.config = Config(
            database_url=url, kafka_bootstrap_servers=kafka, topic_prefix=f"drill{suffix}.",
            topic_partitions=self.partitions, relay_poll_interval_s=0.5, env="test",
            secret_key=secrets.token_urlsafe(32), access_token_ttl_s=6 * 3600,
            rate_limit_per_minute=10_000_000, media_dir=str(self.scratch / "media"),
            ledger_dir=str(self.scratch / "ledgers"),
            live_auth_check_s=30.0, topic_replication_factor=3 if self.cluster else 1,
            database_read_url=self.read_url(url), replica_max_lag_s=30.0,
        ).checked()  # fmt: skip
        ensure_topics(self.config)
        from services.store.db import make_engine

        self.engine = make_engine(url, pool_size=4)
        self._load_world()
        return self

    def read_url(self, app_url: str) -> str:
        """The API's read URL: the replica's, as the same role and database; none without."""
        if self.replica is None:
            return ""
        return make_url(app_url).set(port=self.replica.port).render_as_string(hide_password=False)

    def _load_world(self) -> None:
        from geo.demo import load_demo
        from services.auth.tokens import open_session
        from services.auth.users import NewAccount, create_user
        from services.routing.rulefile import load_demo_rules

        load_demo(self.engine)
        load_demo_rules(self.engine, actor="drill")
        with self.engine.begin() as conn:
            self.cells = [
                (r[0].strip(), r[1], r[2])
                for r in conn.execute(
                    text(
                        "SELECT c.code, ST_Y(ST_PointOnSurface(c.geom)), "
                        "ST_X(ST_PointOnSurface(c.geom)) FROM grid_cell c JOIN grid_version v "
                        "ON v.id = c.version_id AND v.valid_to IS NULL ORDER BY c.code"
                    )
                )
            ]
            self.categories = [
                (r[0], float(r[1]))
                for r in conn.execute(
                    text("SELECT code, duplicate_radius_m FROM category WHERE active")
                )
            ]
            streets = sorted({code[:9] for code, _, _ in self.cells})
            password = self.password = secrets.token_urlsafe(16)
            for street in streets:
                cells = tuple(c for c, _, _ in self.cells if c.startswith(street))
                account = NewAccount(f"drill-{street}", password, "grid_worker", "", None, cells)
                user_id = create_user(conn, account, development=False)
                self.tokens[street] = open_session(conn, self.config, user_id).access_token
            admin = create_user(
                conn, NewAccount("drill-admin", password, "admin"), development=False
            )
            self.admin_token = open_session(conn, self.config, admin).access_token

    def token_for(self, cell: str) -> str:
        return self.tokens[cell[:9]]

    # --- processes ------------------------------------------------------------------------

    def start(self, kind: str, name: str | None = None, args: tuple[str, ...] = (),
              **env: str) -> Proc:  # fmt: skip
        """Starts (or starts again) process `name` (default: the kind) with `args` after the
        command (`--group G`)."""
        name = name or kind
        proc = self.procs.get(name)
        if proc is None:
            environ = config_env(self.config, **env)
            proc = self.procs[name] = Proc(f"{self.name}-{name}", kind, environ, self.log_dir,
                                           args)  # fmt: skip
        return proc.start()

    def api(self, name: str = "serve") -> Proc:
        return self.procs[name]

    def close(self) -> None:
        for proc in self.procs.values():
            proc.stop()
        if self.engine is not None:
            self.engine.dispose()
        if self.broker is not None:
            self.broker.stop()
        if self.cluster is not None:
            self.cluster.stop()
        if self.replica is not None:
            self.replica.remove()
        if self.postgres is not None:
            self.postgres.remove()
        elif self.database is not None:
            base = make_url(os.environ["GRIDFLOW_DATABASE_URL"])
            admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
            admin.dispose()
            if self.app_role is not None:
                drop_role(self.owner_url, self.app_role)
        for scratch in (self.kafka_dir, self.scratch):
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
