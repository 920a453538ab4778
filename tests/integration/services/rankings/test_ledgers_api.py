"""The monthly ledgers over HTTP: listed by the caller's place, written on demand when
missing and streamed; a community's leader gets their community's ledger alone."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from openpyxl import load_workbook

from tests.integration.services.accounts import signed_in
from tests.integration.services.rankings.fixture import COMMUNITY_A, COMMUNITY_B, DISTRICT


@pytest.fixture()
def ledger_api(config, make_app, tmp_path, ranked):
    app = make_app(dataclasses.replace(config, ledger_dir=str(tmp_path / "ledgers")))
    return app.test_client(), tmp_path / "ledgers"


def _login(client, engine, role, **scope):
    return signed_in(client, engine, role, **scope)[1]


def _get(client, url, headers):
    """The answer, read and closed (a file answer holds its file open until closed)."""
    resp = client.get(url, headers=headers)
    resp.get_data()
    resp.close()
    return resp


def test_listed_by_place_and_written_on_demand(ledger_api, engine):
    client, folder = ledger_api
    admin = _login(client, engine, "admin")
    listed = _get(client, "/api/v1/ledgers?month=2026-03", admin).get_json()
    codes = [i["community_code"] for i in listed["items"]]
    assert COMMUNITY_A in codes and COMMUNITY_B in codes
    assert not folder.exists()  # nothing written until asked for

    resp = _get(client, f"/api/v1/ledgers/file?community={COMMUNITY_A}&month=2026-03", admin)
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(resp.data))["台账"]
    lines = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(lines) == 9  # the community's nine cases of March, the rejected one too
    assert (folder / f"{COMMUNITY_A}-2026-03.xlsx").is_file()

    resp = _get(
        client, f"/api/v1/ledgers/file?community={COMMUNITY_B}&month=2026-03&format=csv", admin
    )
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and community B's one case


def test_a_community_leader_gets_their_community_alone(ledger_api, engine):
    client, _ = ledger_api
    leader = _login(client, engine, "leader", jurisdiction=COMMUNITY_A)
    listed = _get(client, "/api/v1/ledgers?month=2026-03", leader).get_json()
    assert [i["community_code"] for i in listed["items"]] == [COMMUNITY_A]
    own = _get(client, f"/api/v1/ledgers/file?community={COMMUNITY_A}&month=2026-03", leader)
    assert own.status_code == 200
    other = _get(client, f"/api/v1/ledgers/file?community={COMMUNITY_B}&month=2026-03", leader)
    assert other.status_code == 404
    assert other.get_json()["error"]["field"] == "community"
    district_operator = _login(client, engine, "operator", jurisdiction=DISTRICT)
    listed = _get(client, "/api/v1/ledgers?month=2026-03", district_operator).get_json()
    assert {i["community_code"] for i in listed["items"]} == {COMMUNITY_A, COMMUNITY_B}


@pytest.mark.parametrize(
    ("query", "field"),
    [("month=2026-13", "month"), ("month=26-03", "month"), ("", "month"),
     ("month=2026-03&community=1234", "community")],
)  # fmt: skip
def test_bad_input_names_the_field(ledger_api, engine, query, field):
    client, _ = ledger_api
    admin = _login(client, engine, "admin")
    resp = _get(client, f"/api/v1/ledgers?{query}", admin)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == field
    resp = _get(
        client, f"/api/v1/ledgers/file?community={COMMUNITY_A}&month=2026-03&format=pdf", admin
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "format"
