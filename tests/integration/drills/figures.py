"""What a drill measures in the database and on Kafka: how many accepted reports were
dispatched (once), lost or doubled, and when everything was settled."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text

from services.config import Config
from services.envelopes import REPORTS


@dataclass(frozen=True)
class Tally:
    accepted: int
    dispatched: int  # exactly one case, dispatched (or merged into an open case) exactly once
    lost: int  # accepted, but no case dispatched
    duplicated: int  # more than one case, or a case registered or dispatched more than once
    unsent: int  # outbox rows of these reports not yet on Kafka

    @property
    def settled(self) -> bool:
        return self.dispatched + self.duplicated >= self.accepted and self.unsent == 0


def tally(engine, report_ids: list[str]) -> Tally:
    """Counts, over the accepted `report_ids`, what the database shows now."""
    if not report_ids:
        return Tally(0, 0, 0, 0, 0)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "WITH ids AS (SELECT CAST(unnest(CAST(:ids AS text[])) AS uuid) AS id), "
                "per_case AS (SELECT c.report_id, c.state, "
                "  count(*) FILTER (WHERE e.type = 'CaseRegistered') AS registered, "
                "  count(*) FILTER (WHERE e.type = 'CaseDispatched') AS dispatched, "
                "  count(*) FILTER (WHERE e.type = 'CaseMerged') AS merged "
                "  FROM case_file c JOIN ids ON ids.id = c.report_id "
                "  LEFT JOIN case_event e ON e.case_id = c.id GROUP BY c.id), "
                "per_report AS (SELECT ids.id, count(p.report_id) AS cases, "
                "  bool_or(p.state IN ('dispatched', 'merged') "
                "          AND p.dispatched + p.merged = 1) AS once, "
                "  bool_or(p.registered > 1 OR p.dispatched > 1) AS doubled "
                "  FROM ids LEFT JOIN per_case p ON p.report_id = ids.id GROUP BY ids.id) "
                "SELECT count(*) FILTER (WHERE cases = 1 AND once AND NOT doubled) AS ok, "
                "  count(*) FILTER (WHERE cases > 1 OR doubled) AS doubled, "
                "  (SELECT count(*) FROM outbox o JOIN ids "
                "   ON o.envelope->'payload'->>'report_id' = CAST(ids.id AS text) "
                "   WHERE o.sent_at IS NULL) AS unsent FROM per_report"
            ),
            {"ids": list(report_ids)},
        ).one()
    accepted = len(report_ids)
    return Tally(accepted, row.ok, accepted - row.ok - row.doubled, row.doubled, row.unsent)


def settle(
    engine, report_ids: list[str], timeout_s: float, idle_s: float = 60.0
) -> tuple[Tally, float | None]:
    """Waits until every accepted report is dispatched — as long as the backlog keeps moving
    (gives up after `idle_s` without progress, or `timeout_s` in all); the last tally and the
    time.monotonic() at which it settled (None if it did not)."""
    deadline = time.monotonic() + timeout_s
    best, moved = -1, time.monotonic()
    while True:
        now = tally(engine, report_ids)
        if now.settled:
            return now, time.monotonic()
        if now.dispatched > best:
            best, moved = now.dispatched, time.monotonic()
        if time.monotonic() > deadline or time.monotonic() - moved > idle_s:
            return now, None
        time.sleep(0.5)


def last_dispatch_at(engine, report_ids: list[str]) -> float | None:
    """When (epoch seconds, the database's clock) the last of these reports got its case
    dispatched or merged, each counted at its first such event; None if one has none."""
    if not report_ids:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) AS done, EXTRACT(EPOCH FROM max(first_at)) AS last FROM ("
                "SELECT min(e.at) AS first_at FROM case_file c JOIN case_event e "
                "ON e.case_id = c.id AND e.type IN ('CaseDispatched', 'CaseMerged') "
                "WHERE c.report_id = ANY(CAST(:ids AS uuid[])) GROUP BY c.id) d"
            ),
            {"ids": list(report_ids)},
        ).one()
    return float(row.last) if row.done == len(report_ids) else None


def published_twice(config: Config, report_ids: set[str], timeout_s: float = 60.0) -> int:
    """How many of these reports' events reached the reports topic more than once (what the
    router's idempotence then absorbs)."""
    from tests.integration.streams.stream_helpers import read_topic

    seen = Counter(
        value["event_id"]
        for _, value, _, _ in read_topic(config, REPORTS, timeout_s=timeout_s)
        if isinstance(value, dict) and value.get("payload", {}).get("report_id") in report_ids
    )
    return sum(1 for n in seen.values() if n > 1)


# The patrol figures a processor group and one processor must agree on. The simplified track
# is left out: it is simplified piece by piece as chunks come, so its vertices depend on where
# the chunks were cut (its distance is compared).
PATROL_FIGURES = {
    "days": "SELECT worker_id, day, first_at, last_at, points, flagged, segments, distance_m, "
    "patrol_s, own_cells_s FROM patrol_day ORDER BY worker_id, day",
    "coverage": "SELECT cell_code, day, share, own_share FROM patrol_coverage "
    "ORDER BY cell_code, day",
    "flags": "SELECT worker_id, t, flagged FROM patrol_point ORDER BY worker_id, t",
}


def compare_patrol(group: dict, truth: dict) -> tuple[dict[str, int], float]:
    """Rows of PATROL_FIGURES that differ between a processor group's run and one processor's
    (by kind), and the largest difference of a coverage share."""
    differing = {
        k: sum(1 for a, b in zip(group[k], truth[k], strict=False) if not _same(a, b))
        + abs(len(group[k]) - len(truth[k]))
        for k in PATROL_FIGURES
    }
    pairs = zip(group["coverage"], truth["coverage"], strict=False)
    largest = max((abs(x - y) for a, b in pairs for x, y in zip(a[2:], b[2:], strict=True)),
                  default=0.0)  # fmt: skip
    return differing, largest


def _same(a: tuple, b: tuple) -> bool:
    """Two rows of figures alike: floats (metres, seconds, shares) to 1e-5, since the coverage
    is merged chunk by chunk and GEOS's unions in another order differ by a few millionths of
    a share (3.2e-6 seen)."""
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-5)
        if isinstance(x, float) and isinstance(y, float)
        else x == y
        for x, y in zip(a, b, strict=True)
    )
