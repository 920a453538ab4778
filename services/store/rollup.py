"""The month rollup of the KPI counts (`case_rollup`, migrations 0115 and 0120): per local
month and grain — district, street and department (`street`), and the community too
(`community`), and the grid worker who filed the report too (`worker`) — the sums of each
case's `case_rollup_parts` (a row per grain), kept by triggers that append every statement's
difference to `case_rollup_delta` in the writer's transaction, folded into `case_rollup` by
`compact`.

A period's counts by any of these read the whole months in it from the coarsest grain that
holds the group and the scope (both tables), the days around them from the facts (each case's
parts of that grain, the same function), and the open cases due as of the report from the
open cases' index; one statement, grouped per key and for the whole scope.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from services.store.cases.groups import open_sql, state_not_in

ZONE = "Asia/Shanghai"  # the zone of the rollup's months
KEY = ("month", "grain", "district_code", "street_code", "community_code", "department_code",
       "worker_id")  # fmt: skip
# The grains, coarsest first, with the columns each one's rows hold.
GRAINS = {
    "street": {"district_code", "street_code", "department_code"},
    "community": {"district_code", "street_code", "community_code", "department_code"},
    "worker": {"district_code", "street_code", "community_code", "department_code", "worker_id"},
}
# The counts of `case_rollup_parts`, in its order.
COUNTS = (
    "filed", "cases", "closed", "closed_postponed", "on_time", "resolutions", "failed",
    "supervisions", "urgings", "dispatched", "postponed_dispatched", "rated", "satisfied",
    "basic", "dissatisfied", "revisited", "better", "on_spot", "patrol_found",
    "supervised_unhandled",
)  # fmt: skip
_COLUMN = re.compile(r"\bc\.([a-z_]+)")


def grain_of(key: str, where: str, zone: str) -> str | None:
    """The coarsest grain of the rollup that can count the groups `key` (an SQL expression over
    alias `c`) of the cases matching `where` — both naming only its columns — or None (a
    period in another zone than the rollup's months, a finer group or scope)."""
    named = set(_COLUMN.findall(key)) | set(_COLUMN.findall(where))
    if zone != ZONE or not _COLUMN.findall(key):
        return None
    return next((grain for grain, columns in GRAINS.items() if named <= columns), None)


def answers(key: str, where: str, zone: str) -> bool:
    """Whether the rollup can count the groups `key` of the cases matching `where`."""
    return grain_of(key, where, zone) is not None


_SUMS = ", ".join(f"sum({n}) AS {n}" for n in COUNTS)
_ZEROS = ", ".join(f"0 AS {n}" for n in COUNTS)
_PARTS = ", ".join(f"p.{n}" for n in COUNTS)
_ROLLED = ", ".join(COUNTS)
OPEN_IN_LOOP = f"{open_sql('c')} AND {state_not_in('outside_loop')}"

COUNTS_SQL = f"""
WITH parts AS (
  SELECT {{key}} AS key, {_ROLLED}, 0 AS open_due, 0 AS open_postponed_due
  FROM (SELECT * FROM case_rollup UNION ALL SELECT * FROM case_rollup_delta) c
  WHERE c.month >= :first_month AND c.month < :after_months AND c.grain = '{{grain}}'
    AND ({{where}})
  UNION ALL
  SELECT {{key}}, {_PARTS},
    ({OPEN_IN_LOOP} AND c.resolve_due <= :as_of)::int,
    ({OPEN_IN_LOOP} AND c.postponed AND c.resolve_due <= :as_of)::int
  FROM case_fact c CROSS JOIN LATERAL case_rollup_parts(c) p
  WHERE ((c.created_at >= :start AND c.created_at < :months_start)
         OR (c.created_at >= :months_end AND c.created_at < :end))
    AND p.grain = '{{grain}}' AND ({{where}})
  UNION ALL
  SELECT {{key}}, {_ZEROS}, 1, c.postponed::int
  FROM case_fact c
  WHERE {OPEN_IN_LOOP} AND c.created_at >= :months_start AND c.created_at < :months_end
    AND c.resolve_due <= :as_of AND ({{where}})
)
SELECT key, GROUPING(key) AS whole, {_SUMS},
  sum(closed) + sum(open_due) AS due,
  sum(closed_postponed) + sum(open_postponed_due) AS postponed_due
FROM parts
GROUP BY GROUPING SETS ((key), ())
"""


def counts_sql(key: str, where: str) -> str:
    """COUNTS_SQL for groups `key` and the scope `where` (SQL over alias `c`, `answers` being
    true) from the coarsest grain holding them. Its parameters: start, end (the period's
    instants), first_month, after_months (local month dates), months_start, months_end (their
    instants), as_of."""
    grain = grain_of(key, where, ZONE)
    if grain is None:
        raise ValueError(f"the rollup cannot count {key} where {where}")
    return COUNTS_SQL.format(key=key, where=where, grain=grain)


_SUMMED = ", ".join(f"sum({n})" for n in COUNTS)
_ADDED = ", ".join(f"{n} = r.{n} + excluded.{n}" for n in COUNTS)
COMPACT_SQL = f"""
WITH moved AS (DELETE FROM case_rollup_delta RETURNING *)
INSERT INTO case_rollup AS r ({", ".join(KEY)}, {_ROLLED})
SELECT {", ".join(KEY)}, {_SUMMED} FROM moved
GROUP BY {", ".join(KEY)} ORDER BY {", ".join(KEY)}
ON CONFLICT ({", ".join(KEY)}) DO UPDATE SET {_ADDED}
"""
# Serialises compactions (two would add the same deltas once each, but wait on each other's
# rows); readers and writers never wait for it.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('case_rollup_compact'))"


def compact(conn: Connection) -> int:
    """Moves every committed delta into `case_rollup` (in the caller's transaction); returns
    the rollup rows written. Called by the scheduler every minute and after a bulk load."""
    conn.execute(text(_LOCK))
    return conn.execute(text(COMPACT_SQL)).rowcount


def _sums(alias: str) -> str:
    return ", ".join(f"sum({alias}.{n})" for n in COUNTS)


def _nonzero(alias: str) -> str:
    return " OR ".join(f"sum({alias}.{n}) <> 0" for n in COUNTS)


def _by_key(alias: str) -> str:
    return ", ".join(f"{alias}.{k}" for k in KEY)


RECOMPUTED_SQL = f"""
SELECT {_by_key("p")}, {_sums("p")}
FROM case_fact c CROSS JOIN LATERAL case_rollup_parts(c) p
WHERE {{where}} GROUP BY {_by_key("p")} HAVING {_nonzero("p")}
"""
KEPT_SQL = f"""
SELECT {_by_key("c")}, {_sums("c")}
FROM (SELECT * FROM case_rollup UNION ALL SELECT * FROM case_rollup_delta) c
WHERE {{where}} GROUP BY {_by_key("c")} HAVING {_nonzero("c")}
"""


def kept_and_recomputed(conn: Connection, where: str = "TRUE") -> tuple[set, set]:
    """The rollup's sums (compacted and pending) and the same sums recomputed from
    `case_fact`, per month and group with any count, limited by `where` (over alias `c`)."""
    kept = conn.execute(text(KEPT_SQL.format(where=where)))
    recomputed = conn.execute(text(RECOMPUTED_SQL.format(where=where)))
    return set(map(tuple, kept)), set(map(tuple, recomputed))
