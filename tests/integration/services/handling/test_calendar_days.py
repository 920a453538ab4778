"""The admin's calendar days: a year's holidays entered before the official data has them,
shown on the admin's calendar, audited, and used by the time limits from then on; removing a
day gives it back to the official calendar. On a database of its own, since closing days
would move every other test's time limits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.calendars import covered_years
from tests.integration.apps import media_app
from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import CaseMaker
from tests.integration.services.live.isolated import own_engine, own_stack

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED_DAYS = 20


@pytest.fixture(scope="module")
def calendar_stack(config):
    with own_stack(config, "calendar") as own:
        yield own


@pytest.fixture(scope="module")
def own(calendar_stack, tmp_path_factory):
    from geo.demo import load_demo
    from services.routing.rulefile import load_demo_rules

    with own_engine(calendar_stack) as engine:
        load_demo(engine)
        load_demo_rules(engine, actor="test")
        for app in media_app(calendar_stack, tmp_path_factory, rate_limit_per_minute=10_000):
            yield app.test_client(), engine


@pytest.fixture(scope="module")
def admin(own):
    api, engine = own
    return signed_in(api, engine, "admin")[1]


def _days(api, admin, days: list[dict]):
    return api.put("/api/v1/admin/calendar/days", json={"days": days}, headers=admin)


def _local_day(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).date()


def test_a_missing_year_is_named_until_its_holidays_are_entered(own, admin):
    api, _ = own
    calendar = api.get("/api/v1/admin/calendar", headers=admin).get_json()
    assert calendar["timezone"] == "Asia/Shanghai"
    assert calendar["office_hours"] == [["08:30", "12:00"], ["13:30", "17:30"]]
    assert calendar["official_years"] == sorted(covered_years())
    this_year = datetime.now(SHANGHAI).year
    expected = [y for y in (this_year, this_year + 1) if y not in calendar["official_years"]]
    assert calendar["missing_years"] == expected

    year = max(calendar["official_years"]) + 1
    notice = [
        {"day": f"{year}-01-01", "working": False, "note": "元旦"},
        {"day": f"{year}-02-06", "working": True, "note": "春节调休上班"},
    ]
    saved = _days(api, admin, notice)
    assert saved.status_code == 200, saved.get_json()
    assert [(d["day"], d["working"], d["note"]) for d in saved.get_json()["items"]] == [
        (d["day"], d["working"], d["note"]) for d in notice
    ]
    after = api.get(f"/api/v1/admin/calendar?year={year}", headers=admin).get_json()
    assert year not in after["missing_years"]
    assert [d["day"] for d in after["days"]] == [f"{year}-01-01", f"{year}-02-06"]
    assert all(d["updated_by"].startswith("admin-") for d in after["days"])

    trail = api.get(f"/api/v1/audit?object=calendar_override:{year}-01-01", headers=admin)
    [entry] = trail.get_json()["items"]
    assert entry["action"] == "calendar_override.insert"
    assert entry["actor"].startswith("admin-")


def test_closed_days_move_the_time_limits_and_removing_them_gives_them_back(own, admin):
    api, engine = own
    login = lambda role, **scope: signed_in(api, engine, role, **scope)  # noqa: E731
    case = CaseMaker(api, engine, login).case("104001")
    operator = login("operator", jurisdiction="330211")[1]
    today = datetime.now(SHANGHAI).date()
    closed = [today + timedelta(days=i) for i in range(CLOSED_DAYS)]

    def move_to(department: str) -> date:
        resp = api.post(
            f"/api/v1/operator/cases/{case['id']}/dispatch",
            json={"department_code": department},
            headers=operator,
        )
        assert resp.status_code == 200, resp.get_json()
        return _local_day(resp.get_json()["resolve_due"])

    days = [{"day": d.isoformat(), "working": False, "note": "停工"} for d in closed]
    assert _days(api, admin, days).status_code == 200
    assert move_to("sanitation") >= today + timedelta(days=CLOSED_DAYS)

    for day in closed:
        resp = api.delete(f"/api/v1/admin/calendar/days/{day.isoformat()}", headers=admin)
        assert resp.status_code == 204
    assert move_to("greening") < today + timedelta(days=CLOSED_DAYS)


def test_bad_days_are_refused_naming_the_field(own, admin):
    api, _ = own
    twice = _days(api, admin, [{"day": "2099-03-01", "working": False},
                               {"day": "2099-03-01", "working": True}])  # fmt: skip
    assert twice.status_code == 422
    assert twice.get_json()["error"]["field"] == "days[1].day"
    not_a_day = _days(api, admin, [{"day": "2099-02-30", "working": False}])
    assert not_a_day.status_code == 422
    assert not_a_day.get_json()["error"]["field"] == "days[0].day"
    assert _days(api, admin, []).get_json()["error"]["field"] == "days"
    bad_path = api.delete("/api/v1/admin/calendar/days/yesterday", headers=admin)
    assert bad_path.status_code == 400 and bad_path.get_json()["error"]["field"] == "day"
    none = api.delete("/api/v1/admin/calendar/days/2099-04-01", headers=admin)
    assert none.status_code == 404 and none.get_json()["error"]["field"] == "day"
    assert api.get("/api/v1/admin/calendar?year=1999", headers=admin).status_code == 422
