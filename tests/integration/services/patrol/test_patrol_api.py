"""The patrol API over folded walks on the real database: tracks as GeoJSON, coverage with the
cells not patrolled for days, attendance (JSON and XLSX) and the 巡查台账 sheet of the monthly
ledger, each in the caller's scope; bad input named."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests.integration.patrol_tracks import ZONE, line, square_pair, today_start

TODAY = lambda: datetime.now(ZONE).date()  # noqa: E731


@pytest.fixture(scope="module")
def walks(patrol_app, engine, fold):
    """Worker `mine` walks across their own cell today and 4 days ago; worker `theirs`, bound
    to a cell of another street, walks there today."""
    from tests.integration.services.accounts import signed_in

    api = patrol_app.test_client()
    taken: set[str] = set()
    own, _ = square_pair(engine, taken)
    while True:
        far, _ = square_pair(engine, taken)
        if far.code[:9] != own.code[:9]:
            break
    mine, h_mine = signed_in(api, engine, "grid_worker", cells=(own.code,))
    theirs, h_theirs = signed_in(api, engine, "grid_worker", cells=(far.code,))
    lat, _ = own.middle
    start = today_start()
    today = line((lat, own.west + 0.0006), (lat, own.east - 0.0006), start)
    earlier = datetime.combine(TODAY() - timedelta(days=4), datetime.min.time(), ZONE)
    before = line((lat, own.west + 0.0006), (lat, own.east - 0.0006), earlier + timedelta(hours=9))
    far_lat, _ = far.middle
    there = line((far_lat, far.west + 0.0006), (far_lat, far.east - 0.0006), start)
    fold(mine, today)
    fold(mine, before)
    fold(theirs, there)
    op_street = signed_in(api, engine, "operator", jurisdiction=own.code[:9])[1]
    op_district = signed_in(api, engine, "operator", jurisdiction=own.code[:6])[1]
    return {"own": own, "far": far, "mine": mine, "theirs": theirs, "h_mine": h_mine,
            "h_theirs": h_theirs, "op_street": op_street, "op_district": op_district,
            "today": today, "before": before}  # fmt: skip


def _workers(resp) -> set[int]:
    return {f["properties"]["worker_id"] for f in resp.get_json()["features"]}


def test_a_worker_reads_their_own_track_of_today_as_geojson(api, walks):
    resp = api.get("/api/v1/patrol/tracks", headers=walks["h_mine"])
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["type"] == "FeatureCollection" and body["day"] == TODAY().isoformat()
    [feature] = body["features"]
    assert feature["properties"]["worker_id"] == walks["mine"]
    assert feature["geometry"]["type"] == "MultiLineString"
    first, last = walks["today"][0], walks["today"][-1]
    assert feature["geometry"]["coordinates"][0][0] == [first["lng"], first["lat"]]
    assert feature["geometry"]["coordinates"][0][-1] == [last["lng"], last["lat"]]
    assert feature["properties"]["patrol_s"] == 10 * (len(walks["today"]) - 1)
    assert feature["properties"]["own_cells_s"] == feature["properties"]["patrol_s"]


def test_a_worker_never_sees_another_workers_track(api, walks):
    resp = api.get(f"/api/v1/patrol/tracks?worker={walks['theirs']}", headers=walks["h_mine"])
    assert resp.status_code == 404
    assert resp.get_json()["error"]["field"] == "worker"


def test_a_street_operator_sees_their_streets_workers_only(api, walks):
    listed = api.get("/api/v1/patrol/tracks", headers=walks["op_street"])
    assert walks["mine"] in _workers(listed) and walks["theirs"] not in _workers(listed)
    one = api.get(f"/api/v1/patrol/tracks?worker={walks['mine']}", headers=walks["op_street"])
    assert _workers(one) == {walks["mine"]}
    other = api.get(f"/api/v1/patrol/tracks?worker={walks['theirs']}",
                    headers=walks["op_street"])  # fmt: skip
    assert other.status_code == 404
    district = api.get("/api/v1/patrol/tracks", headers=walks["op_district"])
    assert {walks["mine"], walks["theirs"]} <= _workers(district)


def test_coverage_of_today_and_cells_not_patrolled_for_days(api, walks):
    own, far = walks["own"].code, walks["far"].code
    mine = api.get("/api/v1/patrol/coverage", headers=walks["h_mine"]).get_json()
    assert [i["code"] for i in mine["items"]] == [own]
    [item] = mine["items"]
    assert 0.1 < item["share"] == item["own_share"] < 0.3
    assert item["last_patrolled"] == TODAY().isoformat() and item["idle"] is False
    assert mine["reach_m"] == 30.0 and mine["idle_days"] == 3
    # three days ago nobody walked there; four days ago the worker did
    day = (TODAY() - timedelta(days=1)).isoformat()
    street = api.get(f"/api/v1/patrol/coverage?day={day}", headers=walks["op_street"]).get_json()
    by_code = {i["code"]: i for i in street["items"]}
    assert far not in by_code
    assert by_code[own]["share"] == 0 and by_code[own]["idle"] is True
    assert by_code[own]["last_patrolled"] == (TODAY() - timedelta(days=4)).isoformat()
    day = (TODAY() - timedelta(days=2)).isoformat()
    within = api.get(f"/api/v1/patrol/coverage?day={day}&within={own}",
                     headers=walks["op_district"]).get_json()  # fmt: skip
    assert [(i["code"], i["idle"]) for i in within["items"]] == [(own, False)]


def test_attendance_over_a_period_in_json_and_xlsx(api, walks):
    period = f"from={(TODAY() - timedelta(days=6)).isoformat()}&to={TODAY().isoformat()}"
    body = api.get(f"/api/v1/patrol/attendance?{period}", headers=walks["op_street"]).get_json()
    rows = {i["worker_id"]: i for i in body["items"]}
    assert walks["theirs"] not in rows
    mine = rows[walks["mine"]]
    seconds = 10 * (len(walks["today"]) - 1) + 10 * (len(walks["before"]) - 1)
    assert mine["days_out"] == 2 and mine["hours"] == round(seconds / 3600, 2)
    assert mine["own_cells_share"] == 1.0 and 0.2 < mine["km"] < 0.35
    own_only = api.get(f"/api/v1/patrol/attendance?{period}", headers=walks["h_mine"]).get_json()
    assert [i["worker_id"] for i in own_only["items"]] == [walks["mine"]]
    sheet = api.get(f"/api/v1/patrol/attendance.xlsx?{period}", headers=walks["op_street"])
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(sheet.data)).active
    lines = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    username = mine["username"]
    assert lines[username][2:5] == (2, mine["hours"], mine["km"])


def test_the_monthly_ledger_carries_the_patrol_sheet(engine, walks, tmp_path):
    from services.ledger.export import export_ledgers

    community = walks["own"].code[:12]
    [path] = export_ledgers(engine, TODAY(), tmp_path, now=datetime.now(UTC),
                            community_codes=[community], formats=["xlsx"])  # fmt: skip
    book = load_workbook(path)
    assert book.sheetnames == ["台账", "汇总", "巡查台账"]
    lines = list(book["巡查台账"].iter_rows(min_row=4, values_only=True))
    today = [r for r in lines if r[0] == TODAY().isoformat()]
    assert len(today) >= 1 and all(r[6] > 0 for r in today)


@pytest.mark.parametrize(
    ("query", "field"),
    [("tracks?day=2026-13-01", "day"), ("tracks?worker=x", "worker"),
     ("coverage?within=12", "within"), ("attendance?from=2026-03-02&to=2026-03-01", "to"),
     ("attendance?from=2026-03-01", "to"), ("coverage?color=red", "color")],
)  # fmt: skip
def test_bad_input_is_a_422_naming_the_field(api, walks, query, field):
    resp = api.get(f"/api/v1/patrol/{query}", headers=walks["op_district"])
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["field"] == field


def test_department_staff_are_refused(api, engine, walks):
    from tests.integration.services.accounts import signed_in

    staff = signed_in(api, engine, "department_staff", department="sanitation")[1]
    assert api.get("/api/v1/patrol/coverage", headers=staff).status_code == 403
