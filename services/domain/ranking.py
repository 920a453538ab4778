"""Rankings (排名) and the composite score (综合得分) over the KPIs of `services.domain.kpi`.
Pure: the caller passes each group's `Kpis` and a `Scheme` (loaded from configuration).

`METRICS` is the one list of what a ranking shows: a rate is a count over a denominator (an
expression of counts that a scheme may change, e.g. 应结案 = 立案 − 按时待处置 in one city,
应结案 − 缓办 in another), counting only the numerator's cases within the denominator (so
within [0, 1]: `services.domain.count_sets`); a count or a duration is read off the `Kpis`.
A metric that a new KPI fact brings (督办数 and 催办数, the supervisions and urgings) is one
more row here.

The composite score of a group is Σ weight × value over the scheme's terms, where value is the
metric's rate, or 1 − rate for a term marked `invert` (rework, extension, overdue: less is
better). A term whose rate has no denominator earns its full weight when inverted (nothing
went wrong) and leaves the score None otherwise (nothing to judge by). A deduction term
(`deduct`) starts from its weight and loses points per count (e.g. 10 − 0.5 × 督办数 −
1 × 督办未办结数), never below zero.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from services.domain.count_sets import numerator_parts
from services.domain.kpi import Kpis


def counts_of(k: Kpis) -> dict[str, int]:
    """The counts a denominator or a numerator may name, from one group's `Kpis`."""
    overdue_pending = k.due_for_closure - k.closed
    return {
        "registered": k.cases,  # 立案: cases in the loop
        "closed": k.closed,  # 结案
        "due": k.due_for_closure,  # 应结案: closed + open past their due time
        "postponed": k.postponed,  # 缓办/延期 among the due
        "closed_postponed": k.closed_postponed,  # closed, and postponed
        "on_time": k.closed_on_time,  # 按期结案
        "pending_on_time": k.cases - k.closed - overdue_pending,  # 按时待处置
        "overdue_pending": overdue_pending,  # 超期待处置
        "resolutions": k.resolutions,
        "failed_verifications": k.failed_verifications,  # 返工
        "dispatched": k.dispatched,
        "extended": k.extended,  # dispatched cases with an approved extension
        "rated": k.rated,
        "satisfied_or_basic": k.satisfied + k.basically_satisfied,
        "filed": k.filed,  # 上报数: every report that became a case, valid or not
        "on_spot": k.on_spot,  # 自行处置
        "patrol_found": k.patrol_found,  # 巡查发现: filed by a grid worker
        "supervisions": k.supervisions,  # 督办数
        "supervised_unhandled": k.supervised_unhandled,  # 督办未办结
    }


# The counts an expression may name: the keys of `counts_of`.
COUNT_NAMES = frozenset(counts_of(Kpis(**{f.name: 0 for f in fields(Kpis)})))


@dataclass(frozen=True)
class Metric:
    """One column of a ranking. `kind` is rate, count or duration (seconds); `higher` whether
    a larger value ranks first; a rate's `numerator` and default `denominator` name counts."""

    key: str
    zh: str
    en: str
    kind: str
    higher: bool
    numerator: str | None = None
    denominator: str | None = None


