"""Taking a merged report back out of the case it was merged into (撤销合并): allowed for
`UNMERGE_WINDOW` after the merge, by an operator, with a reason. The report's case goes back
to `reported` (the state it was merged from, see `states.TRANSITIONS`) to be registered or
rejected as its own case; the case it had been merged into counts one duplicate less.
Standard library only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.domain.events import CaseUnmerged

UNMERGE_WINDOW = timedelta(days=1)
MERGED = "merged"  # the state an un-merge leaves (states.CaseState.merged)


class UnmergeTooLate(Exception):
    """The un-merge comes more than `UNMERGE_WINDOW` after the merge: nothing may be done to
    the merged case any more (`.allowed` is empty). `.why` names the rule for a screen."""

    why = "unmerge_window"

    def __init__(self, merged_at: datetime | None) -> None:
        self.state, self.action, self.allowed = MERGED, "unmerge", []
        when = merged_at.isoformat() if merged_at else "an unknown time"
        super().__init__(
            f"cannot unmerge a case merged more than {UNMERGE_WINDOW} ago (merged at {when}); "
            "allowed: nothing"
        )


def may_unmerge(state: str, merged_at: datetime | None, now: datetime) -> bool:
    """Whether a case may be un-merged at `now`: it is merged, and its merge (`merged_at`, the
    instant of its last CaseMerged) is at most `UNMERGE_WINDOW` old. Called to list the
    actions a case allows and by `unmerged`."""
    return state == MERGED and merged_at is not None and now - merged_at <= UNMERGE_WINDOW


def unmerged(
    *,
    case_id: str,
    actor: str | None,
    at: datetime,
    merged_into: str | None,
    merged_at: datetime | None,
    reason: str,
) -> CaseUnmerged:
    """The `CaseUnmerged` event of an un-merge at `at` (called by `states.apply` once the state
    table allowed the move); raises `UnmergeTooLate` past the window."""
    if not may_unmerge(MERGED, merged_at, at):
        raise UnmergeTooLate(merged_at)
    return CaseUnmerged(case_id, actor, at, merged_into=merged_into or "", merged_at=merged_at,
                        reason=reason)  # fmt: skip
