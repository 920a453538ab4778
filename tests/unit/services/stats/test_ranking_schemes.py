"""The configured composite-score schemes and the periods a ranking covers."""

from datetime import date

import pytest

from services.domain.ranking import SchemeError, Term
from services.stats.ranking import load_schemes, period_of


def test_the_built_in_schemes_load_with_the_published_default():
    schemes = load_schemes("")
    default = schemes.get(None)
    assert default.name == "closure-weighted"
    assert default.terms == (Term("on_time_closure_rate", 50.0), Term("closure_rate", 30.0),
                             Term("rework_rate", 10.0, invert=True),
                             Term("", 10.0, deduct=(("supervisions", 0.5),
                                                    ("supervised_unhandled", 1.0))))  # fmt: skip
    assert sum(t.weight for t in default.terms) == 100
    assert "DOMAIN.md" in default.source and "10 − 0.5 × supervised" in default.source
    assert default.denominators == {"on_time_closure_rate": "due - postponed",
                                    "closure_rate": "due - postponed"}  # fmt: skip
    assert "https://" in default.source
    five = schemes.get("disposal-five")
    assert sum(t.weight for t in five.terms) == 100
    assert five.denominators == {"on_time_closure_rate": "registered - pending_on_time"}


def test_a_schemes_file_replaces_the_built_in_one(tmp_path):
    path = tmp_path / "schemes.yaml"
    path.write_text("default: mine\nschemes:\n  mine:\n    terms:\n"
                    "      - {metric: closure_rate, weight: 100}\n", encoding="utf-8")  # fmt: skip
    assert list(load_schemes(str(path)).by_name) == ["mine"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("default: other\nschemes:\n  mine:\n    terms:\n"
                   "      - {metric: closure_rate, weight: 100}\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(SchemeError) as raised:
        load_schemes(str(bad))
    assert raised.value.field == "default"


@pytest.mark.parametrize(
    ("kind", "day", "first", "last"),
    [
        ("week", date(2026, 3, 15), date(2026, 3, 9), date(2026, 3, 15)),
        ("month", date(2026, 2, 10), date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", date(2026, 11, 30), date(2026, 10, 1), date(2026, 12, 31)),
        ("quarter", date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_periods(kind, day, first, last):
    period = period_of(kind, day)
    assert (period.first, period.last) == (first, last)
