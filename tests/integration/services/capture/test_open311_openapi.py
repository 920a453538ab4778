"""The Open311 OpenAPI document (/open311/v2/openapi.json) covers every GeoReport v2 route,
and schemathesis, driven by it against a real `gridflow serve` on the stack, finds no input
that gives a 5xx or an answer other than the document says (status, content type, body)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from services.auth.apikeys import create_client
from tests.processes import serving

DOC = "/open311/v2/openapi.json"
REJECTED = ["400", "403", "404", "405", "406", "413", "415", "422", "429"]
EXAMPLES = settings(max_examples=50, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))  # fmt: skip


@pytest.fixture(scope="module")
def api_key(engine):
    with engine.begin() as conn:
        return create_client(conn, f"fuzz-{uuid.uuid4().hex[:6]}")


@dataclass(frozen=True)
class Served:
    """A real `gridflow serve`, a valid key, and what exists there: one published request
    and a place inside the district."""

    base: str
    api_key: str
    known: dict[str, str]  # path parameter → a value naming what exists
    place: dict[str, str]  # lat and long of a point in a cell


@pytest.fixture(scope="module")
def served(config, cells, api_key):
    with serving("open311-fuzz", config.with_(rate_limit_per_minute=1_000_000)) as base:
        point = cells[0]
        filed = requests.post(f"{base}/open311/v2/requests.json", timeout=30, data={
            "api_key": api_key, "service_code": "201001", "lat": str(point.lat),
            "long": str(point.lng), "description": "路边垃圾 fuzz", "phone": "13800000000",
        })  # fmt: skip
        assert filed.status_code == 201, filed.text
        [made] = filed.json()
        known = {"code": "201001", "token": made["token"],
                 "service_request_id": made["service_request_id"]}  # fmt: skip
        yield Served(base, api_key, known, {"lat": str(point.lat), "long": str(point.lng)})


def test_the_document_covers_every_open311_route_in_both_formats(api, capture_app):
    spec = api.get(DOC).get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = {
        (rule.rule.replace("<any(json, xml):fmt>", fmt).replace("<", "{").replace(">", "}"),
         method.lower())
        for rule in capture_app.url_map.iter_rules() if rule.endpoint.startswith("open311.")
        for method in rule.methods - {"HEAD", "OPTIONS"} for fmt in ("json", "xml")
    }  # fmt: skip
    assert documented == routes and len(routes) == 14
    post = spec["paths"]["/open311/v2/requests.json"]["post"]
    assert set(post["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded", "application/json"}  # fmt: skip
    assert {"201", "400", "403"} <= set(post["responses"])
    xml = spec["paths"]["/open311/v2/requests.xml"]["get"]["responses"]["200"]["content"]
    assert set(xml) == {"text/xml"}


def test_schemathesis_finds_no_5xx_and_no_answer_off_the_document(served):
    """Every operation, with valid and invalid input: no 5xx; status codes, content types and
    JSON bodies as documented. Half the valid cases carry the valid key and name what exists
    (a service, the request, its token), so answers with content are checked too."""
    checks = schemathesis.Config.from_dict({"checks": {
        "negative_data_rejection": {"expected-statuses": REJECTED},
        # A valid request may still name a place outside the district or a missing request.
        "positive_data_acceptance": {"enabled": False},
    }})  # fmt: skip
    schema = schemathesis.openapi.from_url(served.base + DOC, config=checks)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        raw = operation.definition.raw
        # An operation without inputs (discovery, services) has no invalid input to send.
        inputs = raw.get("parameters") or raw.get("requestBody")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if inputs else 1]:
            _exercise(operation, mode, served, statuses.setdefault(operation.label, set()))
    # Every operation answered with content at least once (2xx), not only with refusals.
    assert {label for label, seen in statuses.items() if not seen & {200, 201}} == set()


def _aimed(case, served: Served) -> None:
    """The case with the valid key and, where it names something, something that exists."""
    for name in case.path_parameters or {}:
        case.path_parameters[name] = served.known[name]
    if case.query is not None and "api_key" in case.query:
        case.query["api_key"] = served.api_key
    if isinstance(case.body, dict):
        for key in [k for k in case.body if k.startswith("attribute")]:
            del case.body[key]
        case.body.update(api_key=served.api_key, service_code="201001")
        # A place inside the district, by coordinates or by name (random coordinates are
        # almost always outside it, and a request there is refused).
        if case.body.get("lat") is None and case.body.get("long") is None:
            case.body["address_string"] = "鼓楼东侧"
        else:
            case.body.update(served.place)


def _exercise(operation, mode: GenerationMode, served: Served, statuses: set[int]) -> None:
    aimable = mode is GenerationMode.POSITIVE

    @given(case=operation.as_strategy(generation_mode=mode), aimed=st.booleans())
    @EXAMPLES
    def exercise(case, aimed):
        if aimed and aimable:
            _aimed(case, served)
        statuses.add(case.call_and_validate(base_url=served.base, timeout=30).status_code)

    exercise()


# What schemathesis found, each kept as a test of its own.


def test_a_date_at_the_calendars_edge_is_a_400_naming_it(api):
    """end_date 0001-01-01: its default window began before the first representable day (500)."""
    for field, value in (
        ("end_date", "0001-01-01T00:00:01Z"),
        ("start_date", "0001-01-01T00:00:00Z"),
    ):
        resp = api.get("/open311/v2/requests.json", query_string={field: value})
        assert resp.status_code == 400, (field, resp.status_code)  # GeoReport: never a 422
        assert resp.get_json()[0]["field"] == field


def test_a_bare_number_is_no_date(api):
    """end_date=12 was read as Unix seconds (1970-01-01T00:00:12Z) and answered 200."""
    resp = api.get("/open311/v2/requests.json", query_string={"end_date": "12"})
    assert resp.status_code == 400 and resp.get_json()[0]["field"] == "end_date"


def _longest(schema: dict) -> str:
    """The longest value `schema` allows, in the characters that take most room in a URL."""
    if schema.get("format") == "date-time":
        return "2026-05-01T08:00:00.123456+08:00"
    if schema.get("type") == "integer":
        return str(schema.get("maximum", 1))
    pattern = schema.get("pattern")
    fits = [c for c in ("\U0001f600", "中", ",", "-", "9") if not pattern or re.search(pattern, c)]
    return fits[0] * schema.get("maxLength", 1)


def test_the_longest_valid_query_fits_the_servers_request_line(served, api):
    """Every query the document allows reaches the app: a 2,000-character filter of
    multi-byte characters was over the HTTP server's request line and got its HTML 400."""
    spec = api.get(DOC).get_json()
    query = {
        p["name"]: _longest(next(s for s in p["schema"].get("anyOf", [p["schema"]])
                                 if s.get("type") != "null"))
        for p in spec["paths"]["/open311/v2/requests.json"]["get"]["parameters"]
    }  # fmt: skip
    resp = requests.get(f"{served.base}/open311/v2/requests.json", params=query, timeout=30)
    # The app's answer (JSON, an error list at worst), not the HTTP server's HTML 400.
    assert resp.status_code < 500 and resp.headers["Content-Type"] == "application/json", (
        resp.status_code, resp.text[:200])  # fmt: skip