METRICS: tuple[Metric, ...] = (
    Metric("cases", "立案数", "cases", "count", True),
    Metric("closure_rate", "结案率", "closure", "rate", True, "closed", "registered"),
    Metric("on_time_closure_rate", "按期结案率", "on-time closure", "rate", True,
           "on_time", "due - postponed"),
    Metric("rework_rate", "返工率", "rework", "rate", False,
           "failed_verifications", "resolutions"),
    Metric("extension_rate", "延期率", "extension", "rate", False, "extended", "dispatched"),
    Metric("overdue_pending_rate", "超期待处置率", "overdue pending", "rate", False,
           "overdue_pending", "registered"),
    Metric("satisfaction_rate", "满意率", "satisfaction", "rate", True,
           "satisfied_or_basic", "rated"),
    # The grid worker's assessment (网格员考核: 网格巡查、问题办结): what they filed, how much
    # of it was a valid case, how much they fixed themselves; by area, the patrol's share.
    Metric("filed", "上报数", "reports filed", "count", True),
    Metric("valid_rate", "有效上报率", "valid reports", "rate", True, "registered", "filed"),
    Metric("on_spot_rate", "自行处置率", "handled on the spot", "rate", True,
           "on_spot", "registered"),
    Metric("patrol_share", "巡查发现率", "found on patrol", "rate", True,
           "patrol_found", "registered"),
    Metric("supervisions", "督办数", "supervisions", "count", False),
    Metric("urgings", "催办数", "urgings", "count", False),
    Metric("supervised_unhandled", "督办未办结数", "supervised, not handled", "count", False),
    Metric("acknowledge_median", "签收用时中位数", "acknowledge median", "duration", False),
    Metric("resolve_median", "处置用时中位数", "resolve median", "duration", False),
    Metric("resolve_p90", "处置用时P90", "resolve p90", "duration", False),
    Metric("close_median", "结案用时中位数", "close median", "duration", False),
    Metric("close_p90", "结案用时P90", "close p90", "duration", False),
)  # fmt: skip
BY_KEY = {m.key: m for m in METRICS}
_TERM = re.compile(r"\s*([+-]?)\s*([a-z_]+)\s*")


class SchemeError(ValueError):
    """A scheme names an unknown metric or count, or is malformed; `field` says where."""

    def __init__(self, field_: str, message: str):
        super().__init__(f"{field_}: {message}")
        self.field = field_


@functools.lru_cache(maxsize=256)
def parse_denominator(expression: str, where: str = "denominator") -> tuple[tuple[int, str], ...]:
    """`"due - postponed"` → ((1, "due"), (-1, "postponed")); raises SchemeError."""
    parts, pos = [], 0
    while pos < len(expression):
        m = _TERM.match(expression, pos)
        if m is None or m.end() == pos or (parts and not m.group(1)):
            raise SchemeError(where, f"cannot read {expression!r}")
        if m.group(2) not in COUNT_NAMES:
            raise SchemeError(where, f"unknown count {m.group(2)!r}")
        parts.append((-1 if m.group(1) == "-" else 1, m.group(2)))
        pos = m.end()
    if not parts:
        raise SchemeError(where, "empty")
    return tuple(parts)


@dataclass(frozen=True)
class Term:
    """One part of the composite: `weight` points × the metric's rate (or 1 − rate); or,
    with `deduct` ((count metric, points each), …) and no metric, `weight` points less the
    points each counted thing costs, at least 0."""

    metric: str
    weight: float
    invert: bool = False
    deduct: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Scheme:
    """A composite-score formula: its terms, and denominators replacing the metrics' own."""

    name: str
    title: str
    terms: tuple[Term, ...]
    denominators: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_dict(cls, name: str, data: Mapping) -> Scheme:
        """A scheme from configuration (the YAML's mapping); raises SchemeError."""
        terms = []
        for i, t in enumerate(data.get("terms") or ()):
            if "deduct" in t:
                terms.append(_deduction(f"{name}.terms[{i}]", t))
                continue
            metric = BY_KEY.get(str(t.get("metric")))
            if metric is None or metric.kind != "rate":
                raise SchemeError(f"{name}.terms[{i}].metric", "must name a rate metric")
            try:
                weight = float(t["weight"])
            except (KeyError, TypeError, ValueError) as exc:
                raise SchemeError(f"{name}.terms[{i}].weight", "a number is needed") from exc
            terms.append(Term(metric.key, weight, bool(t.get("invert", False))))
        if not terms:
            raise SchemeError(f"{name}.terms", "at least one term is needed")
        denominators = dict(data.get("denominators") or {})
        for key, expression in denominators.items():
            if BY_KEY.get(key) is None or BY_KEY[key].kind != "rate":
                raise SchemeError(f"{name}.denominators.{key}", "not a rate metric")
            where = f"{name}.denominators.{key}"
            parts = parse_denominator(str(expression), where)
            try:
                numerator_parts(BY_KEY[key].numerator or "", parts)
            except ValueError as exc:
                raise SchemeError(where, str(exc)) from exc
        return cls(name, str(data.get("title") or name), tuple(terms), denominators,
                   str(data.get("source") or ""))  # fmt: skip

    def denominator(self, metric: Metric) -> str:
        """The expression this scheme divides `metric`'s numerator by."""
        return self.denominators.get(metric.key, metric.denominator or "")


