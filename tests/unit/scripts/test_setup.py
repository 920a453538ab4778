"""What ./scripts/setup decides on a machine that is not ours: which Python to build the
environment with, and which Debian packages to install (Node.js and npm included)."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[3]


def _fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def _machine(tmp_path: Path, *, pythons: dict[str, bool], npm: bool) -> Path:
    """A PATH holding only fakes: the named pythons (True: a supported version with venv),
    dpkg-query answering every package installed, a JDK 17, Maven, and npm if asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sed", "head", "grep", "cat", "dirname", "mkdir"):
        (bin_dir / tool).symlink_to(subprocess.check_output(["which", tool], text=True).strip())
    for name, supported in pythons.items():
        _fake(bin_dir, name, "exit 0" if supported else "exit 1")
    _fake(bin_dir, "dpkg-query", "echo 'install ok installed'")
    _fake(bin_dir, "java", "echo 'openjdk version \"17.0.2\"' >&2")
    _fake(bin_dir, "mvn", "exit 0")
    if npm:
        _fake(bin_dir, "npm", "exit 0")
    return bin_dir


def _run(bin_dir: Path, call: str) -> str:
    script = f"source {ROOT}/scripts/common.sh; {call}"
    out = subprocess.run(["/bin/bash", "-c", script], env={"PATH": str(bin_dir)},
                         capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout.strip()


def test_python_3_11_to_3_13_are_supported():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    supported = SpecifierSet(project["requires-python"])
    assert all(supported.contains(v) for v in ("3.11.2", "3.12.3", "3.13.5"))
    assert not supported.contains("3.10.12")


def test_setup_takes_the_newest_supported_python_on_the_path(tmp_path):
    bin_dir = _machine(tmp_path, pythons={"python3": False, "python3.12": True}, npm=True)
    assert _run(bin_dir, "find_python") == "python3.12"


def test_setup_installs_node_and_npm_when_they_are_missing(tmp_path):
    bin_dir = _machine(tmp_path, pythons={"python3.13": True}, npm=False)
    assert _run(bin_dir, "missing_debian_packages").split() == ["nodejs", "npm"]


def test_setup_installs_python_when_no_supported_one_is_there(tmp_path):
    bin_dir = _machine(tmp_path, pythons={"python3": False}, npm=True)
    assert _run(bin_dir, "missing_debian_packages").split() == ["python3", "python3-venv"]
