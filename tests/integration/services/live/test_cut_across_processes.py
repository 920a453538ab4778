"""An account disabled, or moved, through one `serve` process is cut, or moved, on every other
at once: the database tells each process (NOTIFY gridflow_account) and its watch checks that
account's sockets in its next round, not at their periodic check (15 s here, as in production).
Two real `serve` processes on the live tests' database."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.integration.services.accounts import bearer, make_user, tokens_over_http
from tests.processes import serving

CHECK_S = 15.0  # the default live_auth_check_s: a cut sooner than this came from the notify
STARTUP_S = 60.0  # two servers starting on a busy machine


@pytest.fixture(scope="module")
def two_servers(live_config):
    config = live_config.with_(live_auth_check_s=CHECK_S)
    tag = uuid.uuid4().hex[:6]
    with (
        serving(f"cut-a-{tag}", config, STARTUP_S) as first,
        serving(f"cut-b-{tag}", config, STARTUP_S) as second,
    ):
        yield first, second


def _admin(engine, url: str) -> dict[str, str]:
    _, username = make_user(engine, "admin")
    return bearer(tokens_over_http(url, username)[0])


def test_a_socket_on_another_process_is_cut_within_a_second_of_the_disable(
    two_servers, engine, cells, connect
):
    first, second = two_servers
    admin = _admin(engine, first)
    user_id, username = make_user(engine, "grid_worker", cells=(cells[0].code,))
    other_id, other_name = make_user(engine, "grid_worker", cells=(cells[0].code,))
    there = connect(tokens_over_http(second, username)[0], url=second)
    here = connect(tokens_over_http(first, username)[0], url=first)
    bystander = connect(tokens_over_http(second, other_name)[0], url=second)
    for client in (there, here, bystander):
        client.wait_for("snapshot")

    resp = requests.post(f"{first}/api/v1/admin/users/{user_id}/disable", headers=admin,
                         timeout=10)  # fmt: skip
    disabled_at = time.monotonic()
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert there.disconnected.wait(1.0), "the other process kept the disabled account's socket"
    assert time.monotonic() - disabled_at < 1.0
    assert there.messages("auth_expired")
    assert here.disconnected.wait(1.0)
    time.sleep(0.5)  # a round or two of both watches: the other account stays
    assert not bystander.disconnected.is_set()
    assert bystander.sio.connected and other_id != user_id


def test_a_worker_moved_through_one_process_is_moved_on_the_other_at_once(
    two_servers, engine, cells, connect
):
    first, second = two_servers
    admin = _admin(engine, first)
    old, new = cells[0].code, cells[1].code
    user_id, username = make_user(engine, "grid_worker", cells=(old,))
    client = connect(tokens_over_http(second, username)[0], url=second)
    client.wait_for("snapshot")
    body = {"role": "grid_worker", "cell_codes": [new]}
    resp = requests.put(f"{first}/api/v1/admin/users/{user_id}", json=body, headers=admin,
                        timeout=10)  # fmt: skip
    moved_at = time.monotonic()
    assert resp.status_code == 200, resp.text
    # The snapshot of its new scope comes, on the other process, well before its 15 s check.
    while len(client.messages("snapshot")) < 2 and time.monotonic() - moved_at < 1.0:
        time.sleep(0.02)
    assert len(client.messages("snapshot")) == 2, "the other process kept the old scope"
    assert not client.disconnected.is_set()
