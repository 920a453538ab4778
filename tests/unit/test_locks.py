"""What goes into a deployment: requirements.lock holds exactly the runtime packages (the test
tools are in requirements-dev.lock), and the image is built from it with the front end."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from services.vendor import SERVED

ROOT = Path(__file__).resolve().parents[2]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime(name: str, seen: set[str]) -> set[str]:
    if _norm(name) in seen:
        return seen
    seen.add(_norm(name))
    for line in metadata.distribution(name).requires or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            _runtime(requirement.name, seen)
    return seen


def _pins(path: Path) -> set[str]:
    lines = path.read_text().splitlines()
    return {_norm(line.split("==")[0]) for line in lines if "==" in line}


def test_the_runtime_lock_holds_the_runtime_packages_and_nothing_else():
    runtime = _runtime("gridflow", set()) | _runtime("psycopg-binary", set())
    runtime.discard("gridflow")
    pinned = _pins(ROOT / "requirements.lock")
    assert sorted(runtime - pinned) == [] and sorted(pinned - runtime) == []
    dev = ROOT / "requirements-dev.lock"
    assert "-r requirements.lock" in dev.read_text().splitlines()
    assert {"pytest", "playwright", "schemathesis", "ruff"} <= _pins(dev)
    assert not _pins(dev) & pinned


def _stages(dockerfile: str) -> list[list[str]]:
    stages: list[list[str]] = []
    for line in dockerfile.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            stages.append([line])
        elif line and not line.startswith("#") and stages:
            stages[-1].append(line)
    return stages


def test_the_image_holds_the_runtime_packages_and_the_front_end():
    *_, final = _stages((ROOT / "infra" / "Dockerfile").read_text())
    text = "\n".join(final)
    assert "pip install --no-cache-dir -r requirements.lock" in text
    assert "requirements-dev.lock" not in text and " -e " not in text
    [vendor_copy] = [line for line in final if line.startswith("COPY --from=")]
    assert vendor_copy.endswith("./services/vendor")
    frontend = "\n".join(_stages((ROOT / "infra" / "Dockerfile").read_text())[0])
    assert "npm ci" in frontend
    for folder in SERVED:
        assert f"node_modules/{folder} vendor/{folder}" in frontend, folder
