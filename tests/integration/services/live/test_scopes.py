"""A socket's scope follows its account while it is open: a grid worker moved to other cells
stops receiving the old cells' events and is refused their cases; a disabled account's socket
is cut (`gridflow user disable`); and events a client sends are rate-limited per socket."""

from __future__ import annotations

import subprocess

from sqlalchemy import text

from services.store.accounts import set_cells
from tests.integration.services.live.clients import LiveClient
from tests.processes import GRIDFLOW, config_env

NOT_FOUND = {"error": "not_found", "field": "case_id"}


def of(case_id):
    return lambda m: m["case"]["id"] == case_id


def test_a_worker_moved_to_other_cells_follows_them(connect, token_of, writer, cells, engine):
    old, new = cells[0].code, cells[1].code
    user_id, token, _ = token_of("grid_worker", cells=(old,))
    client = connect(token)
    client.wait_for("snapshot")
    before = writer.new_case(old)
    client.wait_for("case_event", of(before), timeout_s=3)
    assert client.call("case_detail", {"case_id": before})["case"]["id"] == before

    earlier_in_new = writer.new_case(new)
    with engine.begin() as conn:
        set_cells(conn, user_id, (new,))
    # Within the check interval (0.5 s here) the socket is in the new cell's room alone, and
    # gets the snapshot of its new scope.
    rescoped = client.wait_for(
        "snapshot", lambda s: earlier_in_new in s["cases"]["columns"]["id"], timeout_s=5
    )
    assert set(rescoped["cases"]["columns"]["cell_code"]) == {new}
    in_new = writer.new_case(new)
    client.wait_for("case_event", of(in_new), timeout_s=3)
    in_old = writer.new_case(old)
    probe = writer.new_case(new)
    client.wait_for("case_event", of(probe), timeout_s=3)
    assert in_old not in {m["case"]["id"] for m in client.messages("case_event")}
    assert client.call("case_detail", {"case_id": before}) == NOT_FOUND
    assert client.call("case_detail", {"case_id": in_new})["case"]["id"] == in_new
    assert not client.disconnected.is_set()


def test_a_disabled_account_is_cut_and_can_sign_in_again_once_enabled(
    connect, token_of, live_config, live_url, engine
):
    user_id, token, _ = token_of("operator", jurisdiction="330211001")
    with engine.connect() as conn:
        username = conn.execute(
            text("SELECT username FROM app_user WHERE id = :id"), {"id": user_id}
        ).scalar_one()
    client = connect(token)
    client.wait_for("snapshot")

    env = config_env(live_config)
    done = subprocess.run(
        [GRIDFLOW, "user", "disable", username], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert client.disconnected.wait(5), "a disabled account must lose its live feed"
    assert client.messages("auth_expired")
    login = _login(live_url, username)
    assert login.status_code == 401

    done = subprocess.run(
        [GRIDFLOW, "user", "enable", username], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert _login(live_url, username).status_code == 200
    missing = subprocess.run(
        [GRIDFLOW, "user", "disable", "nobody-like-this"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert missing.returncode != 0 and "no account named" in missing.stderr


def _login(url: str, username: str):
    import requests

    from tests.integration.services.accounts import PASSWORD

    return requests.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
    )


def test_case_detail_flooding_is_refused_past_its_rate(
    connect, token_of, writer, cells, live_config
):
    _, token, _ = token_of("grid_worker", cells=(cells[2].code,))
    case_id = writer.new_case(cells[2].code)
    client: LiveClient = connect(token)
    client.wait_for("snapshot")
    answers = [client.call("case_detail", {"case_id": case_id}) for _ in range(60)]
    served = [a for a in answers if "case" in a]
    refused = [a for a in answers if a == {"error": "rate_limited"}]
    assert len(served) + len(refused) == len(answers)
    burst = live_config.live_event_rate_per_s * 4
    assert burst <= len(served) < len(answers), "the first ones are served, then refused"
    assert answers[0]["case"]["id"] == case_id
    assert not client.disconnected.is_set(), "refused, not cut"
