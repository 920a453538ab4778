"""`gridflow serve` (on gunicorn, the default) is the one command that starts on gevent."""

from __future__ import annotations

import pytest

from streams.entry import cooperative_command


@pytest.mark.parametrize(
    ("argv", "cooperative"),
    [
        (["serve"], True),
        (["serve", "--port", "8081"], True),
        (["serve", "--server", "gunicorn"], True),
        (["serve", "--server", "werkzeug"], False),
        (["serve", "--server=werkzeug"], False),
        (["router"], False),
        (["user", "create", "serve"], False),
        ([], False),
    ],
)
def test_only_serve_on_gunicorn_is_cooperative(argv, cooperative):
    assert cooperative_command(argv) is cooperative
