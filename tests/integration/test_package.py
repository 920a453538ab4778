"""A non-editable install (`pip install .`, what a wheel or an image holds) carries the
front-end packages: its phone client and pages serve them with no node_modules beside it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVE = textwrap.dedent("""
    import sys
    import services
    from services.app import create_app
    from services.config import Config

    assert services.__file__.startswith(sys.argv[1]), services.__file__
    app = create_app(Config(env="development", database_url=sys.argv[2]).checked())
    client = app.test_client()
    for url in ("/m/vendor/socket.io.js", "/vendor/leaflet/leaflet.js",
                "/vendor/geoman/leaflet-geoman.min.js"):
        resp = client.get(url)
        print(url, resp.status_code, len(resp.data))
        resp.close()
""")


def test_a_non_editable_install_serves_the_vendored_front_end(tmp_path, config):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(target), str(ROOT)],
        check=True, cwd=tmp_path, capture_output=True,
    )  # fmt: skip
    assert not (target / "node_modules").exists()
    out = subprocess.run(
        [sys.executable, "-c", SERVE, str(target), config.database_url],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert lines["/m/vendor/socket.io.js"].startswith("200 ")
    assert lines["/vendor/leaflet/leaflet.js"].startswith("200 ")
    assert lines["/vendor/geoman/leaflet-geoman.min.js"].startswith("200 ")
