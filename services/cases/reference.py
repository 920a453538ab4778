"""The reference data of registration held in memory: the category catalog's terms, the active
routing rules, the departments, the ruleset version and the calendars (with the admin's
overrides).

A long-running processor (the router) keeps one `ReferenceCache` and asks it for the current
`ReferenceData` once per transaction: one statement compares a fingerprint of the five
tables (a hash of their rows, so any change counts, also one made behind the application's
back) with the one the data was loaded at, and reloads everything only when it differs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from services.calendars import Calendars, load_calendars
from services.config import Config
from services.domain.routing import Department, RouteDecision, RoutingRule, resolve_route
from services.store import departments as dept_store
from services.store.cases.intake import category_terms, reference_fingerprint

MAX_REMEMBERED_ROUTES = 100_000


@dataclass(frozen=True)
class CategoryTerms:
    """What registration needs from the catalog about a category."""

    priority: str
    ack_limit_minutes: int
    resolve_limit_minutes: int
    around_the_clock: bool
    duplicate_radius_m: int
    duplicate_window_minutes: int


@dataclass(frozen=True)
class ReferenceData:
    """One consistent snapshot of what registering and routing a case reads."""

    fingerprint: tuple
    ruleset_version: int | None
    terms: dict[str, CategoryTerms]
    departments: dict[str, Department]
    calendars: Calendars
    # The active rules by (jurisdiction, category), a rule for every category under None.
    rules_by_place: dict[tuple[str, str | None], list[RoutingRule]] = field(default_factory=dict)
    # Decisions made on this snapshot, by (category, cell, district): the same for every case
    # of a category in a cell while the snapshot holds.
    _routes: dict[tuple, RouteDecision] = field(default_factory=dict, compare=False, repr=False)

    def route(
        self, category_code: str, cell_code: str | None, district_code: str | None
    ) -> RouteDecision:
        """The routing decision for a case (`services.domain.routing.resolve_route` over the
        rules whose jurisdiction contains the cell, with every department known)."""
        key = (category_code, cell_code, district_code)
        decision = self._routes.get(key)
        if decision is None:
            decision = self._resolve(category_code, cell_code, district_code)
            if len(self._routes) < MAX_REMEMBERED_ROUTES:
                self._routes[key] = decision
        return decision

    def _resolve(
        self, category_code: str, cell_code: str | None, district_code: str | None
    ) -> RouteDecision:
        rules: list[RoutingRule] = []
        if cell_code:
            for length in (6, 9, 12, 15):  # district, street, community, cell
                jurisdiction = cell_code[:length]
                rules.extend(self.rules_by_place.get((jurisdiction, category_code), ()))
                rules.extend(self.rules_by_place.get((jurisdiction, None), ()))
        return resolve_route(rules, self.departments, category_code, cell_code, district_code or "")


def load_reference(
    conn: Connection, fingerprint: tuple, calendars: Callable[[Connection], Calendars]
) -> ReferenceData:
    """Reads the catalog's terms, the active rules, the departments and the ruleset version,
    and takes the calendars from `calendars`; `fingerprint` is the one read in the same
    transaction before."""
    terms = {code: CategoryTerms(**values) for code, values in category_terms(conn).items()}
    return ReferenceData(
        fingerprint=fingerprint,
        ruleset_version=fingerprint[0],
        terms=terms,
        departments=dept_store.departments(conn),
        calendars=calendars(conn),
        rules_by_place=rules_by_place(dept_store.active_rules(conn)),
    )


def rules_by_place(
    rules: Iterable[RoutingRule],
) -> dict[tuple[str, str | None], list[RoutingRule]]:
    """The rules by (jurisdiction, category): only those of a cell's jurisdictions and of the
    case's category (or of every category) can apply to it."""
    by_place: dict[tuple[str, str | None], list[RoutingRule]] = {}
    for rule in rules:
        by_place.setdefault((rule.jurisdiction_code, rule.category_code), []).append(rule)
    return by_place


class ReferenceCache:
    """Reference data kept between transactions; see the module text. The calendars are the
    official calendar with the stored overrides (office hours and timezone from `config`), or
    the fixed `calendars` given. Units of work side by side may share one (a reload is done
    by one of them at a time)."""

    def __init__(self, config: Config | None = None, *, calendars: Calendars | None = None):
        if config is None and calendars is None:
            raise ValueError("a ReferenceCache needs a config or fixed calendars")
        self.config = config
        self.fixed_calendars = calendars
        self._data: ReferenceData | None = None
        self._reloading = threading.Lock()
        self.loads = 0

    def _calendars(self, conn: Connection) -> Calendars:
        if self.fixed_calendars is not None:
            return self.fixed_calendars
        return load_calendars(self.config, conn)

    def current(self, conn: Connection) -> ReferenceData:
        """The reference data as stored now (reloaded in `conn`'s transaction when any of it
        changed since the last call). Costs one statement when nothing changed."""
        fingerprint = reference_fingerprint(conn)
        data = self._data
        if data is not None and data.fingerprint == fingerprint:
            return data
        with self._reloading:
            data = self._data
            if data is None or data.fingerprint != fingerprint:
                data = load_reference(conn, fingerprint, self._calendars)
                self._data = data
                self.loads += 1
        return data
