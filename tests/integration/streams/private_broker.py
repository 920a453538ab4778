"""A private single-node Kafka broker for tests that stop and start the broker.

The shared broker of the stack must never be stopped (other test runs use it). A drill that
needs an outage starts its own broker from the same jars (`.run/kafka/libs`) and config template
(`infra/kafka/server.properties.in`) on free ports with its own data directory, then stops and
starts that one. Import `PrivateBroker`, or use the `private_broker` fixture of this folder's
conftest.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LIBS = ROOT / ".run" / "kafka" / "libs"
TEMPLATE = ROOT / "infra" / "kafka" / "server.properties.in"
LOG4J = ROOT / "infra" / "kafka" / "log4j2.properties"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class PrivateBroker:
    """One KRaft broker+controller under `workdir`, started and stopped on demand: alone, or
    node `node_id` of a cluster (`voters`, `cluster_id` and the template
    `infra/kafka/cluster.properties.in`: tests/integration/streams/private_cluster.py)."""

    def __init__(
        self,
        workdir: Path,
        *,
        node_id: int = 1,
        ports: tuple[int, int] | None = None,
        voters: str = "",
        cluster_id: str | None = None,
        template: Path = TEMPLATE,
        heap_mb: int = 384,
    ) -> None:
        if not (LIBS / ".stamp").exists():
            raise RuntimeError("Kafka jars missing in .run/kafka/libs; run ./scripts/setup")
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.port, self.controller_port = ports or (free_port(), free_port())
        self.node_id, self.voters, self.template, self.heap_mb = node_id, voters, template, heap_mb
        self.properties = workdir / "server.properties"
        self.process: subprocess.Popen[bytes] | None = None
        self._write_properties()
        self._format(cluster_id or new_cluster_id())

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self, *args: str) -> list[str]:
        return [
            "java",
            "-Xms128m",
            f"-Xmx{self.heap_mb}m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J}",
            f"-Dkafka.logs.dir={self.workdir}",
            "-cp",
            f"{LIBS}/*",
            *args,
        ]

    def _write_properties(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        text = (
            self.template.read_text()
            .replace("@NODE_ID@", str(self.node_id))
            .replace("@VOTERS@", self.voters)
            .replace("@BROKER_PORT@", str(self.port))
            .replace("@CONTROLLER_PORT@", str(self.controller_port))
            .replace("@DATA_DIR@", str(self.data_dir))
        )
        self.properties.write_text(text)

    def _format(self, cluster_id: str) -> None:
        subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(self.properties),
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, timeout_s: float = 90.0) -> None:
        """Starts the broker and waits until it accepts connections and says it started."""
        self.launch()
        self.wait_started(timeout_s)

    def launch(self) -> None:
        """Starts the broker's process without waiting (a cluster's nodes start together)."""
        if self.running:
            return
        log = self.workdir / "server.log"
        if log.exists():
            log.write_text("")
        console = open(self.workdir / "console.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(self.properties)),
            stdout=console,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        console.close()

    def wait_started(self, timeout_s: float = 90.0) -> None:
        """Waits until the broker accepts connections and says it started."""
        log = self.workdir / "server.log"
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"private broker exited: see {self.workdir}/console.log")
            started = log.exists() and "Kafka Server started" in log.read_text(errors="replace")
            if started and port_open(self.port):
                return
            time.sleep(0.3)
        raise RuntimeError(f"private broker did not start within {timeout_s} s")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stops the broker (SIGTERM, then SIGKILL after `timeout_s`) and waits for the port."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.process = None
        deadline = time.monotonic() + 10
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)

    def kill(self) -> None:
        """Kills the broker at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None
