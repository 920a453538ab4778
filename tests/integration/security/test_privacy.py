"""Privacy: a resident's name, phone and e-mail reach only the operators of the place (who call
them back); grid workers, department staff, the public Open311 list and the live feed never
see them. And the logs of a full run — `gridflow serve` at DEBUG, `relay`, `router`, the CLI —
never contain a token, a password, an API key or a phone number."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import requests
import socketio
from sqlalchemy import text

from tests.integration.services.accounts import PASSWORD
from tests.processes import GRIDFLOW, ROOT, GridflowProcess, config_env, free_port

RESIDENT = {"first_name": "李", "last_name": "秀英", "phone": "13987654321",
            "email": "li.xiuying@example.cn"}  # fmt: skip
WORKER_PHONE = "13612345678"


def _cli(config, *args: str) -> str:
    done = subprocess.run([GRIDFLOW, *args], env=config_env(config), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def full_run(config, engine, demo, tmp_path_factory):
    """Processes of a small deployment, and everything a day brings through them; yields the
    secrets used, the answers seen, and where the logs are."""
    from streams.topics import ensure_topics

    ensure_topics(config)
    media = str(tmp_path_factory.mktemp("privacy-media"))
    run_config = config.with_(media_dir=media)
    port = free_port()
    procs = [
        GridflowProcess("privacy-serve", ["serve", "--port", str(port), "--log-level", "DEBUG"],
                        run_config),
        GridflowProcess("privacy-relay", ["relay", "--log-level", "DEBUG"], run_config),
        GridflowProcess("privacy-router", ["router", "--log-level", "DEBUG"], run_config),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    secrets: list[str] = [PASSWORD, RESIDENT["phone"], RESIDENT["email"], WORKER_PHONE]
    cli_output = []
    try:
        procs[0].wait_for_port(port)  # inside: a server that never listens stops them all
        cli_output.append(_cli(run_config, "user", "create", "privacy-worker", "--role",
                               "grid_worker", "--cell", "330211009002001", "--password", PASSWORD,
                               "--phone", WORKER_PHONE, "--name", "张伟"))  # fmt: skip
        cli_output.append(_cli(run_config, "user", "create", "privacy-op", "--role", "operator",
                               "--jurisdiction", "330211009", "--password", PASSWORD))  # fmt: skip
        cli_output.append(_cli(run_config, "user", "create", "privacy-staff", "--role",
                               "department_staff", "--department", "sanitation",
                               "--password", PASSWORD))  # fmt: skip
        api_key = _cli(run_config, "open311", "add-client", "privacy-hotline").strip().split()[-1]
        secrets.append(api_key)

        s = requests.Session()
        tokens = {}
        for name in ("privacy-worker", "privacy-op", "privacy-staff"):
            resp = s.post(f"{base}/api/v1/auth/login",
                          json={"username": name, "password": PASSWORD})  # fmt: skip
            assert resp.status_code == 200
            tokens[name] = resp.json()
            secrets += [resp.json()["access_token"], resp.json()["refresh_token"]]
        s.post(f"{base}/api/v1/auth/login", json={"username": "privacy-op", "password": "wrong-"
                                                  + PASSWORD})  # fmt: skip
        rotated = s.post(
            f"{base}/api/v1/auth/refresh",
            json={"refresh_token": tokens["privacy-op"]["refresh_token"]},
        ).json()
        secrets += [rotated["access_token"], rotated["refresh_token"]]
        s.post(
            f"{base}/api/v1/auth/refresh",  # reused: revokes the session
            json={"refresh_token": tokens["privacy-op"]["refresh_token"]},
        )
        op = s.post(
            f"{base}/api/v1/auth/login", json={"username": "privacy-op", "password": PASSWORD}
        ).json()
        secrets += [op["access_token"], op["refresh_token"]]

        def auth(token):
            return {"Authorization": f"Bearer {token}"}

        worker = tokens["privacy-worker"]["access_token"]
        staff = tokens["privacy-staff"]["access_token"]
        with engine.connect() as conn:
            lat, lng = conn.execute(
                text("SELECT ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
                     "FROM grid_cell WHERE code = '330211009002001'")
            ).one()  # fmt: skip
        created = s.post(
            f"{base}/open311/v2/requests.json",
            data={"api_key": api_key, "service_code": "201001", "lat": lat, "long": lng,
                  "description": "垃圾堆积", **RESIDENT},
        )  # fmt: skip
        assert created.status_code in (200, 201), created.text
        request_id = created.json()[0]["service_request_id"]
        # Secrets where they must not go: a query string, a bad token, a socket's auth.
        s.get(f"{base}/api/v1/auth/me?access_token={worker}")
        s.get(f"{base}/api/v1/auth/me", headers=auth(worker + "x"))
        s.post(f"{base}/open311/v2/requests.json?api_key=wrong-{api_key}", data={"x": "1"})
        sio = socketio.Client()
        sio.connect(base, auth={"token": op["access_token"]}, transports=["websocket"])
        sio.connect_error = None
        time.sleep(0.5)
        sio.disconnect()
        bad = socketio.Client()
        with pytest.raises(socketio.exceptions.ConnectionError):
            bad.connect(base, auth={"token": worker + "x"}, transports=["websocket"])

        # Wait for the case, then read it as each role.
        deadline = time.monotonic() + 60
        case = None
        while time.monotonic() < deadline and case is None:
            with engine.connect() as conn:
                case = conn.execute(
                    text("SELECT c.id FROM case_file c JOIN report r ON r.id = c.report_id "
                         "WHERE r.id::text = :r OR r.case_no = :r"), {"r": request_id},
                ).scalar()  # fmt: skip
            time.sleep(0.3)
        assert case is not None, "the Open311 request never became a case"
        answers = {
            "operator": s.get(
                f"{base}/api/v1/operator/cases/{case}", headers=auth(op["access_token"])
            ),
            "staff": s.get(f"{base}/api/v1/department/cases/{case}", headers=auth(staff)),
            "worker list": s.get(f"{base}/api/v1/me/tasks", headers=auth(worker)),
            "public list": s.get(f"{base}/open311/v2/requests.json"),
            "public one": s.get(f"{base}/open311/v2/requests/{request_id}.json"),
        }
        report = s.get(f"{base}/api/v1/reports/{answers['operator'].json()['report_id']}",
                       headers=auth(worker))  # fmt: skip
        answers["worker report"] = report
        s.post(f"{base}/api/v1/auth/logout", headers=auth(worker))
        s.close()
    finally:
        for proc in procs:
            proc.stop()
    logs = {p.name: p.log_path.read_text(errors="replace") for p in procs}
    logs["cli"] = "\n".join(cli_output)
    yield {"secrets": secrets, "answers": answers, "logs": logs}


def test_resident_contacts_reach_only_the_operators_of_the_place(full_run):
    answers = full_run["answers"]
    operator = answers["operator"]
    assert operator.status_code == 200, operator.text
    contact = operator.json()["reporter_contact"]
    assert contact == {"name": "李 秀英", "phone": RESIDENT["phone"], "email": RESIDENT["email"]}
    for who in ("staff", "worker list", "worker report", "public list", "public one"):
        body = answers[who].text
        assert answers[who].status_code in (200, 404), (who, answers[who].status_code)
        for value in (RESIDENT["phone"], RESIDENT["email"], "秀英"):
            assert value not in body and json.dumps(value)[1:-1] not in body, (who, value)


def test_logs_of_a_full_run_hold_no_token_password_key_or_phone(full_run):
    logs = full_run["logs"]
    assert sum(len(text_) for text_ in logs.values()) > 1000, "the processes logged nothing"
    leaks = []
    for secret in full_run["secrets"]:
        parts = [secret] + ([secret.split(".")[2]] if secret.count(".") == 2 else [])
        for name, content in logs.items():
            if any(part in content for part in parts):
                leaks.append((name, secret[:12] + "…"))
    assert leaks == []
