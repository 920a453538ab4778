"""Open311 GeoReport v2: spec-shaped JSON and XML, and requests entering the same case flow."""

import uuid
from datetime import datetime
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import text

from services.auth.apikeys import create_client
from tests.integration.services.accounts import signed_in
from tests.integration.services.capture.payloads import report_body

BASE = "/open311/v2"
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
}  # fmt: skip


@pytest.fixture(scope="module")
def api_key(engine):
    with engine.begin() as conn:
        return create_client(conn, f"hotline-{uuid.uuid4().hex[:6]}")


def file_request(api, key, point, **extra):
    form = {
        "api_key": key,
        "service_code": "201002",
        "lat": str(point.lat),
        "long": str(point.lng),
        "description": "人行道上有大量落叶和垃圾",
        "first_name": "张",
        "last_name": "三",
        "phone": "13800000000",
        "email": "zhang@example.cn",
        "attribute[landmark]": "鼓楼东侧",
        **extra,
    }
    return api.post(f"{BASE}/requests.json", data=form)


def test_discovery_and_services_in_json_and_xml(api):
    discovery = api.get(f"{BASE}/discovery.json").get_json()
    [endpoint] = discovery["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = ET.fromstring(api.get(f"{BASE}/discovery.xml").data)
    assert xml.tag == "discovery"
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json",
    ]  # fmt: skip

    services = api.get(f"{BASE}/services.json").get_json()
    assert len(services) >= 40
    garbage = next(s for s in services if s["service_code"] == "201001")
    assert set(garbage) == {
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"
    }  # fmt: skip
    assert garbage["service_name"] == "暴露垃圾" and garbage["type"] == "realtime"
    resp = api.get(f"{BASE}/services.xml")
    assert resp.mimetype == "text/xml"
    root = ET.fromstring(resp.data)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text in ("true", "false")

    definition = api.get(f"{BASE}/services/201001.json").get_json()
    assert definition["service_code"] == "201001"
    assert {a["code"] for a in definition["attributes"]} >= {"landmark"}
    for attribute in definition["attributes"]:
        assert {"variable", "code", "datatype", "required", "order", "description"} <= set(
            attribute
        )
    xml = ET.fromstring(api.get(f"{BASE}/services/201001.xml").data)
    assert xml.tag == "service_definition" and xml.find("attributes/attribute/code") is not None
    missing = api.get(f"{BASE}/services/999999.json")
    assert missing.status_code == 404
    assert missing.get_json()[0]["code"] == 404 and missing.get_json()[0]["description"]


def test_post_request_enters_the_case_flow_and_reads_back(api, engine, cells, api_key):
    resp = file_request(api, api_key, cells[0])
    assert resp.status_code == 201, resp.get_json()
    [created] = resp.get_json()
    request_id, token = created["service_request_id"], created["token"]
    assert request_id.startswith(cells[0].district)

    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT r.channel, r.reporter_id, r.reporter_phone, r.cell_code, o.key, "
                "o.envelope->'payload' AS payload FROM report r JOIN outbox o "
                "ON o.envelope->'payload'->>'report_id' = r.id::text WHERE r.case_no = :no"
            ),
            {"no": request_id},
        ).one()
    assert (row.channel, row.reporter_id, row.reporter_phone) == ("open311", None, "13800000000")
    assert row.cell_code == cells[0].code and row.key == cells[0].code
    assert row.payload["channel"] == "open311" and row.payload["category_code"] == "201002"
    assert "phone" not in str(row.payload) and "13800000000" not in str(row.payload)

    [shown] = api.get(f"{BASE}/requests/{request_id}.json?api_key={api_key}").get_json()
    assert set(shown) == REQUEST_FIELDS
    assert shown["status"] == "open" and shown["service_code"] == "201002"
    assert shown["lat"] == pytest.approx(cells[0].lat) and shown["long"] == pytest.approx(
        cells[0].lng
    )
    requested = datetime.fromisoformat(shown["requested_datetime"])
    assert datetime.fromisoformat(shown["expected_datetime"]) > requested
    assert "13800000000" not in str(shown) and "zhang@" not in str(shown)

    xml = ET.fromstring(api.get(f"{BASE}/requests/{request_id}.xml").data)
    assert xml.tag == "service_requests"
    assert xml.find("request/service_request_id").text == request_id
    assert xml.find("request/status").text == "open"
    assert xml.find("request/agency_responsible") is not None

    [by_token] = api.get(f"{BASE}/tokens/{token}.json").get_json()
    assert by_token == {"service_request_id": request_id, "token": token}
    assert api.get(f"{BASE}/tokens/{uuid.uuid4()}.json").status_code == 404


