"""What a reporter is told of a milestone, and by which channel."""

import uuid
from datetime import UTC, datetime

from services.config import Config
from services.notify.messages import notifications_for

EVENT_ID, CASE_ID, REPORT_ID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _event(type_: str = "CaseDispatched", **payload) -> dict:
    return {"event_id": EVENT_ID, "type": type_, "occurred_at": AT, "case_id": CASE_ID,
            "payload": {"resolve_due": "2026-12-08T03:30:00+00:00", **payload}}  # fmt: skip


def _reporter(**changes) -> dict:
    return {"report_id": REPORT_ID, "case_no": "330211202612070001", "channel": "open311",
            "reporter_phone": "13912345678", "hidden": False, "client_id": 7,
            "webhook_url": "https://app.example.cn/hook", "webhook_secret": "s",
            "agency_responsible": "镇海区环境卫生管理处", "agency_responsible_en": "",
            **changes}  # fmt: skip


CONFIG = Config(sms_gateway_url="http://sms.local/send", public_url="https://12345.example.cn/")


def test_an_open311_request_is_told_through_its_clients_webhook():
    [row] = notifications_for(_event(), _reporter(), CONFIG)
    assert (row["recipient"], row["channel"], row["target"]) == (
        "webhook:7", "webhook", "https://app.example.cn/hook")  # fmt: skip
    assert row["body"]["status"] == "open" and row["body"]["token"] == str(REPORT_ID)
    assert row["body"]["status_notes"] == "已派遣至镇海区环境卫生管理处，应于 12月8日 11:30 前处置"
    assert notifications_for(_event(), _reporter(webhook_url=None), CONFIG) == []


def test_a_hotline_caller_is_told_by_sms_with_the_tracking_link():
    [row] = notifications_for(_event("CaseClosed"), _reporter(channel="hotline"), CONFIG)
    assert (row["recipient"], row["channel"], row["target"]) == (
        "sms:13912345678", "sms", "http://sms.local/send")  # fmt: skip
    assert row["body"]["text"] == (
        f"您反映的问题（330211202612070001）已办结。查询进度：https://12345.example.cn/t/{REPORT_ID}"
    )
    assert notifications_for(_event(), _reporter(channel="hotline"), Config()) == []  # no gateway


def test_nothing_for_a_non_milestone_a_hidden_report_or_no_reporter():
    assert notifications_for(_event("CaseAcknowledged"), _reporter(), CONFIG) == []
    assert notifications_for(_event(), _reporter(hidden=True), CONFIG) == []
    assert notifications_for(_event(), None, CONFIG) == []


def test_a_district_with_its_own_gateway_texts_through_it_the_others_through_the_global_one():
    own = '{"330212": {"url": "http://sms.yinzhou.local/api", "format": "form"}}'
    config = CONFIG.with_(sms_gateways=own)
    hotline = _reporter(channel="hotline", district_code="330212")
    [row] = notifications_for(_event(), hotline, config)
    assert row["target"] == "http://sms.yinzhou.local/api"
    assert row["body"]["district_code"] == "330212"
    [row] = notifications_for(_event(), {**hotline, "district_code": "330211"}, config)
    assert row["target"] == "http://sms.local/send"
    [row] = notifications_for(_event(), {**hotline, "district_code": None}, config)
    assert row["target"] == "http://sms.local/send"
    # a district's own gateway is enough, with no global one
    [row] = notifications_for(_event(), hotline, Config(sms_gateways=own))
    assert row["target"] == "http://sms.yinzhou.local/api"
    assert notifications_for(_event(), {**hotline, "district_code": "330211"},
                             Config(sms_gateways=own)) == []  # fmt: skip


def test_the_grid_worker_who_reported_is_told_in_the_phone_app_in_both_languages():
    worker = _reporter(channel="grid", reporter_id=42, webhook_url=None, reporter_phone=None)
    [row] = notifications_for(_event(), worker, CONFIG)
    assert (row["recipient"], row["channel"]) == ("app:42", "app")
    body = row["body"]
    assert (body["case_no"], body["report_id"], body["status"]) == (
        "330211202612070001", str(REPORT_ID), "dispatched")  # fmt: skip
    assert body["text_zh"] == "已派遣至镇海区环境卫生管理处，应于 12月8日 11:30 前处置"
    assert body["text_en"] == "Dispatched to 镇海区环境卫生管理处; due by 8 Dec 11:30"
    [resolved] = notifications_for(_event("CaseResolved"), worker, CONFIG)
    assert resolved["body"]["text_zh"] == "镇海区环境卫生管理处已处置完毕，等待现场核查"
    # a worker's report is never texted or posted to a webhook, whatever its row holds
    assert [r["channel"] for r in notifications_for(_event(), {**worker, "reporter_phone":
            "13912345678", "webhook_url": "https://x"}, CONFIG)] == ["app"]  # fmt: skip
    assert notifications_for(_event(), {**worker, "reporter_id": None}, CONFIG) == []
