"""Running real gridflow processes from tests: `gridflow serve`, `gridflow router`, …

A process gets the test's Config through GRIDFLOW_* variables, exactly as in production.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

from services.config import PREFIX, Config

ROOT = Path(__file__).resolve().parents[1]
GRIDFLOW = str(Path(sys.executable).with_name("gridflow"))
ARTIFACTS = ROOT / "tests" / "artifacts"


def config_env(config: Config, **overrides: str) -> dict[str, str]:
    """The environment that makes a gridflow process read exactly `config`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    for f in fields(config):
        env[PREFIX + f.name.upper()] = str(getattr(config, f.name))
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GridflowProcess:
    """One `gridflow ARGS…` subprocess, its output captured to tests/artifacts/<name>.log."""

    def __init__(self, name: str, args: list[str], config: Config, **env: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = ARTIFACTS / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [GRIDFLOW, *args],
            env=config_env(config, **env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    def wait_for_port(self, port: int, timeout_s: float = 60.0) -> None:
        # A deadline only: a quiet host starts a serve in ~2 s, a loaded one took over 20.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not listen on {port}:\n{self.output()}")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout_s: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after timeout_s; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode


def start_server(name: str, config: Config, timeout_s: float = 20.0) -> tuple[GridflowProcess, str]:
    """A `gridflow serve` process on a free port with `config`, listening within `timeout_s`:
    (process, base URL)."""
    port = free_port()
    server = GridflowProcess(name, ["serve", "--port", str(port)], config)
    try:
        server.wait_for_port(port, timeout_s)
    except BaseException:
        server.stop()
        raise
    return server, f"http://127.0.0.1:{port}"


@contextmanager
def serving(name: str, config: Config, timeout_s: float = 20.0) -> Iterator[str]:
    """`gridflow serve` with `config` for the duration of the block; yields its base URL."""
    server, url = start_server(name, config, timeout_s)
    try:
        yield url
    finally:
        server.stop()
