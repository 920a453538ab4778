"""Fuzzing: schemathesis over the whole OpenAPI document (every operation, each with a token of
a role it is meant for), and hypothesis over the locate and grid-import paths — no input gives
a 5xx or an unhandled error.

The fuzzed admin operations may replace the ruleset or the departments with whatever the
schema allows, so this module runs on a database of its own.
"""

from __future__ import annotations

import json
import math
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy.engine import make_url

from services.auth.tokens import open_session
from tests.integration.services.accounts import make_user

REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
FUZZ = settings(max_examples=12, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_config(config, tmp_path_factory):
    """This run's config on a database of its own (created, migrated, dropped)."""
    from tests.databases import fresh_database

    name = f"{make_url(config.database_url).database}_fuzz"
    with fresh_database(name, config.database_url) as url:
        media = str(tmp_path_factory.mktemp("fuzz-media"))
        yield config.with_(database_url=url, media_dir=media, rate_limit_per_minute=1_000_000,
                           login_rate_per_minute=1_000_000)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_app(fuzz_config):
    from geo.demo import load_demo
    from services.app import create_app
    from services.routing.rulefile import load_demo_rules

    app = create_app(fuzz_config)
    engine = app.extensions["gridflow"].engine
    load_demo(engine)
    load_demo_rules(engine, actor="fuzz")
    yield app
    app.extensions["gridflow"].locator.close()
    engine.dispose()


@pytest.fixture(scope="module")
def role_ids(fuzz_app):
    engine = fuzz_app.extensions["gridflow"].engine
    return {
        "admin": make_user(engine, "admin")[0],
        "operator": make_user(engine, "operator", jurisdiction="330211")[0],
        "department_staff": make_user(engine, "department_staff", department="sanitation")[0],
        "grid_worker": make_user(engine, "grid_worker", cells=("330211009001001",))[0],
    }


def _role(path: str) -> str:
    if path.startswith("/api/v1/department/"):
        return "department_staff"
    if path.startswith(("/api/v1/me/", "/api/v1/reports", "/api/v1/patrol/")) or path.endswith(
        "/rating"
    ):
        return "grid_worker"
    return "admin"


def test_no_operation_of_the_whole_document_answers_5xx(fuzz_app, fuzz_config, role_ids):
    engine = fuzz_app.extensions["gridflow"].engine
    checks = schemathesis.Config.from_dict(
        {
            "checks": {
                "negative_data_rejection": {"expected-statuses": REJECTED},
                # Schema-valid input may still name what does not exist or break a rule.
                "positive_data_acceptance": {"enabled": False},
            }
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app, config=checks)

    @schema.auth()
    class RoleSession:
        def get(self, case, context):
            with engine.begin() as conn:
                user = role_ids[_role(case.operation.path)]
                return open_session(conn, fuzz_config, user).access_token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    operations = [result.ok() for result in schema.get_all_operations()]
    spec = fuzz_app.test_client().get("/api/v1/openapi.json").get_json()
    assert len(operations) == sum(len(ops) for ops in spec["paths"].values()) > 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @FUZZ
            def exercise(case):
                case.call_and_validate()

            exercise()


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=30),
)


def test_locate_answers_every_query_without_5xx(fuzz_app):
    api = fuzz_app.test_client()

    crs = st.one_of(st.sampled_from(["wgs84", "gcj02", "bd09"]), st.text(max_size=10))

    @given(lat=NUMBERS, lng=NUMBERS, crs=crs)
    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def locate(lat, lng, crs):
        resp = api.get("/api/v1/grid/locate", query_string={"lat": str(lat), "lng": str(lng),
                                                            "crs": crs})  # fmt: skip
        assert resp.status_code in (200, 400, 404, 422), (lat, lng, crs, resp.status_code)
        if resp.status_code == 200:
            assert math.isfinite(float(lat)) and math.isfinite(float(lng))

    locate()


COORDINATE = st.one_of(
    st.floats(min_value=120.9, max_value=121.1), st.floats(allow_nan=True, allow_infinity=True)
)
RING = st.lists(st.lists(COORDINATE, min_size=0, max_size=3), min_size=0, max_size=8)
GEOMETRY = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "x"]),
                           "coordinates": st.one_of(st.lists(RING, max_size=3),
                                                    st.lists(st.lists(RING, max_size=2),
                                                             max_size=2))}),
    st.none(), st.integers(), st.text(max_size=5),
)  # fmt: skip
PROPERTIES = st.one_of(
    st.fixed_dictionaries({
        "code": st.one_of(st.sampled_from(["990101", "990101001", "990101001001001"]),
                          st.text(max_size=16), st.integers()),
        "name": st.one_of(st.text(max_size=8), st.none()),
        "level": st.one_of(st.sampled_from(["district", "street", "community", "cell", "grid"]),
                           st.text(max_size=6)),
    }),
    st.none(), st.lists(st.integers(), max_size=2),
)  # fmt: skip
FEATURE = st.one_of(
    st.fixed_dictionaries({"type": st.just("Feature"), "properties": PROPERTIES,
                           "geometry": GEOMETRY}),
    st.integers(), st.text(max_size=5),
)  # fmt: skip


def test_the_grid_import_reports_every_broken_document_instead_of_failing(fuzz_app):
    from geo.importer import import_grid

    engine = fuzz_app.extensions["gridflow"].engine

    @given(
        doc=st.one_of(
            st.fixed_dictionaries({"type": st.just("FeatureCollection"),
                                   "features": st.lists(FEATURE, max_size=4)}),
            st.recursive(st.none() | st.integers() | st.text(max_size=5),
                         lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=5), inner, max_size=3)),
        ),
        crs=st.sampled_from(["wgs84", "gcj02"]),
    )  # fmt: skip
    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def import_(doc, crs):
        outcome = import_grid(engine, json.dumps(doc), crs=crs, dry_run=True, progress=False,
                              source=f"fuzz:{uuid.uuid4().hex[:6]}")  # fmt: skip
        if not outcome.ok:
            assert outcome.report.errors, "a refused import names its problems"
            assert all(p.message for p in outcome.report.errors)

    import_()
