"""The OpenAPI document: generated from the validating models, served with a docs page, and
fuzzed with schemathesis (no 5xx, every response as documented)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from services.auth.tokens import open_session
from tests.integration.services.accounts import make_user


@pytest.fixture(scope="module")
def fuzz_app(config, tmp_path_factory):
    from services.app import create_app

    app = create_app(
        config.with_(
            media_dir=str(tmp_path_factory.mktemp("fuzz-media")), rate_limit_per_minute=100_000
        )
    )
    yield app
    app.extensions["gridflow"].locator.close()
    app.extensions["gridflow"].engine.dispose()


@pytest.fixture(scope="module")
def fuzz_worker(engine, cells):
    user_id, _ = make_user(engine, "grid_worker", cells=(cells[0].code, cells[1].code))
    return user_id


# Invalid input may also be refused as too large (413), e.g. an over-long token in a body
# that is itself over the body limit.
CAPTURE_TAGS = {"auth", "grid worker", "reports", "catalog"}
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


@pytest.fixture(scope="module")
def api_schema(fuzz_app, engine, config, fuzz_worker):
    fuzz_config = schemathesis.Config.from_dict(
        {
            "checks": {
                "negative_data_rejection": {"expected-statuses": REJECTED},
                # Schema-valid input may still break a business rule (an unknown category, a
                # ping from last month): those 422s are intended.
                "positive_data_acceptance": {"enabled": False},
            }
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app, config=fuzz_config)

    @schema.auth()
    class FreshSession:
        """A new session per case: a fuzzed logout must not sign the next case out."""

        def get(self, case, context):
            with engine.begin() as conn:
                return open_session(conn, config, fuzz_worker).access_token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


def test_the_document_covers_every_capture_endpoint(api):
    spec = api.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    expected = {
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/reports", "post"),
        ("/api/v1/reports/{report_id}", "get"),
        ("/api/v1/me/reports", "get"),
        ("/api/v1/me/tasks", "get"),
        ("/api/v1/patrol/pings", "post"),
        ("/api/v1/categories", "get"),
    }
    present = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert expected <= present
    report = spec["paths"]["/api/v1/reports"]["post"]
    assert set(report["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"201", "200", "401", "403", "409", "413", "422", "429"} <= set(report["responses"])
    location = spec["components"]["schemas"]["Location"]
    assert location["properties"]["crs"]["enum"] == ["wgs84", "gcj02", "bd09"]


def test_the_docs_page_is_self_contained(api):
    resp = api.get("/api/v1/docs")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "/api/v1/openapi.json" in page
    assert "http://" not in page.replace("http://wiki", "") and "https://" not in page


def test_no_input_breaks_the_api(api_schema):
    """Every operation, with valid and invalid inputs: no 5xx, status codes, content types
    and bodies as documented."""
    operations = [
        op
        for op in (result.ok() for result in api_schema.get_all_operations())
        if set(op.definition.raw.get("tags", ())) & CAPTURE_TAGS
    ]
    assert len(operations) >= 10
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=25,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case):
                case.call_and_validate()

            exercise()
