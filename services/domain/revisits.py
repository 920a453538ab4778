"""Revisits (回访): a 不满意 rating is not the end of a case. It opens a revisit task; an
operator calls the reporter back and closes the task with a note (the case stays closed), or
re-opens the case to its department as rework (`states.CaseAction.revisit_rework`). Standard
library only; the handlers in services.cases.revisits write what these rules decide.
"""

from __future__ import annotations

from datetime import datetime

from services.domain.events import RevisitClosed, RevisitOpened, Satisfaction
from services.domain.flags import FlagFacts, FlagNotAllowed
from services.domain.states import CaseState, InvalidDetail

OUTCOMES = ("closed", "rework")


def open_revisit(
    case: FlagFacts, *, rating: Satisfaction, actor: str | None, at: datetime, due: datetime
) -> RevisitOpened | None:
    """Called right after a rating is recorded: the `RevisitOpened` a dissatisfied rating
    causes (due at `due`, counted in working time by the caller), else None."""
    if Satisfaction(rating) is not Satisfaction.dissatisfied:
        return None
    return RevisitOpened(case_id=case.case_id, actor=actor, at=at, due=due)


def close_revisit(
    case: FlagFacts,
    *,
    revisit_open: bool,
    outcome: str,
    note: str,
    rating_after: str | None,
    actor: str | None,
    at: datetime,
) -> RevisitClosed:
    """The `RevisitClosed` of an operator's call-back. Raises `FlagNotAllowed` unless the case
    is closed with an open revisit (and, for "rework", a department that handled it);
    `InvalidDetail` for an unknown outcome, an empty note or a
    rating outside `Satisfaction`. A "rework" outcome also needs `states.apply(...,
    revisit_rework)` for the case itself."""
    if not revisit_open:
        raise FlagNotAllowed("revisit", case.state, "the case has no open revisit")
    if CaseState(case.state) is not CaseState.closed:
        raise FlagNotAllowed("revisit", case.state, "only a closed case is revisited")
    if outcome not in OUTCOMES:
        raise InvalidDetail("outcome", f"one of {', '.join(OUTCOMES)}")
    if outcome == "rework" and case.department_code is None:
        raise FlagNotAllowed("revisit", case.state, "handled on the spot: no department to "
                             "send it back to; close the revisit with a note")  # fmt: skip
    if not note.strip():
        raise InvalidDetail("note", "say what the reporter was told and answered")
    after = None
    if rating_after is not None:
        try:
            after = Satisfaction(rating_after)
        except ValueError:
            raise InvalidDetail("rating_after", f"one of {', '.join(Satisfaction)}") from None
    return RevisitClosed(case_id=case.case_id, actor=actor, at=at, outcome=outcome,
                         note=note.strip(), rating_after=after)  # fmt: skip
