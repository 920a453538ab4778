"""A private PostgreSQL/PostGIS cluster for drills that stop and start the database.

The stack's PostgreSQL must never be stopped (other runs use it). A drill that needs an outage
initialises its own cluster in a scratch directory with the same binaries and settings
(`infra/postgres/postgresql.conf`), on a free port, and restarts that one. As root, the
cluster belongs to the `postgres` account (PostgreSQL refuses to run as root), like the
stack's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = ROOT / "infra" / "postgres" / "postgresql.conf"


def _bindir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))
    return versions[-1] / "bin"


def _as_postgres(args: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd="/", **kw)


class PrivatePostgres:
    """One cluster under a scratch directory, started, stopped and removed on demand."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bin = _bindir()
        # /tmp/pytest-of-root is closed to the postgres account: use a directory it can reach.
        self.base = Path(tempfile.mkdtemp(prefix="gridflow-drill-pg-", dir="/var/tmp"))
        self.data, self.sock = self.base / "data", self.base / "sock"
        self.log = self.base / "postgres.log"
        self.data.mkdir()
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            for path in (self.data, self.sock):
                shutil.chown(path, "postgres")
        self.data.chmod(0o700)
        _as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "gridflow",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])  # fmt: skip
        conf = self.data / "postgresql.conf"
        extra = SETTINGS.read_text() + "\nshared_buffers = 128MB\nmax_connections = 300\n"
        _as_postgres(["tee", "-a", str(conf)], input=extra)

    def url(self, database: str = "postgres", user: str = "gridflow") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Starts the cluster and waits until it accepts connections."""
        options = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1"
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                      "-w", "-t", "60", "-o", options, "start"])  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stops the cluster: `fast` ends every connection at once, as a restart does."""
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t",
                      "60", "stop"])  # fmt: skip

    @property
    def running(self) -> bool:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data),
             "status"] if os.geteuid() == 0 else
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True, cwd="/",
        )  # fmt: skip
        return done.returncode == 0

    def create_database(self, name: str) -> str:
        """Creates database `name` with PostGIS; returns its URL."""
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)

    def remove(self) -> None:
        """Stops the cluster (if running) and deletes its directory."""
        if self.running:
            self.stop("immediate")
        deadline = time.monotonic() + 10
        while self.running and time.monotonic() < deadline:
            time.sleep(0.2)
        shutil.rmtree(self.base, ignore_errors=True)


class PrivateReplica(PrivatePostgres):
    """A streaming replica of a running PrivatePostgres: `pg_basebackup -R` (standby.signal and
    primary_conninfo written), as `./scripts/stack up --replica` makes the stack's."""

    def __init__(self, primary: PrivatePostgres, port: int) -> None:
        self.port, self.bin = port, primary.bin
        self.base = Path(tempfile.mkdtemp(prefix="gridflow-drill-replica-", dir="/var/tmp"))
        self.data, self.sock = self.base / "data", self.base / "sock"
        self.log = self.base / "postgres.log"
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.sock, "postgres")
        _as_postgres([str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                      "-U", "gridflow", "-D", str(self.data), "-R", "-X", "stream", "-c",
                      "fast"])  # fmt: skip

    def sql(self, statement: str, database: str = "postgres") -> object:
        """Runs one statement as the superuser (pg_wal_replay_pause(), …); its first value."""
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                return conn.execute(text(statement)).scalar()
        finally:
            engine.dispose()
