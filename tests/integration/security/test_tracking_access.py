"""The reporter's side without an account (surfaces.TRACKING): every route has a rule; the
public gets what a public request shows and nothing of an internal one, and every refusal
answers exactly as a missing object. The operators' revisit queue (a 不满意 rating's follow-up)
holds only the cases of their place."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.integration.security.surfaces import TRACKING
from tests.integration.security.test_authorization_depth import _key, _open311_request
from tests.integration.security.world import routes as _routes
from tests.integration.services.handling.loop import photo_part


def test_every_tracking_route_has_a_rule(security_app):
    found = {(e, m) for e, m, _ in _routes(security_app) if e.startswith("tracking.")}
    assert found == set(TRACKING)


def _resolved_request(world) -> dict:
    made = _open311_request(world, _key(world))
    staff = world.headers["staff_own"]
    base = f"/api/v1/department/cases/{made['case_id']}"
    assert world.api.post(f"{base}/acknowledge", headers=staff).status_code == 200
    resp = world.api.post(f"{base}/resolve", headers=staff, content_type="multipart/form-data",
                          data={"note": "已清理", "photo": photo_part("blue")})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    with world.engine.connect() as conn:
        made["photo_id"] = str(conn.execute(text(
            "SELECT id FROM case_photo WHERE case_id = :c AND kind = 'resolution'"),
            {"c": made["case_id"]}).scalar_one())  # fmt: skip
    return made


def _get(world, path: str):
    resp = world.api.get(path)
    body = resp.get_json(silent=True)
    data = resp.data
    resp.close()
    return resp.status_code, body, data


def test_the_after_photo_is_public_only_for_a_public_request_not_withheld(world):
    made = _resolved_request(world)
    status, _, data = _get(world, f"/t/photos/{made['photo_id']}")
    assert status == 200 and data[:2] == b"\xff\xd8"

    missing = _get(world, f"/t/photos/{uuid.uuid4()}")
    assert missing[0] == 404 and missing[1]["error"]["field"] == "photo_id"
    internal = world.resolved()  # a grid worker's report: internal, whoever asks
    refusals = [f"/t/photos/{internal.extra['case_photo_id']}",
                f"/t/photos/{internal.extra['photo_id']}"]  # fmt: skip
    with world.engine.begin() as conn:
        conn.execute(text("UPDATE report SET photos_hidden = true WHERE id = :r"),
                     {"r": made["token"]})  # fmt: skip
    refusals.append(f"/t/photos/{made['photo_id']}")
    for path in refusals:
        status, body, _ = _get(world, path)
        assert status == 404 and body["error"]["field"] == "photo_id", path
        assert body["error"]["code"] == missing[1]["error"]["code"]


def test_the_page_and_the_rating_answer_only_the_holder_of_a_public_token(world):
    made = _open311_request(world, _key(world))
    where = {"REMOTE_ADDR": "10.30.0.1"}
    page = world.api.get(f"/t/{made['token']}", environ_base=where)
    assert page.status_code == 200 and made["service_request_id"] in page.get_data(as_text=True)
    assert world.api.get("/t", environ_base=where).status_code == 200

    internal = world.closed()  # a grid worker's report, closed on the spot
    hidden = _open311_request(world, _key(world))
    with world.engine.begin() as conn:
        conn.execute(text("UPDATE report SET hidden = true WHERE id = :r"), {"r": hidden["token"]})
    ghost = world.api.get(f"/t/{uuid.uuid4()}", environ_base=where)
    for token in (internal.report_id, hidden["token"]):
        refused = world.api.get(f"/t/{token}", environ_base=where)
        assert refused.status_code == ghost.status_code == 404
        assert refused.get_data(as_text=True) == ghost.get_data(as_text=True)
        rating = world.api.post(f"/t/{token}/rating", json={"rating": "satisfied"},
                                environ_base=where)  # fmt: skip
        assert rating.status_code == 404 and rating.get_json()["error"]["field"] == "token"
    state = world.api.get(f"/api/v1/operator/cases/{internal.case_id}",
                          headers=world.headers["admin"]).get_json()  # fmt: skip
    assert state["rating"] is None

    with world.engine.connect() as conn:
        sql = ("SELECT case_no, right(coalesce(reporter_phone, '0000'), 4) FROM report "
               "WHERE id = ANY(:ids)")  # fmt: skip
        ids = [internal.report_id, hidden["token"]]
        phone_of = dict(conn.execute(text(sql), {"ids": ids}).all())
    lookups = [{"case_no": made["service_request_id"], "phone_last4": "5678"}]  # PHONE's
    lookups += [{"case_no": no, "phone_last4": last} for no, last in phone_of.items()]
    assert world.api.post("/t/lookup", json=lookups[0], environ_base=where).status_code == 200
    for body in lookups[1:]:
        refused = world.api.post("/t/lookup", json=body, environ_base=where)
        assert refused.status_code == 404 and refused.get_json()["error"]["field"] == "case_no"


def test_the_revisit_queue_holds_only_the_callers_place(world):
    thing = world.dissatisfied()
    listed = {}
    for who in ("admin", "op_street", "op_district", "op_other"):
        resp = world.api.get("/api/v1/operator/revisits", headers=world.headers[who])
        assert resp.status_code == 200
        listed[who] = thing.case_id in {t["case_id"] for t in resp.get_json()["items"]}
    assert listed == {"admin": True, "op_street": True, "op_district": True, "op_other": False}