def test_get_requests_filters(api, engine, cells, api_key, worker):
    mine = file_request(api, api_key, cells[1], service_code="201004").get_json()[0]
    _, headers = worker
    grid = api.post("/api/v1/reports", json=report_body(cells[0]), headers=headers).get_json()

    by_code = api.get(f"{BASE}/requests.json?service_code=201004").get_json()
    assert mine["service_request_id"] in {r["service_request_id"] for r in by_code}
    assert {r["service_code"] for r in by_code} == {"201004"}
    both = api.get(
        f"{BASE}/requests.json?service_request_id={mine['service_request_id']},{grid['case_no']}"
    ).get_json()
    # a grid worker's report is internal: the public list never shows it
    assert {r["service_request_id"] for r in both} == {mine["service_request_id"]}
    assert api.get(f"{BASE}/requests.json?status=closed&service_code=201004").get_json() == []
    opened = api.get(f"{BASE}/requests.json?status=open&service_code=201004").get_json()
    assert mine["service_request_id"] in {r["service_request_id"] for r in opened}
    past = api.get(
        f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z"
    ).get_json()
    assert past == []
    xml = ET.fromstring(api.get(f"{BASE}/requests.xml?service_code=201004").data)
    assert len(xml.findall("request")) == len(by_code)
    bad = api.get(f"{BASE}/requests.json?status=pending")
    assert bad.status_code == 400 and bad.get_json()[0]["field"] == "status"
    bad = api.get(f"{BASE}/requests.json?start_date=yesterday")
    assert bad.status_code == 400 and bad.get_json()[0]["field"] == "start_date"


def test_post_request_errors_are_spec_shaped_and_name_the_field(api, cells, api_key):
    cases = [
        ({"api_key": "wrong"}, 403, "api_key"),
        ({"service_code": "999999"}, 400, "service_code"),
        ({"lat": "north"}, 400, "lat"),
        ({"long": ""}, 400, "long"),
        ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
        ({"email": "not-an-email"}, 400, "email"),
    ]
    for change, status, field in cases:
        resp = file_request(api, api_key, cells[0], **change)
        assert resp.status_code == status, (change, resp.get_json())
        [error] = resp.get_json()
        assert error["code"] == status and field in error["description"]
    no_place = api.post(f"{BASE}/requests.xml", data={"api_key": api_key, "service_code": "201002"})
    assert no_place.status_code == 400
    root = ET.fromstring(no_place.data)
    assert root.tag == "errors" and root.find("error/code").text == "400"


def test_an_address_without_coordinates_is_accepted_outside_the_grid(api, api_key):
    resp = api.post(
        f"{BASE}/requests.json",
        data={"api_key": api_key, "service_code": "205004", "address_string": "镇海区某路口"},
    )
    assert resp.status_code == 201
    [shown] = api.get(f"{BASE}/requests/{resp.get_json()[0]['service_request_id']}.json").get_json()
    assert shown["address"] == "镇海区某路口" and shown["lat"] is None


def test_open311_requests_are_visible_to_the_operators_of_their_place(api, engine, cells, api_key):
    created = file_request(api, api_key, cells[0]).get_json()[0]
    _, operator = signed_in(api, engine, "operator", jurisdiction=cells[0].district)
    url = f"/api/v1/reports/{created['token']}"
    body = api.get(url, headers=operator).get_json()
    assert body["channel"] == "open311" and body["case_no"] == created["service_request_id"]


FIELDS = [
    "api_key", "service_code", "lat", "long", "address_string", "email", "phone",
    "description", "media_url", "attribute[landmark]", "attribute[ongoing]", "first_name",
]  # fmt: skip


