"""The case state machine: every allowed move, a sample of illegal ones, and the events."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.domain.events import CaseDispatched, CaseReworked, CaseVerified
from services.domain.states import (
    TRANSITIONS,
    CaseAction,
    CaseFacts,
    CaseState,
    IllegalTransition,
    InvalidDetail,
    allowed_actions,
    apply,
    is_closed,
    is_open,
)

S, A = CaseState, CaseAction
AT = datetime(2025, 10, 9, 9, 0, tzinfo=UTC)

# Every details set an action needs, so each allowed transition can be applied.
DETAILS = {
    A.reject: {"reason": "not a city matter"},
    A.merge: {"duplicate_of": "C-0001"},
    A.dispatch: {"department_code": "SAN-2"},
    A.return_: {"reason": "not ours"},
    A.unmerge: {"reason": "not the same place"},
}

EXPECTED = [
    (S.reported, A.register, S.registered, ["CaseRegistered"]),
    (S.reported, A.reject, S.rejected, ["CaseRejected"]),
    (S.reported, A.merge, S.merged, ["CaseMerged"]),
    (S.reported, A.close_on_spot, S.closed, ["CaseClosed"]),
    (S.registered, A.dispatch, S.dispatched, ["CaseDispatched"]),
    (S.dispatched, A.dispatch, S.dispatched, ["CaseDispatched"]),
    (S.dispatched, A.acknowledge, S.acknowledged, ["CaseAcknowledged"]),
    (S.dispatched, A.return_, S.returned, ["CaseReturned"]),
    (S.acknowledged, A.resolve, S.resolved, ["CaseResolved"]),
    (S.acknowledged, A.return_, S.returned, ["CaseReturned"]),
    (S.returned, A.dispatch, S.dispatched, ["CaseDispatched"]),
    (S.resolved, A.verify_pass, S.closed, ["CaseVerified", "CaseClosed"]),
    (S.resolved, A.verify_fail, S.dispatched, ["CaseVerified", "CaseReworked"]),
    (S.closed, A.revisit_rework, S.dispatched, ["CaseReworked"]),
    (S.merged, A.unmerge, S.reported, ["CaseUnmerged"]),
]


def test_table_holds_exactly_the_documented_moves():
    assert {(s, a): t for s, a, t, _ in EXPECTED} == TRANSITIONS


@pytest.mark.parametrize(("state", "action", "target", "types"), EXPECTED)
def test_every_allowed_transition_returns_new_state_and_events(state, action, target, types):
    case = CaseFacts("C-0002", state, department_code="SAN-1", merged_at=AT - timedelta(hours=2))
    result = apply(case, action, actor="op-7", at=AT, **DETAILS.get(action, {}))
    assert result.new_state is target
    assert [e.type for e in result.events] == types
    for event in result.events:
        assert event.case_id == "C-0002" and event.actor == "op-7" and event.at == AT
        json.dumps(event.as_payload())


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        (S.reported, A.dispatch, [A.register, A.reject, A.merge, A.close_on_spot]),
        (S.registered, A.acknowledge, [A.dispatch]),
        (S.dispatched, A.resolve, [A.dispatch, A.acknowledge, A.return_]),
        (S.acknowledged, A.verify_pass, [A.return_, A.resolve]),
        (S.returned, A.acknowledge, [A.dispatch]),
        (S.resolved, A.resolve, [A.verify_pass, A.verify_fail]),
        (S.closed, A.dispatch, [A.revisit_rework]),
        (S.rejected, A.register, []),
        (S.merged, A.register, [A.unmerge]),
    ],
)
def test_illegal_transition_lists_what_is_allowed(state, action, allowed):
    with pytest.raises(IllegalTransition) as info:
        apply(CaseFacts("C-1", state), action, actor="x", at=AT, **DETAILS.get(action, {}))
    assert info.value.state is state and info.value.action is action
    assert info.value.allowed == allowed == allowed_actions(state)
    assert action.value in str(info.value) and state.value in str(info.value)


def test_a_revisit_rework_counts_as_rework_with_new_due_times():
    case = CaseFacts("C-3", S.closed, department_code="SAN-1", rework_count=1)
    due = AT.replace(hour=AT.hour + 1)
    result = apply(case, A.revisit_rework, actor="op-1", at=AT, ack_due=due, resolve_due=due)
    [reworked] = result.events
    assert result.new_state is S.dispatched and result.rework_count == 2
    assert (reworked.department_code, reworked.rework_count, reworked.resolve_due) == (
        "SAN-1", 2, due)  # fmt: skip


def test_every_pair_outside_the_table_is_illegal():
    for state in CaseState:
        for action in CaseAction:
            if (state, action) not in TRANSITIONS:
                with pytest.raises(IllegalTransition):
                    apply(CaseFacts("C", state), action, actor=None, at=AT)


def test_open_and_closed_groups_partition_the_states():
    assert {s for s in CaseState if is_closed(s)} == {S.closed, S.rejected, S.merged}
    assert all(is_open(s) != is_closed(s) for s in CaseState)
    # a closed case is re-opened only by a revisit (回访) after a dissatisfied rating, a merged
    # one only by an un-merge within a day
    assert {s: allowed_actions(s) for s in CaseState if is_closed(s)} == {
        S.closed: [A.revisit_rework], S.rejected: [], S.merged: [A.unmerge]}  # fmt: skip
    assert all(allowed_actions(s) for s in CaseState if is_open(s))


def test_verify_fail_counts_rework_and_sends_back_to_same_department():
    due = AT + timedelta(hours=4)
    case = CaseFacts("C-9", S.resolved, department_code="SAN-1", rework_count=1)
    result = apply(case, A.verify_fail, actor="gw-1", at=AT, note="still dirty", resolve_due=due)
    assert result.rework_count == 2 and result.department_code == "SAN-1"
    verified, reworked = result.events
    assert isinstance(verified, CaseVerified) and verified.passed is False
    assert isinstance(reworked, CaseReworked)
    assert reworked.rework_count == 2 and reworked.resolve_due == due
    assert reworked.as_payload()["resolve_due"] == due.isoformat()


def test_verify_pass_keeps_rework_count():
    case = CaseFacts("C-9", S.resolved, department_code="SAN-1", rework_count=1)
    assert apply(case, A.verify_pass, actor="gw-1", at=AT).rework_count == 1


def test_redispatch_records_previous_department():
    case = CaseFacts("C-3", S.returned, department_code="SAN-1")
    result = apply(case, A.dispatch, actor="op", at=AT, department_code="ROAD-1")
    (event,) = result.events
    assert isinstance(event, CaseDispatched)
    assert (event.redispatch, event.previous_department_code) == (True, "SAN-1")
    assert result.department_code == "ROAD-1"
    first = apply(
        CaseFacts("C-4", S.registered), A.dispatch, actor="op", at=AT, **DETAILS[A.dispatch]
    )
    assert (first.events[0].redispatch, first.events[0].previous_department_code) == (False, None)


def test_operator_cannot_redispatch_to_the_same_department():
    case = CaseFacts("C-3", S.dispatched, department_code="SAN-1")
    with pytest.raises(InvalidDetail) as info:
        apply(case, A.dispatch, actor="op", at=AT, department_code="SAN-1")
    assert info.value.field == "department_code"


@pytest.mark.parametrize(
    ("state", "action", "details", "field"),
    [
        (S.registered, A.dispatch, {}, "department_code"),
        (S.reported, A.reject, {"reason": ""}, "reason"),
        (S.dispatched, A.return_, {}, "reason"),
        (S.reported, A.merge, {"duplicate_of": "C-1"}, "duplicate_of"),
        (S.reported, A.register, {"department": "x"}, "department"),
    ],
)
def test_missing_or_unknown_details_name_the_field(state, action, details, field):
    with pytest.raises(InvalidDetail) as info:
        apply(CaseFacts("C-1", state), action, actor="op", at=AT, **details)
    assert info.value.field == field


def test_naive_instant_is_refused():
    with pytest.raises(InvalidDetail) as info:
        apply(CaseFacts("C-1", S.reported), A.register, actor="op", at=datetime(2025, 1, 1))
    assert info.value.field == "at"


def test_actions_accept_their_string_values():
    result = apply(CaseFacts("C-1", "dispatched", "SAN-1"), "return", actor="d", at=AT, reason="x")
    assert result.new_state is S.returned
    assert result.events[0].as_payload() == {
        "case_id": "C-1",
        "actor": "d",
        "at": AT.isoformat(),
        "department_code": "SAN-1",
        "reason": "x",
    }


def test_first_dispatch_from_string_state_is_not_a_redispatch():
    result = apply(
        CaseFacts("C-1", "registered"), "dispatch", actor="o", at=AT, department_code="D"
    )
    assert result.events[0].redispatch is False
