"""What the matrix's status codes cannot see: every Open311 route and Socket.IO event has a
rule; an allowed caller still never receives what it must not see (photos and text a
moderator withheld, a resident's contact details); an object moved to another department
leaves the old one's reach."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from tests.integration.security.surfaces import KEY, OPEN311, SOCKET_EVENTS
from tests.integration.security.world import PRINCIPALS, STREET_A, Thing
from tests.integration.security.world import routes as _routes
from tests.integration.services.handling.loop import captured_event, cell_point

MODERATORS = {"admin", "op_street", "op_district"}
PHONE = "13912345678"


def test_every_open311_route_and_socket_event_has_a_rule(security_app):
    routes = {(e, m) for e, m, _ in _routes(security_app) if e.startswith("open311.")}
    assert routes == set(OPEN311)
    live = security_app.extensions["gridflow.live"]
    assert set(live.socketio.server.handlers["/"]) == set(SOCKET_EVENTS)


def _open311_request(world, key: str) -> dict:
    cell = world.cases.fresh_cell(STREET_A)
    lat, lng = cell_point(world.engine, cell)
    resp = world.api.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "201001", "lat": str(lat), "long": str(lng),
        "description": "垃圾堆放", "first_name": "王", "phone": PHONE, "email": "w@example.cn",
    })  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    [made] = resp.get_json()
    world.cases.route(captured_event(world.engine, made["token"]))
    with world.engine.connect() as conn:
        case_id = conn.execute(text("SELECT id FROM case_file WHERE report_id = :r"),
                               {"r": made["token"]}).scalar_one()  # fmt: skip
    return {**made, "case_id": str(case_id), "cell": cell}


def _key(world) -> str:
    from services.auth.apikeys import create_client

    with world.engine.begin() as conn:
        return create_client(conn, f"hotline-{uuid.uuid4().hex[:6]}")


def test_open311_reads_need_no_key_and_writes_need_a_valid_one(security_app, world):
    key = _key(world)
    made = _open311_request(world, key)
    values = {"fmt": "json", "code": "201001", "service_request_id": made["service_request_id"],
              "token": made["token"]}  # fmt: skip
    for endpoint, method, template in _routes(security_app):
        if (endpoint, method) not in OPEN311 or OPEN311[(endpoint, method)] == KEY:
            continue
        path = template.replace("<any(json, xml):fmt>", "json")
        for name, value in values.items():
            path = path.replace(f"<{name}>", value)
        assert world.api.get(path).status_code == 200, endpoint
    url = "/open311/v2/requests.json"
    body = {"service_code": "201001", "address_string": "某路口"}
    missing = world.api.post(url, data=body)
    assert missing.status_code == 403 and missing.get_json()[0]["field"] == "api_key"
    assert world.api.post(url, data={**body, "api_key": "wrong"}).status_code == 403
    assert world.api.post(url, data={**body, "api_key": key}).status_code == 201


def _moderated(world) -> Thing:
    thing = world.report()
    resp = world.api.post(
        f"/api/v1/operator/reports/{thing.report_id}/moderate",
        headers=world.headers["op_street"],
        json={"photos_hidden": True, "redacted": True, "reason": "含人脸"},
    )
    assert resp.status_code == 200, resp.get_json()
    return thing


def _readings(world, thing: Thing, who: str) -> list[tuple[str, int, object]]:
    """Every answer (path, status, JSON body or None) `who` gets from the routes it may use
    that could show the thing."""
    h = world.as_(who, thing)
    paths = [f"/api/v1/reports/{thing.report_id}", f"/api/v1/cases/{thing.case_id}/photos/"
             f"{thing.extra['photo_id']}", f"/api/v1/photos/{thing.extra['photo_id']}"]  # fmt: skip
    if who in MODERATORS:
        paths.append(f"/api/v1/operator/cases/{thing.case_id}")
    if who.startswith("staff"):
        paths += [f"/api/v1/department/cases/{thing.case_id}", "/api/v1/department/cases"]
    if who.startswith("gw"):
        paths += ["/api/v1/me/reports", "/api/v1/me/tasks"]
    answers = []
    for path in paths:
        resp = world.api.get(path, headers=h)
        answers.append((path, resp.status_code, resp.get_json(silent=True)))
        resp.close()
    return answers


def _shown(body: object, ids: set[str]) -> list[dict]:
    """The objects of an answer that stand for the thing (its report or its case)."""
    if isinstance(body, list):
        return [found for item in body for found in _shown(item, ids)]
    if not isinstance(body, dict):
        return []
    own = [body] if str(body.get("id")) in ids or str(body.get("report_id")) in ids else []
    return own + [found for value in body.values() for found in _shown(value, ids)]


def test_allowed_readers_never_see_what_a_moderator_withheld(world):
    thing = _moderated(world)
    photo = thing.extra["photo_id"]
    ids = {thing.report_id, thing.case_id}
    for who in PRINCIPALS:
        answers = _readings(world, thing, who)
        photo_served = (f"/api/v1/photos/{photo}", 200, None) in answers
        seen = any(photo in json.dumps(body) for _, status, body in answers if status == 200)
        shown = [o for _, status, body in answers if status == 200 for o in _shown(body, ids)]
        text_seen = any(o.get("description") for o in shown)
        if who in MODERATORS:
            assert photo_served and seen and text_seen, who
        else:
            assert not (photo_served or seen or text_seen), (who, answers)


def test_a_residents_contact_reaches_only_the_operators_of_the_place(security_app, world):
    key = _key(world)
    made = _open311_request(world, key)
    case_id, report_id = made["case_id"], made["token"]
    live = security_app.extensions["gridflow.live"]
    for who in PRINCIPALS:
        h = (
            world.as_(who, None)
            if who != "gw_own"
            else world.login("grid_worker", cells=(made["cell"],))[1]
        )
        bodies = [
            world.api.get(p, headers=h).get_data(as_text=True)
            for p in (
                f"/api/v1/reports/{report_id}",
                f"/api/v1/operator/cases/{case_id}",
                f"/api/v1/department/cases/{case_id}",
                "/api/v1/department/cases",
                "/api/v1/operator/cases?queue=all&per_page=200",
                "/api/v1/me/tasks",
            )
        ]
        client = live.socketio.test_client(security_app, auth={"token": h["Authorization"][7:]})
        bodies.append(json.dumps(client.emit("case_detail", {"case_id": case_id}, callback=True)))
        bodies.append(json.dumps(client.get_received(), default=str))
        client.disconnect()
        shown = any(PHONE in b for b in bodies)
        assert shown == (who in MODERATORS), who
    public = [world.api.get(p).get_data(as_text=True) for p in (
        f"/open311/v2/requests/{made['service_request_id']}.json", "/open311/v2/requests.json",
        f"/open311/v2/requests.json?api_key={key}")]  # fmt: skip
    assert not any(PHONE in b or "w@example.cn" in b for b in public)


def test_a_case_moved_to_another_department_leaves_the_old_one(world):
    thing = world.report()
    own, other = world.headers["staff_own"], world.headers["staff_other"]
    base = f"/api/v1/department/cases/{thing.case_id}"
    assert world.api.get(base, headers=own).status_code == 200
    assert world.api.post(f"{base}/return", json={"reason": "非本部门"},
                          headers=own).status_code == 200  # fmt: skip
    moved = world.api.post(f"/api/v1/operator/cases/{thing.case_id}/dispatch",
                           json={"department_code": "greening"},
                           headers=world.headers["op_street"])  # fmt: skip
    assert moved.status_code == 200, moved.get_json()
    assert world.api.get(base, headers=own).status_code == 404
    assert world.api.post(f"{base}/acknowledge", headers=own).status_code == 404
    assert world.api.get(base, headers=other).status_code == 200
    photo = f"/api/v1/photos/{thing.extra['photo_id']}"
    resp = world.api.get(photo, headers=own)
    resp.close()
    assert resp.status_code == 404
