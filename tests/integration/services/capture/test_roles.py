"""Every capture endpoint checks the token (401) and the role (403)."""

import uuid

import pytest

from tests.integration.services.accounts import signed_in

WORKER_ONLY = [
    ("post", "/api/v1/reports"),
    ("get", "/api/v1/me/reports"),
    ("get", "/api/v1/me/tasks"),
    ("post", "/api/v1/patrol/pings"),
]
# Ids no report or photo has (fixed: every test process must collect the same parameters).
UNKNOWN_REPORT, UNKNOWN_PHOTO = uuid.UUID(int=1, version=4), uuid.UUID(int=2, version=4)
ANY_ROLE = [
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/auth/me"),
    ("get", f"/api/v1/reports/{UNKNOWN_REPORT}"),
    ("get", f"/api/v1/photos/{UNKNOWN_PHOTO}"),
    ("post", "/api/v1/auth/logout"),
]
OTHER_ROLES = [
    ("operator", {"jurisdiction": "330211"}),
    ("department_staff", {"department": "sanitation"}),
    ("admin", {}),
]


@pytest.mark.parametrize(("method", "path"), WORKER_ONLY + ANY_ROLE)
def test_no_token_is_a_401(api, method, path):
    resp = getattr(api, method)(path, json={})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(("method", "path"), WORKER_ONLY)
def test_other_roles_get_403_on_grid_worker_endpoints(api, engine, method, path):
    for role, scope in OTHER_ROLES:
        _, headers = signed_in(api, engine, role, **scope)
        resp = getattr(api, method)(path, json={}, headers=headers)
        assert resp.status_code == 403, (role, path)
        assert resp.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path"), ANY_ROLE)
def test_every_role_passes_the_role_check_of_shared_endpoints(api, engine, method, path):
    for role, scope in OTHER_ROLES:
        _, headers = signed_in(api, engine, role, **scope)
        resp = getattr(api, method)(path, headers=headers)
        assert resp.status_code in (200, 204, 404), (role, path, resp.status_code)
