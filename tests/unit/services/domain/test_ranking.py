"""Rankings and the composite score, checked against figures worked out by hand.

The fixture (as of 2026-03-31 00:00 UTC), one department, ten cases:
  1 closed on time, resolved 1 h after dispatch, rated 满意
  2 closed late (resolved after its due time), resolved twice (one failed verification),
    resolved 3 h after dispatch, rated 基本满意
  3 closed with an approved extension, resolved 2 h after dispatch, rated 不满意
  4 dispatched, past its due time                      (超期待处置)
  5 dispatched, due later                              (按时待处置)
  6 acknowledged, extension approved, past its due time (超期待处置, postponed)
  7 resolved, due later, resolved 5 h after dispatch   (按时待处置)
  8 rejected                                           (outside the loop)
  9 handled on the spot: closed, never dispatched, no due time
 10 closed with an approved extension, resolved 4 h after dispatch, not rated
Counts: 立案 registered 9, closed 5, 应结案 due 7 (closed + 4, 6), postponed among the due 3
(3, 6, 10), of them closed 2 (3, 10), on time 2 (1, 9), overdue pending 2, pending on time 2,
resolutions 6, failed 1, dispatched 8, extended 3 (3, 6, 10), rated 3 of which 2 satisfied or
basically. Case 10 is what took 结案率 over 应结案 − 缓办 past 1: every closure (5) over
7 − 3 = 4 gave 1.25; the closed cases within the denominator (1, 2, 9) give 3/4.
"""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.domain.events import Satisfaction
from services.domain.kpi import KpiFacts, compute_kpis, kpis_by
from services.domain.ranking import (
    METRICS,
    Scheme,
    SchemeError,
    composite,
    counts_of,
    metric_values,
    parse_denominator,
    rank,
)
from services.domain.states import CaseState
from services.stats.ranking import load_schemes

AS_OF = datetime(2026, 3, 31, tzinfo=UTC)
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
H = timedelta(hours=1)
PAST, LATER = AS_OF - timedelta(days=3), AS_OF + timedelta(days=3)


def fact(n, state, **kw):
    return KpiFacts(case_id=str(n), state=state, reported_at=T0 - H, department_code="a", **kw)


FIXTURE = [
    fact(1, CaseState.closed, dispatched_at=T0, resolved_at=T0 + H, closed_at=T0 + 2 * H,
         resolve_due=T0 + 4 * H, resolutions=1, rating=Satisfaction.satisfied),
    fact(2, CaseState.closed, dispatched_at=T0, resolved_at=T0 + 3 * H, closed_at=T0 + 4 * H,
         resolve_due=T0 + 2 * H, resolutions=2, failed_verifications=1,
         rating=Satisfaction.basically_satisfied),
    fact(3, CaseState.closed, dispatched_at=T0, resolved_at=T0 + 2 * H, closed_at=T0 + 6 * H,
         resolve_due=T0 + 8 * H, postponed=True, resolutions=1,
         rating=Satisfaction.dissatisfied),
    fact(4, CaseState.dispatched, dispatched_at=T0, resolve_due=PAST),
    fact(5, CaseState.dispatched, dispatched_at=T0, resolve_due=LATER),
    fact(6, CaseState.acknowledged, dispatched_at=T0, acknowledged_at=T0 + H, resolve_due=PAST,
         postponed=True),
    fact(7, CaseState.resolved, dispatched_at=T0, resolved_at=T0 + 5 * H, resolve_due=LATER,
         resolutions=1),
    fact(8, CaseState.rejected),
    fact(9, CaseState.closed, closed_at=T0 + 10 * H),
    fact(10, CaseState.closed, dispatched_at=T0, resolved_at=T0 + 4 * H, closed_at=T0 + 5 * H,
         resolve_due=T0 + 8 * H, postponed=True, resolutions=1),
]  # fmt: skip

