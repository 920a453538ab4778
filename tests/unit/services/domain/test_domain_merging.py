"""Un-merging (撤销合并): a merged report goes back to `reported` within a day of its merge,
with the reason, the case it was merged into and the merge time on the event; a day and a
moment later it is refused with nothing allowed."""

from datetime import UTC, datetime, timedelta

import pytest

from services.domain.merging import UNMERGE_WINDOW, UnmergeTooLate, may_unmerge
from services.domain.states import CaseAction, CaseFacts, CaseState, InvalidDetail, apply

MERGED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _merged(merged_at=MERGED_AT) -> CaseFacts:
    return CaseFacts("C-9", CaseState.merged, merged_into="C-1", merged_at=merged_at)


def test_an_unmerge_within_a_day_sends_the_case_back_to_reported():
    at = MERGED_AT + UNMERGE_WINDOW  # the last instant of the window
    done = apply(_merged(), CaseAction.unmerge, actor="op-2", at=at, reason="不是同一处")
    [event] = done.events
    assert done.new_state is CaseState.reported
    assert (event.type, event.merged_into, event.merged_at, event.reason, event.actor) == (
        "CaseUnmerged", "C-1", MERGED_AT, "不是同一处", "op-2")  # fmt: skip
    assert event.as_payload()["merged_at"] == MERGED_AT.isoformat()


def test_an_unmerge_after_a_day_is_refused_with_nothing_allowed():
    late = MERGED_AT + UNMERGE_WINDOW + timedelta(seconds=1)
    with pytest.raises(UnmergeTooLate) as info:
        apply(_merged(), CaseAction.unmerge, actor="op-2", at=late, reason="晚了")
    assert (info.value.state, info.value.action, info.value.allowed) == ("merged", "unmerge", [])
    assert info.value.why == "unmerge_window"
    assert MERGED_AT.isoformat() in str(info.value)


def test_an_unmerge_without_a_known_merge_time_or_reason_is_refused():
    with pytest.raises(UnmergeTooLate):
        apply(_merged(None), CaseAction.unmerge, actor="op", at=MERGED_AT, reason="x")
    with pytest.raises(InvalidDetail) as info:
        apply(_merged(), CaseAction.unmerge, actor="op", at=MERGED_AT, reason="")
    assert info.value.field == "reason"


@pytest.mark.parametrize(
    ("state", "after", "expected"),
    [
        ("merged", timedelta(hours=23), True),
        ("merged", UNMERGE_WINDOW + timedelta(minutes=1), False),
        ("reported", timedelta(minutes=1), False),
        ("closed", timedelta(minutes=1), False),
    ],
)
def test_may_unmerge_only_a_merged_case_within_the_window(state, after, expected):
    assert may_unmerge(state, MERGED_AT, MERGED_AT + after) is expected
