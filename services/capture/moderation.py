"""Moderation: what an operator's flags on a report withhold, and from whom. Every reader of a
report applies this one rule: report and case reads, their photo endpoints, verification
tasks, the live map and Open311.

The flags (set by `services.cases.operator.moderate_report`):
- `hidden`: the report is kept from the public altogether (Open311 answers as if it did not
  exist); from staff who are not moderators, its text and photos are withheld;
- `redacted`: its text (description and address) is withheld, and with it the answers to
  the category's extra questions (kept in the report's `attributes`, beside Open311's own
  attributes such as a landmark: all of them are what the reporter typed or chose);
- `photos_hidden`: its photos are withheld.

Moderators (operators and admins) see everything, so that a flag can be reviewed and undone.
A reader with no principal (`None`) is the public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.auth.principal import ADMIN, OPERATOR, Principal

MODERATORS = frozenset({OPERATOR, ADMIN})
TEXT_FIELDS = ("description", "address", "summary")
# Withheld with the text, as empty: a report's `attributes` (its answers), a case's `answers`.
ANSWER_FIELDS = {"attributes": dict, "answers": list}
# The same rule for SQL over a report alias `r`: services.store.moderation.


@dataclass(frozen=True)
class Withheld:
    """What a viewer may not see of one report."""

    report: bool  # the report itself (the public, for a hidden report)
    text: bool
    photos: bool


NOTHING = Withheld(report=False, text=False, photos=False)


def sees_moderated(viewer: Principal | None) -> bool:
    """Whether `viewer` sees what moderation withholds (operators and admins)."""
    return viewer is not None and viewer.role in MODERATORS


def withheld(viewer: Principal | None, report: Mapping[str, Any]) -> Withheld:
    """What `viewer` may not see of `report` (a row with `hidden`, `redacted` and
    `photos_hidden`; a missing flag counts as not set)."""
    if sees_moderated(viewer):
        return NOTHING
    hidden = bool(report.get("hidden"))
    return Withheld(
        report=hidden and viewer is None,
        text=hidden or bool(report.get("redacted")),
        photos=hidden or bool(report.get("photos_hidden")),
    )


def as_seen_by(viewer: Principal | None, report: dict[str, Any]) -> dict[str, Any]:
    """`report` with its withheld text (description, address, summary) set to None and its
    answers (attributes, answers) emptied."""
    if not withheld(viewer, report).text:
        return report
    emptied = {name: empty() for name, empty in ANSWER_FIELDS.items() if name in report}
    return {**report, **{name: None for name in TEXT_FIELDS if name in report}, **emptied}


def photos_seen_by(viewer: Principal | None, report: Mapping[str, Any], photos: list) -> list:
    """The report's photos `viewer` may see: all of them, or none when they are withheld."""
    return [] if withheld(viewer, report).photos else photos