CLOSURE_WEIGHTED = Scheme.from_dict("closure-weighted", {
    "terms": [{"metric": "on_time_closure_rate", "weight": 50},
              {"metric": "closure_rate", "weight": 30},
              {"metric": "rework_rate", "weight": 10, "invert": True},
              {"weight": 10, "deduct": {"supervisions": 0.5, "supervised_unhandled": 1}}],
    "denominators": {"on_time_closure_rate": "due - postponed",
                     "closure_rate": "due - postponed"},
})  # fmt: skip
DISPOSAL_FIVE = Scheme.from_dict("disposal-five", {
    "terms": [{"metric": "closure_rate", "weight": 30},
              {"metric": "on_time_closure_rate", "weight": 20},
              {"metric": "rework_rate", "weight": 20, "invert": True},
              {"metric": "overdue_pending_rate", "weight": 20, "invert": True},
              {"metric": "extension_rate", "weight": 10, "invert": True}],
    "denominators": {"on_time_closure_rate": "registered - pending_on_time"},
})  # fmt: skip


def test_counts_by_hand():
    counts = counts_of(compute_kpis(FIXTURE, as_of=AS_OF))
    assert counts == {
        "registered": 9, "closed": 5, "due": 7, "postponed": 3, "closed_postponed": 2,
        "on_time": 2, "pending_on_time": 2, "overdue_pending": 2, "resolutions": 6,
        "failed_verifications": 1, "dispatched": 8, "extended": 3, "rated": 3,
        "satisfied_or_basic": 2, "filed": 10, "on_spot": 0, "patrol_found": 0,
        "supervisions": 0, "supervised_unhandled": 0,
    }  # fmt: skip


def test_a_grid_workers_filed_valid_and_on_the_spot_counts():
    # Cases 1, 8 (rejected) and 9 (fixed on the spot) filed by worker 7, the rest by nobody.
    mine = {"1": 7, "8": 7, "9": 7}
    facts = [replace(f, worker_id=mine.get(f.case_id), on_spot=f.case_id == "9")
             for f in FIXTURE]  # fmt: skip
    by_worker = kpis_by(facts, lambda f: f.worker_id, as_of=AS_OF)
    plain = Scheme.from_dict("plain", {"terms": [{"metric": "closure_rate", "weight": 100}]})
    worker = metric_values(by_worker[7], plain)
    assert (worker["filed"], worker["cases"], worker["valid_rate"]) == (3, 2, 2 / 3)
    assert (worker["on_spot_rate"], worker["patrol_share"]) == (1 / 2, 1.0)
    whole = metric_values(compute_kpis(facts, as_of=AS_OF), plain)
    assert (whole["filed"], whole["valid_rate"], whole["patrol_share"]) == (10, 9 / 10, 2 / 9)
    assert whole["on_spot_rate"] == 1 / 9


def test_every_rate_with_the_metrics_own_denominators():
    plain = Scheme.from_dict("plain", {"terms": [{"metric": "closure_rate", "weight": 100}]})
    values = metric_values(compute_kpis(FIXTURE, as_of=AS_OF), plain)
    assert values["cases"] == 9
    assert values["closure_rate"] == 5 / 9
    assert values["on_time_closure_rate"] == 2 / (7 - 3)
    assert values["rework_rate"] == 1 / 6
    assert values["extension_rate"] == 3 / 8
    assert values["overdue_pending_rate"] == 2 / 9
    assert values["satisfaction_rate"] == 2 / 3
    # resolve: 1, 3, 2, 5, 4 h → median 3 h, p90 the 5th of 5 = 5 h; close (from the report,
    # an hour before T0): 3, 5, 7, 11, 6 h → median 6 h, p90 11 h; acknowledge: 1 h.
    assert values["resolve_median"] == 3 * 3600 and values["resolve_p90"] == 5 * 3600
    assert values["close_median"] == 6 * 3600 and values["close_p90"] == 11 * 3600
    assert values["acknowledge_median"] == 3600
    assert composite(values, plain) == 100 * 5 / 9


def test_composite_of_the_default_scheme_with_its_configured_denominators():
    values = metric_values(compute_kpis(FIXTURE, as_of=AS_OF), CLOSURE_WEIGHTED)
    # 应结案 − 缓办 = 7 − 3 = 4 (cases 1, 2, 9 and 4) for both rates: on time 2/4, closed 3/4
    # (the closed cases 3 and 10 were postponed: outside the denominator, so outside the
    # numerator too).
    assert values["on_time_closure_rate"] == 0.5
    assert values["closure_rate"] == 3 / 4
    # No case was supervised: the supervision term keeps its 10 points.
    assert (values["supervisions"], values["supervised_unhandled"]) == (0, 0)
    assert composite(values, CLOSURE_WEIGHTED) == pytest.approx(
        50 * 0.5 + 30 * 0.75 + 10 * (1 - 1 / 6) + 10, rel=1e-12, abs=0)  # fmt: skip
    assert composite(values, CLOSURE_WEIGHTED) == pytest.approx(395 / 6, rel=1e-12, abs=0)


