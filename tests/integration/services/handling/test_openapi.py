"""The handling endpoints in the OpenAPI document, fuzzed with schemathesis: no input gives a
5xx, every response is as documented. Each operation is called with a token of the role it
is for."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from services.auth.tokens import open_session
from tests.integration.services.accounts import make_user

TAGS = {"department", "operator", "feedback", "stats"}
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
# The blueprints of the handling: every route they have is documented and fuzzed.
BLUEPRINTS = {
    "department",
    "operator",
    "supervision",
    "case_search",
    "hotline",
    "revisits",
    "verification",
    "stats",
}
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture(scope="module")
def endpoints(handling_app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every route of the handling blueprints."""
    return {
        (_PARAM.sub(r"{\1}", rule.rule), method.lower())
        for rule in handling_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


@pytest.fixture(scope="module")
def accounts(engine, demo):
    return {
        "department": make_user(engine, "department_staff", department="sanitation")[0],
        "operator": make_user(engine, "operator", jurisdiction="330211")[0],
        "grid": make_user(engine, "grid_worker", cells=("330211009001001",))[0],
    }


def _role(path: str) -> str:
    if path.startswith("/api/v1/department/"):
        return "department"
    if path.startswith("/api/v1/me/") or path.endswith("/rating"):
        return "grid"
    return "operator"


@pytest.fixture(scope="module")
def api_schema(handling_app, engine, config, accounts):
    fuzz_config = schemathesis.Config.from_dict(
        {
            "checks": {
                "negative_data_rejection": {"expected-statuses": REJECTED},
                # Schema-valid input may still name a case that does not exist (404) or ask
                # for what the case's state does not allow (409): intended.
                "positive_data_acceptance": {"enabled": False},
            }
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", handling_app,
                                            config=fuzz_config)  # fmt: skip

    @schema.auth()
    class RoleSession:
        def get(self, case, context):
            user_id = accounts[_role(case.operation.path)]
            with engine.begin() as conn:
                return open_session(conn, config, user_id).access_token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


def test_the_document_covers_every_handling_endpoint(api, endpoints):
    spec = api.get("/api/v1/openapi.json").get_json()
    present = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert ("/api/v1/operator/cases/{case_id}/dispatch", "post") in endpoints
    assert endpoints <= present
    conflict = spec["paths"]["/api/v1/department/cases/{case_id}/acknowledge"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(conflict["responses"])
    resolve = spec["paths"]["/api/v1/department/cases/{case_id}/resolve"]["post"]
    assert set(resolve["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    stats = spec["paths"]["/api/v1/stats/departments"]["get"]
    assert {"from", "to"} <= {p["name"] for p in stats["parameters"]}


def test_no_input_breaks_the_handling_api(api_schema, endpoints):
    operations = [
        op
        for op in (result.ok() for result in api_schema.get_all_operations())
        if set(op.definition.raw.get("tags", ())) & TAGS or op.path.endswith("/verify")
    ]
    assert {(op.path, op.method.lower()) for op in operations} == endpoints
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=40, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def exercise(case):
                case.call_and_validate()

            exercise()
