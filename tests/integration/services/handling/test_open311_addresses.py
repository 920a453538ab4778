"""An Open311 request with an address and no coordinates: placed by the gazetteer when one
place has exactly that name (its point on the grid, as a phone report at that point would be),
else kept `outside` and waiting in the intake queue for an operator to place."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from services.auth.apikeys import create_client
from streams.cli import main
from tests.integration.services.handling.loop import captured_event, cell_point
from tests.processes import config_env

BASE = "/open311/v2"


@pytest.fixture()
def key(engine):
    with engine.begin() as conn:
        return create_client(conn, f"hotline-{uuid.uuid4().hex[:6]}")


def _import(config, tmp_path, lines: list[str]) -> None:
    path = tmp_path / f"places-{uuid.uuid4().hex[:8]}.csv"
    path.write_text("name,lat,lng,kind\n" + "".join(f"{x}\n" for x in lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["places", "import", str(path)], env=config_env(config))
    assert result.exit_code == 0, result.output


def _file(api, key: str, address: str) -> dict:
    resp = api.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "201001", "address_string": address,
        "description": "小区门口垃圾堆放"})  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()[0]


def _report(engine, report_id: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT placement, lat, lng, cell_code, community_code, street_code, district_code, "
            "address FROM report WHERE id = :id"), {"id": report_id}).mappings().one())  # fmt: skip


def _intake(api, admin) -> list[dict]:
    resp = api.get("/api/v1/operator/cases", headers=admin,
                   query_string={"queue": "intake", "per_page": 200})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_an_address_the_gazetteer_knows_is_placed_on_its_cell(
    api, engine, config, login, cases, key, tmp_path
):
    cell = cases.fresh_cell()
    lat, lng = cell_point(engine, cell)
    name = f"明海花园{uuid.uuid4().hex[:6]}"
    _import(config, tmp_path, [f"{name},{lat},{lng},compound"])

    made = _file(api, key, name)
    report = _report(engine, made["token"])
    assert report["placement"] == "inside" and report["cell_code"] == cell
    assert (report["street_code"], report["district_code"]) == (cell[:9], cell[:6])
    assert report["community_code"] is not None and cell.startswith(report["community_code"])
    assert report["lat"] == pytest.approx(lat) and report["lng"] == pytest.approx(lng)

    # the Open311 answer shows the address with the place's point, in JSON and XML
    [shown] = api.get(f"{BASE}/requests/{made['service_request_id']}.json",
                      query_string={"api_key": key}).get_json()  # fmt: skip
    assert shown["address"] == name
    assert shown["lat"] == pytest.approx(lat, abs=1e-4)
    assert shown["long"] == pytest.approx(lng, abs=1e-4)
    xml = ET.fromstring(api.get(f"{BASE}/requests/{made['service_request_id']}.xml",
                                query_string={"api_key": key}).data)  # fmt: skip
    assert float(xml.find("request/lat").text) == pytest.approx(lat, abs=1e-4)
    assert name in xml.find("request/address").text

    # the router takes it to the cell's case like any report there: not left for placing
    cases.route(captured_event(engine, made["token"]))
    admin = login("admin")[1]
    assert made["service_request_id"] not in {c["case_no"] for c in _intake(api, admin)}
    with engine.connect() as conn:
        case_id = conn.execute(text("SELECT id FROM case_file WHERE report_id = :r"),
                               {"r": made["token"]}).scalar_one()  # fmt: skip
    detail = api.get(f"/api/v1/operator/cases/{case_id}", headers=admin).get_json()
    assert detail["cell_code"] == cell and detail["address"] == name


@pytest.mark.parametrize("known", ["unknown", "ambiguous", "partial"])
def test_an_address_not_placed_by_name_waits_outside_for_an_operator(
    api, engine, config, login, cases, key, tmp_path, known
):
    mark = uuid.uuid4().hex[:6]
    cells = [cases.fresh_cell(), cases.fresh_cell()]
    points = [cell_point(engine, c) for c in cells]
    name = f"招宝山路{mark}"
    if known == "ambiguous":  # two places of that name at different points
        _import(config, tmp_path, [f"{name},{lat},{lng},road" for lat, lng in points])
    elif known == "partial":  # only a longer name holds it: no exact match
        _import(config, tmp_path, [f"{name}88号,{points[0][0]},{points[0][1]},poi"])

    made = _file(api, key, name)
    report = _report(engine, made["token"])
    assert report["placement"] == "outside"
    assert report["lat"] is None and report["cell_code"] is None and report["address"] == name
    [shown] = api.get(f"{BASE}/requests/{made['service_request_id']}.json").get_json()
    assert shown["address"] == name and shown["lat"] is None and shown["long"] is None

    cases.route(captured_event(engine, made["token"]))
    waiting = {c["case_no"]: c for c in _intake(api, login("admin")[1])}
    case = waiting[made["service_request_id"]]
    assert case["cell_code"] is None and case["address"] == name
