"""Flags that are not states: warnings, overdue marks, escalation, extensions, ratings."""

from datetime import UTC, datetime, timedelta

import pytest

from services.domain.events import ExtensionApproved, ExtensionRejected, Satisfaction
from services.domain.flags import (
    FlagFacts,
    FlagNotAllowed,
    decide_extension,
    escalate,
    mark_overdue,
    rate,
    request_extension,
    supervise,
    urge,
    warn,
)
from services.domain.states import CaseState, InvalidDetail

S = CaseState
AT = datetime(2025, 10, 9, 9, 0, tzinfo=UTC)
DUE = AT - timedelta(minutes=5)


def test_acknowledge_limit_runs_only_while_dispatched():
    event = mark_overdue(FlagFacts("C", S.dispatched), limit="acknowledge", due=DUE, at=AT)
    assert (event.type, event.limit, event.due, event.actor) == (
        "CaseOverdue",
        "acknowledge",
        DUE,
        None,
    )
    with pytest.raises(FlagNotAllowed):
        mark_overdue(FlagFacts("C", S.acknowledged), limit="acknowledge", due=DUE, at=AT)


@pytest.mark.parametrize("state", [S.dispatched, S.acknowledged])
def test_resolve_limit_warns_while_department_holds_case(state):
    assert warn(FlagFacts("C", state), limit="resolve", due=AT, at=DUE).type == "CaseWarned"


@pytest.mark.parametrize("state", [S.reported, S.resolved, S.closed, S.returned])
def test_no_resolve_limit_outside_department(state):
    with pytest.raises(FlagNotAllowed):
        warn(FlagFacts("C", state), limit="resolve", due=AT, at=DUE)


def test_overdue_before_due_and_unknown_limit_are_refused():
    with pytest.raises(InvalidDetail) as info:
        mark_overdue(FlagFacts("C", S.dispatched), limit="resolve", due=AT, at=DUE)
    assert info.value.field == "at"
    with pytest.raises(InvalidDetail) as info:
        warn(FlagFacts("C", S.dispatched), limit="verify", due=AT, at=DUE)
    assert info.value.field == "limit"


def test_escalation_goes_one_level_up_on_open_cases_only():
    event = escalate(FlagFacts("C", S.acknowledged, escalation_level=1), actor=None, at=AT)
    assert event.level == 2
    with pytest.raises(FlagNotAllowed):
        escalate(FlagFacts("C", S.closed), actor=None, at=AT)


def test_extension_request_and_decision():
    held = FlagFacts("C", S.acknowledged, department_code="SAN-1")
    asked = request_extension(
        held, actor="d", at=AT, requested_due=AT + timedelta(days=2), reason="parts"
    )
    assert (asked.type, asked.department_code) == ("ExtensionRequested", "SAN-1")
    pending = FlagFacts("C", S.acknowledged, extension_pending=True)
    with pytest.raises(FlagNotAllowed):
        request_extension(
            pending, actor="d", at=AT, requested_due=AT + timedelta(days=1), reason="x"
        )
    new_due = AT + timedelta(days=1)
    ok = decide_extension(pending, approve=True, actor="op", at=AT, new_due=new_due)
    assert isinstance(ok, ExtensionApproved) and ok.new_due == new_due
    no = decide_extension(pending, approve=False, actor="op", at=AT, reason="do it now")
    assert isinstance(no, ExtensionRejected)
    with pytest.raises(InvalidDetail) as info:
        decide_extension(pending, approve=True, actor="op", at=AT)
    assert info.value.field == "new_due"
    with pytest.raises(FlagNotAllowed):
        decide_extension(held, approve=True, actor="op", at=AT, new_due=new_due)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"reason": ""}, "reason"), ({"reason": "x", "requested_due": AT}, "requested_due")],
)
def test_extension_request_details_are_checked(kwargs, field):
    args = {"requested_due": AT + timedelta(hours=1), **kwargs}
    with pytest.raises(InvalidDetail) as info:
        request_extension(FlagFacts("C", S.dispatched), actor="d", at=AT, **args)
    assert info.value.field == field


def test_extension_needs_a_department_holding_the_case():
    with pytest.raises(FlagNotAllowed):
        request_extension(
            FlagFacts("C", S.resolved),
            actor="d",
            at=AT,
            requested_due=AT + timedelta(1),
            reason="x",
        )


def test_rating_only_once_after_closure():
    event = rate(FlagFacts("C", S.closed), rating="basically_satisfied", actor="r", at=AT)
    assert event.rating is Satisfaction.basically_satisfied
    assert event.as_payload()["rating"] == "basically_satisfied"
    with pytest.raises(FlagNotAllowed):
        rate(FlagFacts("C", S.closed, rated=True), rating="satisfied", actor="r", at=AT)
    with pytest.raises(FlagNotAllowed):
        rate(FlagFacts("C", S.resolved), rating="satisfied", actor="r", at=AT)
    with pytest.raises(InvalidDetail) as info:
        rate(FlagFacts("C", S.closed), rating="meh", actor="r", at=AT)
    assert info.value.field == "rating"


@pytest.mark.parametrize("state", [S.dispatched, S.acknowledged])
def test_a_case_a_department_holds_is_supervised_with_a_note(state):
    later = AT + timedelta(hours=2)
    case = FlagFacts("C", state, department_code="SAN-1")
    event = supervise(case, actor="op", at=AT, note=" 请尽快 ", respond_by=later)
    assert (event.type, event.actor, event.department_code) == ("CaseSupervised", "op", "SAN-1")
    assert (event.note, event.respond_by) == ("请尽快", later)
    assert supervise(case, actor="op", at=AT, note="请尽快").respond_by is None


@pytest.mark.parametrize("state", [s for s in S if s not in (S.dispatched, S.acknowledged)])
def test_no_department_holds_the_case_nothing_to_supervise(state):
    with pytest.raises(FlagNotAllowed):
        supervise(FlagFacts("C", state), actor="op", at=AT, note="请尽快")


def test_supervision_needs_a_note_and_a_later_answer_time():
    case = FlagFacts("C", S.dispatched, department_code="SAN-1")
    with pytest.raises(InvalidDetail) as no_note:
        supervise(case, actor="op", at=AT, note="  ")
    with pytest.raises(InvalidDetail) as too_early:
        supervise(case, actor="op", at=AT, note="请尽快", respond_by=AT)
    assert (no_note.value.field, too_early.value.field) == ("note", "respond_by")


@pytest.mark.parametrize("state", [S.dispatched, S.acknowledged])
def test_a_case_a_department_holds_is_urged_with_a_note(state):
    event = urge(FlagFacts("C", state, department_code="SAN-1"), actor="op", at=AT, note=" 催 ")
    assert (event.type, event.actor, event.department_code, event.note) == (
        "CaseUrged", "op", "SAN-1", "催")  # fmt: skip
    assert event.as_payload()["note"] == "催"


@pytest.mark.parametrize("state", [s for s in S if s not in (S.dispatched, S.acknowledged)])
def test_no_department_holds_the_case_nothing_to_urge(state):
    with pytest.raises(FlagNotAllowed):
        urge(FlagFacts("C", state), actor="op", at=AT, note="请尽快")


def test_urging_needs_a_note():
    with pytest.raises(InvalidDetail) as no_note:
        urge(FlagFacts("C", S.acknowledged), actor="op", at=AT, note=" ")
    assert no_note.value.field == "note"
