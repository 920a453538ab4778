"""Supervision notices (通报): the scheduler's job writes the last month's notice of every
district and street; listed and downloaded by scope, each download audited; the PDF's
Chinese text extracts back with pdftotext; a community's leader gets no street notice."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from streams.scheduler import notices_job
from tests.integration.services.accounts import signed_in
from tests.integration.services.rankings.fixture import COMMUNITY_A, DISTRICT, STREET

APRIL_2ND = datetime(2026, 4, 2, 3, tzinfo=UTC)  # March is the last whole month


@pytest.fixture(scope="module")
def written(config, engine, ranked):
    ids = notices_job(engine, config, clock=lambda: APRIL_2ND)
    assert ids
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT jurisdiction_code, id FROM supervision_notice WHERE kind = 'monthly' "
            "AND first_day = '2026-03-01' AND jurisdiction_code IN (:d, :s)"),
            {"d": DISTRICT, "s": STREET}).all()  # fmt: skip
    return dict(rows)


def _get(api, url, headers):
    resp = api.get(url, headers=headers)
    resp.get_data()
    resp.close()
    return resp


def test_the_monthly_notice_holds_the_figures(api, engine, written):
    admin = signed_in(api, engine, "admin")[1]
    body = _get(api, f"/api/v1/notices/{written[STREET]}", admin).get_json()["body"]
    assert body["title"].startswith(STREET) and "月度督办通报" in body["title"]
    assert body["totals"]["cases"] == 9
    assert [(r["code"], r["rank"]) for r in body["departments"]] == [("rk-b", 1), ("rk-a", 2)]
    assert body["places_level"] == "community"
    assert {r["code"] for r in body["places"]} == {COMMUNITY_A, STREET + "002"}
    # Two open cases past their due time (28 March) as of the month's end.
    assert len(body["overdue"]) == 2 and all(
        o["department_code"] == "rk-a" for o in body["overdue"]
    )
    again = notices_job(engine, api.application.extensions["gridflow"].config,
                        clock=lambda: APRIL_2ND)  # fmt: skip
    assert written[STREET] in again  # rewritten, not duplicated


def test_the_pdf_text_extracts_back_in_chinese_and_the_download_is_audited(api, engine, written,
                                                                           tmp_path):  # fmt: skip
    _, admin = signed_in(api, engine, "admin")
    resp = _get(api, f"/api/v1/notices/{written[DISTRICT]}/file?format=pdf", admin)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(resp.data)
    extracted = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                               capture_output=True, text=True).stdout  # fmt: skip
    for phrase in ("月度督办通报", "总体情况", "部门排名", "街道排名", "按期结案率",
                   "超期时间最长的案件", "退回最多的类别", "群众满意度"):  # fmt: skip
        assert phrase in extracted, phrase
    with engine.connect() as conn:
        audited = conn.execute(text(
            "SELECT detail->>'format' FROM audit_log WHERE action = 'notice.download' "
            "AND subject = :s ORDER BY id DESC LIMIT 1"), {"s": f"notice:{written[DISTRICT]}"},
        ).scalar()  # fmt: skip
    assert audited == "pdf"
    sheet = load_workbook(
        io.BytesIO(_get(api, f"/api/v1/notices/{written[DISTRICT]}/file?format=xlsx", admin).data)
    )
    assert sheet.sheetnames == ["总体", "部门排名", "街道排名", "超期案件", "退回类别"]
    page = _get(api, f"/api/v1/notices/{written[DISTRICT]}/file?format=html", admin)
    assert page.mimetype == "text/html" and "style-src 'sha256-" in page.headers[
        "Content-Security-Policy"]  # fmt: skip


def test_listed_and_downloadable_by_scope(api, engine, written):
    street_leader = signed_in(api, engine, "leader", jurisdiction=STREET)[1]
    listed = {i["id"] for i in _get(api, "/api/v1/notices", street_leader).get_json()["items"]}
    assert written[STREET] in listed and written[DISTRICT] not in listed
    assert _get(api, f"/api/v1/notices/{written[DISTRICT]}/file", street_leader).status_code == 404
    community_leader = signed_in(api, engine, "leader", jurisdiction=COMMUNITY_A)[1]
    assert _get(api, "/api/v1/notices", community_leader).get_json()["items"] == []
    refused = _get(api, f"/api/v1/notices/{written[STREET]}", community_leader)
    assert refused.status_code == 404 and refused.get_json()["error"]["field"] == "notice_id"
    bad = _get(api, f"/api/v1/notices/{written[STREET]}/file?format=doc", street_leader)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "format"
