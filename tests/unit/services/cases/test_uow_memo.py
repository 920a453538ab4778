"""UnitOfWork.memo: reference data is loaded once per unit of work, never shared between two."""

from __future__ import annotations

import pytest

from services.cases.uow import UnitOfWork


def test_a_key_is_loaded_once_per_unit_of_work():
    loads = []

    def load():
        loads.append(1)
        return {"sanitation": "环卫"}

    first = UnitOfWork(engine=None)  # memo needs no connection
    assert first.memo(("departments", "x"), load) == {"sanitation": "环卫"}
    assert first.memo(("departments", "x"), load) == {"sanitation": "环卫"}
    assert len(loads) == 1
    second = UnitOfWork(engine=None)
    second.memo(("departments", "x"), load)
    assert len(loads) == 2


def test_a_failed_load_is_not_remembered():
    uow = UnitOfWork(engine=None)
    calls = []

    def load():
        calls.append(1)
        if len(calls) == 1:
            raise LookupError("not there yet")
        return 7

    with pytest.raises(LookupError):
        uow.memo("k", load)
    assert uow.memo("k", load) == 7
