"""The reporter's side without an account (surfaces.TRACKING): every route has a rule; the
public gets what a public request shows and nothing of an internal one, and every refusal
answers exactly as a missing object."""

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