def _deduction(where: str, t: Mapping) -> Term:
    """A deduction term from configuration: `{weight: 10, deduct: {supervisions: 0.5, …}}`."""
    try:
        weight = float(t["weight"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemeError(f"{where}.weight", "a number is needed") from exc
    deduct = t.get("deduct")
    if not isinstance(deduct, Mapping) or not deduct:
        raise SchemeError(f"{where}.deduct", "counts and the points each costs are needed")
    pairs = []
    for key, points in deduct.items():
        if BY_KEY.get(str(key)) is None or BY_KEY[str(key)].kind != "count":
            raise SchemeError(f"{where}.deduct.{key}", "not a count metric")
        try:
            pairs.append((str(key), float(points)))
        except (TypeError, ValueError) as exc:
            raise SchemeError(f"{where}.deduct.{key}", "a number is needed") from exc
    return Term("", weight, deduct=tuple(pairs))


def rate(counts: Mapping[str, int], numerator: str, denominator: str) -> float | None:
    """The `numerator`'s cases within the denominator expression's over all of them (see
    `services.domain.count_sets`), in [0, 1]; None when the denominator is ≤ 0."""
    terms = parse_denominator(denominator)
    below = sum(sign * counts[name] for sign, name in terms)
    if below <= 0:
        return None
    above = sum(sign * counts[name] for sign, name in numerator_parts(numerator, terms) if name)
    return above / below


def metric_values(k: Kpis, scheme: Scheme) -> dict[str, float | int | None]:
    """Every metric of `METRICS` for one group, rates with the scheme's denominators."""
    counts = counts_of(k)
    out: dict[str, float | int | None] = {}
    for m in METRICS:
        if m.kind == "rate":
            out[m.key] = rate(counts, m.numerator or "", scheme.denominator(m))
        elif m.kind == "duration":
            value = getattr(k, m.key)
            out[m.key] = None if value is None else value.total_seconds()
        else:
            out[m.key] = getattr(k, m.key)
    return out


def composite(values: Mapping[str, float | int | None], scheme: Scheme) -> float | None:
    """The scheme's score of one group's metric values (see the module's docstring)."""
    score = 0.0
    for term in scheme.terms:
        if term.deduct:
            lost = sum(points * (values.get(key) or 0) for key, points in term.deduct)
            score += max(0.0, term.weight - lost)
            continue
        value = values.get(term.metric)
        if value is None:
            if not term.invert:
                return None
            value = 0.0
        score += term.weight * ((1 - value) if term.invert else value)
    return score


def rank(rows: list[dict], metric: str, *, descending: bool | None = None) -> list[dict]:
    """`rows` (each with `values` and `score`) ordered by `metric` ("score" or a key of
    METRICS), best first unless `descending` says otherwise; rows without a value last, then
    by code. Each row gets its 1-based `rank` (ties share one)."""
    higher = True if metric == "score" else BY_KEY[metric].higher
    if descending is not None:
        higher = descending

    def value(row: dict) -> float | None:
        return row["score"] if metric == "score" else row["values"][metric]

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: str(r.get("code") or ""))
    present.sort(key=value, reverse=higher)
    missing.sort(key=lambda r: str(r.get("code") or ""))
    previous, place = None, 0
    for i, row in enumerate(present):
        if value(row) != previous:
            place, previous = i + 1, value(row)
        row["rank"] = place
    for row in missing:
        row["rank"] = None
    return present + missing
