"""Which reads the KPI month rollup answers: the whole local months of a period, and groups
and scopes naming only the rollup's columns (district, street, community, department, the
grid worker who filed the report) in its zone, from the coarsest grain holding them."""

from datetime import date

from services.stats.aggregate import whole_months
from services.stats.facts import Period
from services.store.kpi_facts import FILED_BY_WORKER, KEYS
from services.store.rollup import answers, grain_of
from services.store.scopes import Scope, all_of

ZONE = "Asia/Shanghai"


def test_whole_months_of_a_period():
    assert whole_months(Period(date(2026, 7, 1), date(2026, 9, 30))) == (
        date(2026, 7, 1), date(2026, 10, 1))  # fmt: skip
    assert whole_months(Period(date(2026, 1, 20), date(2026, 3, 10))) == (
        date(2026, 2, 1), date(2026, 3, 1))  # fmt: skip
    assert whole_months(Period(date(2026, 12, 1), date(2027, 1, 31))) == (
        date(2026, 12, 1), date(2027, 2, 1))  # fmt: skip
    assert whole_months(Period(date(2026, 3, 2), date(2026, 3, 31))) is None
    assert whole_months(Period(date(2026, 3, 9), date(2026, 3, 15))) is None


def test_the_rollup_answers_every_group_but_the_cell_in_wide_scopes():
    district, _ = all_of([Scope.place("330211")])
    street, _ = all_of([Scope.place("330211001"), Scope("department", ("sanitation",))])
    community, _ = all_of([Scope.place("330211001002")])
    filed = f"({district}) AND {FILED_BY_WORKER}"
    for level in ("department", "district", "street", "community", "worker"):
        for scope in (district, street, community, filed, "TRUE"):
            assert answers(KEYS[level], scope, ZONE)
        assert not answers(KEYS[level], district, "Asia/Urumqi")
    # The coarsest grain holding the group and the scope.
    for level in ("department", "district", "street"):
        assert grain_of(KEYS[level], street, ZONE) == "street"
        assert grain_of(KEYS[level], community, ZONE) == "community"
        assert grain_of(KEYS[level], filed, ZONE) == "worker"
    assert grain_of(KEYS["community"], district, ZONE) == "community"
    assert grain_of(KEYS["worker"], f"({community}) AND {FILED_BY_WORKER}", ZONE) == "worker"


def test_cells_are_read_from_the_facts():
    district, _ = all_of([Scope.place("330211")])
    cells, _ = all_of([Scope("cells", ("330211001002003",))])
    cell, _ = all_of([Scope.place("330211001002003")])
    assert not answers(KEYS["cell"], district, ZONE)
    assert not answers(KEYS["street"], cells, ZONE)
    assert not answers(KEYS["street"], cell, ZONE)
    assert not answers("NULL::text", district, ZONE)
