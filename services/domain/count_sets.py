"""The counts of a ranking (`services.domain.ranking.counts_of`) as sets of cases, so that a
rate counts in its numerator only the members of its denominator and stays within [0, 1] by
construction, whatever denominator a scheme gives it.

A denominator `A − B` is the cases of A that are not in B; its rate's numerator N is then
|N ∩ A| − |N ∩ B|, never the whole of N. 结案率 over 应结案 − 缓办 (due − postponed) thus counts
the closed cases that were not postponed: counting every closure over a denominator that
leaves the postponed ones out gave rates above 1 (1.076 on the demo district's history).

Pure: `PARENTS` says which count lies within which, `DISJOINT` which share no case and
`MEETS` names the count of an intersection that is neither; `numerator_parts` is checked when
a scheme is loaded, so an expression whose numerator cannot be counted is refused there.
"""

from __future__ import annotations

import functools

# Each count lies within these (transitively). The event counts follow the same rule: a
# failed verification sends back one resolution.
PARENTS: dict[str, tuple[str, ...]] = {
    "registered": ("filed",),
    "due": ("registered",),
    "closed": ("due",),
    "on_time": ("closed",),
    "postponed": ("due",),
    "closed_postponed": ("closed", "postponed"),
    "overdue_pending": ("due",),
    "pending_on_time": ("registered",),
    "dispatched": ("registered",),
    "extended": ("dispatched",),
    "rated": ("registered",),
    "satisfied_or_basic": ("rated",),
    "on_spot": ("registered",),
    "patrol_found": ("registered",),
    "supervised_unhandled": ("registered",),
    "failed_verifications": ("resolutions",),
}
# Pairs sharing no case; what lies within one of a pair shares none with the other either.
DISJOINT = frozenset(
    frozenset(pair)
    for pair in (
        ("on_time", "postponed"),  # closed on time counts only cases not postponed
        ("closed", "overdue_pending"),
        ("due", "pending_on_time"),  # pending on time: open and not yet due
    )
)
# The count of an intersection that is neither of its sides nor empty.
MEETS = {frozenset(("closed", "postponed")): "closed_postponed"}


@functools.cache
def supersets(name: str) -> frozenset[str]:
    """`name` and every count it lies within."""
    out = {name}
    for parent in PARENTS.get(name, ()):
        out |= supersets(parent)
    return frozenset(out)


def disjoint(a: str, b: str) -> bool:
    """Whether the counts `a` and `b` can share no case."""
    return any(frozenset((x, y)) in DISJOINT for x in supersets(a) for y in supersets(b))


def meet(a: str, b: str) -> str | None:
    """The count of the cases in both `a` and `b`, or None when they share none; raises
    ValueError when that count is not known."""
    if b in supersets(a):
        return a
    if a in supersets(b):
        return b
    if disjoint(a, b):
        return None
    known = MEETS.get(frozenset((a, b)))
    if known is None:
        raise ValueError(f"the {a} cases among the {b} ones are not counted")
    return known


@functools.cache
def numerator_parts(
    numerator: str, terms: tuple[tuple[int, str], ...]
) -> tuple[tuple[int, str | None], ...]:
    """The signed counts (None: an empty one) whose sum is the `numerator`'s cases within
    the denominator `terms` (`ranking.parse_denominator`'s). The added terms must share no
    case, each subtracted term must lie within an added one and share none with the other
    subtracted ones: the denominator is then a set and the rate within [0, 1]. Raises
    ValueError saying which rule a term breaks."""
    added = [name for sign, name in terms if sign > 0]
    taken = [name for sign, name in terms if sign < 0]
    for group, what in ((added, "added"), (taken, "subtracted")):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if not disjoint(a, b):
                    raise ValueError(f"the {what} counts {a} and {b} may share cases")
    for name in taken:
        if not any(whole in supersets(name) for whole in added):
            raise ValueError(f"{name} is not a part of {' + '.join(added) or 'anything'}")
    return tuple((sign, meet(numerator, name)) for sign, name in terms)