def test_the_supervision_deduction_of_the_default_scheme():
    # Case 1 (closed) supervised twice, case 4 (dispatched, overdue) once, case 7 (resolved:
    # handled) once: 督办数 4, 督办未办结 1 (case 4) → 10 − 0.5 × 4 − 1 × 1 = 7 points.
    pressed = {"1": 2, "4": 1, "7": 1}
    facts = [replace(f, supervisions=pressed.get(f.case_id, 0)) for f in FIXTURE]
    values = metric_values(compute_kpis(facts, as_of=AS_OF), CLOSURE_WEIGHTED)
    assert (values["supervisions"], values["supervised_unhandled"]) == (4, 1)
    assert composite(values, CLOSURE_WEIGHTED) == pytest.approx(335 / 6 + 7, rel=1e-12, abs=0)
    # 21 supervisions and 1 unhandled would cost 11.5: the term stops at 0.
    facts = [replace(f, supervisions=21 if f.case_id == "4" else 0) for f in FIXTURE]
    values = metric_values(compute_kpis(facts, as_of=AS_OF), CLOSURE_WEIGHTED)
    assert composite(values, CLOSURE_WEIGHTED) == pytest.approx(335 / 6, rel=1e-12, abs=0)


def test_a_perfect_department_scores_100_by_the_default_scheme():
    perfect = [fact(1, CaseState.closed, dispatched_at=T0, resolved_at=T0 + H,
                    closed_at=T0 + 2 * H, resolve_due=T0 + 4 * H, resolutions=1)]  # fmt: skip
    values = metric_values(compute_kpis(perfect, as_of=AS_OF), CLOSURE_WEIGHTED)
    assert composite(values, CLOSURE_WEIGHTED) == 100.0


def test_a_city_counting_due_as_registered_minus_pending_on_time():
    values = metric_values(compute_kpis(FIXTURE, as_of=AS_OF), DISPOSAL_FIVE)
    # 应结案 = 立案 − 按时待处置 = 9 − 2 = 7: on time 2/7.
    assert values["on_time_closure_rate"] == 2 / 7
    expected = 30 * (5 / 9) + 20 * (2 / 7) + 20 * (1 - 1 / 6) + 20 * (1 - 2 / 9) + 10 * (1 - 3 / 8)
    assert composite(values, DISPOSAL_FIVE) == pytest.approx(expected, rel=1e-12, abs=0)
    assert composite(values, DISPOSAL_FIVE) == pytest.approx(15335 / 252, rel=1e-12, abs=0)


def test_nothing_to_judge_by_leaves_no_score_and_nothing_wrong_earns_full_marks():
    only_open = [fact(5, CaseState.dispatched, dispatched_at=T0, resolve_due=LATER)]
    values = metric_values(compute_kpis(only_open, as_of=AS_OF), CLOSURE_WEIGHTED)
    assert values["on_time_closure_rate"] is None and composite(values, CLOSURE_WEIGHTED) is None
    inverted = Scheme.from_dict("x", {"terms": [{"metric": "rework_rate", "weight": 10,
                                                 "invert": True}]})  # fmt: skip
    assert composite(values, inverted) == 10


