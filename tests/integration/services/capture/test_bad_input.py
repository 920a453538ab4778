"""What a grid worker's phone gets for bad reports: the right 4xx naming the field."""

import pytest

from tests.integration.services.accounts import signed_in
from tests.integration.services.capture.payloads import report_body


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"category": "999999"}, 422, "category"),
        ({"category": "abc"}, 422, "category"),
        ({"id": "not-a-uuid"}, 422, "id"),
        ({"description": ""}, 422, "description"),
        ({"occurred_at": "2025-01-01T08:00:00"}, 422, "occurred_at"),
        ({"occurred_at": "2999-01-01T08:00:00+08:00"}, 422, "occurred_at"),
        ({"occurred_at": "1999-12-31T23:59:59Z"}, 422, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00+00:01"}, 422, "occurred_at"),  # no UTC form
        ({"location": {"lat": 91, "lng": 121.6, "crs": "wgs84"}}, 422, "location.lat"),
        ({"location": {"lat": 29.9, "lng": "east", "crs": "wgs84"}}, 422, "location.lng"),
        ({"location": {"lat": 29.9, "lng": 121.6, "crs": "osgb36"}}, 422, "location.crs"),
        ({"location": {"lat": 29.9, "lng": 121.6}}, 422, "location.crs"),
        ({"location": {"lat": 29.9, "lng": 121.6, "crs": "wgs84", "accuracy_m": -1}}, 422,
         "location.accuracy_m"),
        ({"handled_on_spot": True}, 422, "after_photo"),
        ({"surprise": 1}, 422, "surprise"),
        ({"description": "nul\x00byte"}, 422, "description"),
        ({"description": "bad\x01char"}, 422, "description"),
        ({"description": "bell\x07"}, 422, "description"),
    ],
)  # fmt: skip
def test_invalid_fields_are_named(api, cells, worker, change, status, field):
    _, headers = worker
    resp = api.post("/api/v1/reports", json=report_body(cells[0], **change), headers=headers)
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["field"] == field
    assert error["message"]


def test_malformed_json_and_wrong_content_type(api, worker):
    _, headers = worker
    resp = api.post("/api/v1/reports", data="{", content_type="application/json", headers=headers)
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "body"
    resp = api.post("/api/v1/reports", data="x=1", content_type="text/plain", headers=headers)
    assert resp.status_code == 415
    resp = api.post("/api/v1/reports", json=[1, 2], headers=headers)
    assert resp.status_code == 422


def test_a_body_over_the_limit_is_a_413(api, cells, worker):
    _, headers = worker
    body = report_body(cells[0], description="x" * 300_000)
    resp = api.post("/api/v1/reports", json=body, headers=headers)
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"


def test_only_grid_workers_file_reports(api, engine, cells):
    body = report_body(cells[0])
    assert api.post("/api/v1/reports", json=body).status_code == 401
    for role, scope in (
        ("operator", {"jurisdiction": cells[0].district}),
        ("department_staff", {"department": "sanitation"}),
        ("admin", {}),
    ):
        _, headers = signed_in(api, engine, role, **scope)
        resp = api.post("/api/v1/reports", json=body, headers=headers)
        assert resp.status_code == 403, role
        assert resp.get_json()["error"]["code"] == "forbidden"


def test_per_account_rate_limit_answers_429_with_retry_after(config, make_app, engine, cells):
    app = make_app(config.with_(rate_limit_per_minute=2))
    client = app.test_client()
    _, headers = signed_in(client, engine, "grid_worker", cells=(cells[0].code,))
    _, other = signed_in(client, engine, "grid_worker", cells=(cells[0].code,))
    statuses = [
        client.post("/api/v1/reports", json=report_body(cells[0]), headers=headers).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 429, 429]  # a burst of a quarter of the rate per minute: one
    resp = client.post("/api/v1/reports", json=report_body(cells[0]), headers=headers)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    # another account is not affected
    resp = client.post("/api/v1/reports", json=report_body(cells[0]), headers=other)
    assert resp.status_code == 201
    app.extensions["gridflow"].locator.close()