def test_no_form_input_gives_a_server_error(api, api_key):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    values = st.one_of(st.text(max_size=40), st.just(api_key), st.sampled_from(["201001", "30.0"]))

    @given(
        form=st.dictionaries(st.sampled_from(FIELDS), values), fmt=st.sampled_from(["json", "xml"])
    )
    @settings(
        max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def post(form, fmt):
        resp = api.post(f"{BASE}/requests.{fmt}", data=form)
        assert resp.status_code < 500, resp.data
        assert resp.mimetype == ("text/xml" if fmt == "xml" else "application/json")

    post()
    for path in (
        "requests/%00.json",
        "services/%00.xml",
        "tokens/%00.json",
        "requests.json?status=%00",
    ):
        resp = api.get(f"{BASE}/{path}")
        assert 400 <= resp.status_code < 500, path


def test_the_public_sees_only_published_requests_with_rounded_coordinates(
    api, engine, cells, api_key, worker
):
    mine = file_request(api, api_key, cells[2]).get_json()[0]["service_request_id"]
    grid = api.post("/api/v1/reports", json=report_body(cells[2]), headers=worker[1]).get_json()
    assert api.get(f"{BASE}/requests/{grid['case_no']}.json").status_code == 404
    listed = api.get(f"{BASE}/requests.json?page_size=200").get_json()
    assert grid["case_no"] not in {r["service_request_id"] for r in listed}

    [public] = api.get(f"{BASE}/requests/{mine}.json").get_json()
    assert (public["lat"], public["long"]) == (round(cells[2].lat, 3), round(cells[2].lng, 3))
    [own] = api.get(f"{BASE}/requests/{mine}.json?api_key={api_key}").get_json()
    assert own["lat"] == pytest.approx(cells[2].lat, abs=1e-9)
    other_key = create_client_key(engine)
    [theirs] = api.get(f"{BASE}/requests/{mine}.json?api_key={other_key}").get_json()
    assert theirs["lat"] == round(cells[2].lat, 3)
    wrong = api.get(f"{BASE}/requests.json?api_key=wrong")
    assert wrong.status_code == 403 and wrong.get_json()[0]["field"] == "api_key"


def test_the_list_has_a_bounded_window_and_page(api, cells, api_key):
    for _ in range(2):
        file_request(api, api_key, cells[3])
    wide = api.get(f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z")
    assert wide.status_code == 400 and wide.get_json()[0]["field"] == "start_date"
    too_many = api.get(f"{BASE}/requests.json?page_size=5000")
    assert too_many.status_code == 400 and too_many.get_json()[0]["field"] == "page_size"
    first = api.get(f"{BASE}/requests.json?page_size=1").get_json()
    second = api.get(f"{BASE}/requests.json?page_size=1&page=2").get_json()
    assert len(first) == len(second) == 1 and first != second


def test_a_moderated_request_shows_neither_its_text_nor_its_media(api, engine, cells, api_key):
    made = file_request(api, api_key, cells[4], media_url="https://photos.example.cn/1.jpg")
    request_id = made.get_json()[0]["service_request_id"]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE report SET redacted = true, photos_hidden = true WHERE case_no = :no"),
            {"no": request_id},
        )
    for key in ("", f"?api_key={api_key}"):
        [shown] = api.get(f"{BASE}/requests/{request_id}.json{key}").get_json()
        assert shown["media_url"] is None and shown["description"] is None


def create_client_key(engine) -> str:
    with engine.begin() as conn:
        return create_client(conn, f"app-{uuid.uuid4().hex[:6]}")


def test_a_control_character_is_refused_and_never_breaks_the_xml(api, engine, cells, api_key):
    for field in ("description", "first_name", "address_string"):
        resp = file_request(api, api_key, cells[5], **{field: "bad\x01char"})
        assert resp.status_code == 400, resp.get_json()
        assert resp.get_json()[0]["field"] == field
    as_json = api.post(f"{BASE}/requests.json", json={
        "api_key": api_key, "service_code": "201002", "lat": cells[5].lat,
        "long": cells[5].lng, "description": "bad\u0001char"})  # fmt: skip
    assert as_json.status_code == 400 and as_json.get_json()[0]["field"] == "description"
    # a text stored before the door was shut still gives every client well-formed XML
    request_id = file_request(api, api_key, cells[5]).get_json()[0]["service_request_id"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE report SET description = 'bad' || chr(1) || 'char' "
                          "WHERE case_no = :no"), {"no": request_id})  # fmt: skip
    for path in (f"requests/{request_id}.xml", "requests.xml"):
        root = ET.fromstring(api.get(f"{BASE}/{path}").data)
        assert "bad\ufffdchar" in [d.text for d in root.iter("description")]