def test_ranking_orders_best_first_each_metric_its_own_way_with_ties_sharing_a_place():
    rows = [
        {"code": "b", "score": 70.0, "values": {"rework_rate": 0.1}},
        {"code": "a", "score": 90.0, "values": {"rework_rate": 0.3}},
        {"code": "c", "score": 70.0, "values": {"rework_rate": None}},
        {"code": "d", "score": None, "values": {"rework_rate": 0.1}},
    ]
    by_score = rank([dict(r) for r in rows], "score")
    assert [(r["code"], r["rank"]) for r in by_score] == [("a", 1), ("b", 2), ("c", 2),
                                                          ("d", None)]  # fmt: skip
    by_rework = rank([dict(r) for r in rows], "rework_rate")
    assert [(r["code"], r["rank"]) for r in by_rework] == [("b", 1), ("d", 1), ("a", 3),
                                                           ("c", None)]  # fmt: skip
    reversed_ = rank([dict(r) for r in rows], "rework_rate", descending=True)
    assert [r["code"] for r in reversed_] == ["a", "b", "d", "c"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"terms": []}, "s.terms"),
        ({"terms": [{"metric": "cases", "weight": 1}]}, "s.terms[0].metric"),
        ({"terms": [{"metric": "closure_rate", "weight": "much"}]}, "s.terms[0].weight"),
        ({"terms": [{"metric": "closure_rate", "weight": 1}],
          "denominators": {"closure_rate": "due - nonsense"}}, "s.denominators.closure_rate"),
        ({"terms": [{"metric": "closure_rate", "weight": 1}],
          "denominators": {"closure_rate": "due postponed"}}, "s.denominators.closure_rate"),
        ({"terms": [{"weight": 10, "deduct": {}}]}, "s.terms[0].deduct"),
        ({"terms": [{"weight": 10, "deduct": {"closure_rate": 1}}]},
         "s.terms[0].deduct.closure_rate"),
        ({"terms": [{"weight": 10, "deduct": {"supervisions": "half"}}]},
         "s.terms[0].deduct.supervisions"),
        ({"terms": [{"deduct": {"supervisions": 0.5}}]}, "s.terms[0].weight"),
        # Denominators that are no set of cases, or whose numerator cannot be counted in them.
        ({"terms": [{"metric": "closure_rate", "weight": 1}],
          "denominators": {"closure_rate": "due + closed"}}, "s.denominators.closure_rate"),
        ({"terms": [{"metric": "closure_rate", "weight": 1}],
          "denominators": {"closure_rate": "due - dispatched"}}, "s.denominators.closure_rate"),
        ({"terms": [{"metric": "closure_rate", "weight": 1}],
          "denominators": {"closure_rate": "registered - rated - closed"}},
         "s.denominators.closure_rate"),
        ({"terms": [{"metric": "closure_rate", "weight": 1}],
          "denominators": {"closure_rate": "rated"}}, "s.denominators.closure_rate"),
    ],
)  # fmt: skip
def test_a_malformed_scheme_is_refused_naming_where(data, field):
    with pytest.raises(SchemeError) as raised:
        Scheme.from_dict("s", data)
    assert raised.value.field == field


def test_denominator_expressions():
    assert parse_denominator("due - postponed") == ((1, "due"), (-1, "postponed"))
    assert parse_denominator("registered-pending_on_time+closed") == (
        (1, "registered"), (-1, "pending_on_time"), (1, "closed"))  # fmt: skip


def _random_facts(rng: random.Random, n: int) -> list[KpiFacts]:
    states = list(CaseState)
    out = []
    for i in range(n):
        state = rng.choice(states)
        closed = state is CaseState.closed
        resolutions = rng.randint(0, 3)
        out.append(fact(
            i, state, dispatched_at=T0 if rng.random() < 0.8 else None,
            resolved_at=T0 + rng.randint(1, 9) * H if resolutions else None,
            closed_at=T0 + 10 * H if closed else None,
            resolve_due=rng.choice([None, PAST, LATER, T0 + 4 * H]),
            postponed=rng.random() < 0.4, resolutions=resolutions,
            failed_verifications=rng.randint(0, resolutions),
            supervisions=rng.randint(0, 2),
            rating=rng.choice([None, *Satisfaction]) if closed else None,
            worker_id=rng.choice([None, 7]), on_spot=closed and rng.random() < 0.2))  # fmt: skip
    return out


def test_every_rate_stays_within_0_and_1_by_every_scheme():
    schemes = [
        *load_schemes().by_name.values(),
        CLOSURE_WEIGHTED,
        DISPOSAL_FIVE,
        Scheme.from_dict("plain", {"terms": [{"metric": "closure_rate", "weight": 1}]}),
    ]
    rng = random.Random(23)
    seen_postponed_closures = 0
    for _ in range(300):
        kpis = compute_kpis(_random_facts(rng, rng.randint(1, 30)), as_of=AS_OF)
        seen_postponed_closures += kpis.closed_postponed
        for scheme in schemes:
            values = metric_values(kpis, scheme)
            for m in METRICS:
                if m.kind == "rate" and values[m.key] is not None:
                    assert 0 <= values[m.key] <= 1, (scheme.name, m.key, kpis)
    assert seen_postponed_closures > 0
