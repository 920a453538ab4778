"""Revisits (回访): only a 不满意 rating opens one; closing it needs an open revisit on a closed
case, a known outcome and a note."""

from datetime import UTC, datetime, timedelta

import pytest

from services.domain.events import RevisitOpened, Satisfaction
from services.domain.flags import FlagFacts, FlagNotAllowed
from services.domain.revisits import close_revisit, open_revisit
from services.domain.states import CaseState, InvalidDetail

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CLOSED = FlagFacts("C-1", CaseState.closed, department_code="SAN-1", rated=True)


def test_only_a_dissatisfied_rating_opens_a_revisit():
    due = AT + timedelta(hours=8)
    opened = open_revisit(CLOSED, rating=Satisfaction.dissatisfied, actor="reporter", at=AT,
                          due=due)  # fmt: skip
    assert opened == RevisitOpened(case_id="C-1", actor="reporter", at=AT, due=due)
    for rating in (Satisfaction.satisfied, Satisfaction.basically_satisfied):
        assert open_revisit(CLOSED, rating=rating, actor=None, at=AT, due=due) is None


def test_closing_a_revisit_needs_an_open_one_an_outcome_and_a_note():
    def close(case=CLOSED, **changes):
        args = {"revisit_open": True, "outcome": "closed", "note": "已向市民解释", "at": AT,
                "rating_after": "basically_satisfied", "actor": "op", **changes}  # fmt: skip
        return close_revisit(case, **args)

    done = close()
    assert (done.outcome, done.note, done.rating_after) == (
        "closed", "已向市民解释", Satisfaction.basically_satisfied)  # fmt: skip
    assert close(rating_after=None).rating_after is None
    with pytest.raises(FlagNotAllowed):
        close(revisit_open=False)
    with pytest.raises(FlagNotAllowed):
        close(case=FlagFacts("C-1", CaseState.dispatched, rated=True))
    on_the_spot = FlagFacts("C-1", CaseState.closed, department_code=None, rated=True)
    assert close(case=on_the_spot).outcome == "closed"
    with pytest.raises(FlagNotAllowed):
        close(case=on_the_spot, outcome="rework")
    for field, change in (("outcome", {"outcome": "ignore"}), ("note", {"note": "  "}),
                          ("rating_after", {"rating_after": "great"})):  # fmt: skip
        with pytest.raises(InvalidDetail) as info:
            close(**change)
        assert info.value.field == field
