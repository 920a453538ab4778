"""Finding cases for the command center's list and search: by case number (whole or its
tail), the reporter's phone (exact), free text in the report's description and address
(substring or fuzzy), and by state, category, department, place down to the cell, overdue,
supervised, channel and date range; newest first, a page at a time by keyset (the last row's
received time and id), or every match streamed for an export.

Free text uses PostgreSQL's `pg_trgm` (shipped with PostgreSQL, migration 0031): one GIN
index of trigrams over description and address answers both `ILIKE '%…%'` (a substring, the
way an operator remembers "庄市 … 井盖") and the word-similarity operator `<%` (a fuzzy match
that forgives a wrong or missing character). The database's character type (C.UTF-8) counts
Chinese characters as word characters, so a Chinese text gives trigrams with no word
segmenter; a query of one or two characters has no inner trigram and is answered by a scan
of the cases in scope that the other filters leave. Full-text search (`tsvector`) would need
a Chinese parser (zhparser, not shipped with PostgreSQL) and finds words, not substrings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.groups import overdue_sql
from services.store.cases.views import _FROM, _SELECT
from services.store.moderation import TEXT_WITHHELD_SQL
from services.store.scopes import ALL, Scope, all_of

# What the free text is matched against (the expression migration 0031 indexes).
TEXT_SQL = "(coalesce(r.description, '') || ' ' || coalesce(r.address, ''))"
# A case number's tail is matched on the reversed number (a prefix, by its index).
TAIL_SQL = "reverse(c.case_no) LIKE reverse(:number_tail) || '%'"
SUPERVISED_SQL = (
    "(c.escalation_level > 0 OR EXISTS (SELECT 1 FROM case_fact f "
    "WHERE f.case_id = c.id AND f.supervisions > 0))"
)
FULL_NUMBER_DIGITS = 19  # district (6) + date (8) + sequence (5)


@dataclass(frozen=True)
class CaseSearch:
    """What the operator searches for, within `scope`; None or empty leaves a criterion
    out. `number` is a whole case number or its last digits; `within` a district, street,
    community or cell code; [`received_from`, `received_to`) the instants the report came."""

    scope: Scope = ALL
    number: str | None = None
    phone: str | None = None
    text: str | None = None
    states: tuple[str, ...] = ()
    category_code: str | None = None
    department_code: str | None = None
    within: str | None = None
    overdue: bool | None = None
    supervised: bool | None = None
    channel: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        """The condition over the case page's aliases, and its parameters."""
        places = [self.scope] + ([Scope.place(self.within)] if self.within else [])
        scope, params = all_of(places)
        where = [scope]

        def add(condition: str, **values: Any) -> None:
            where.append(condition)
            params.update(values)

        if self.number:
            if len(self.number) >= FULL_NUMBER_DIGITS:
                add("c.case_no = :number", number=self.number)
            else:
                add(TAIL_SQL, number_tail=self.number)
        if self.phone:
            add("r.reporter_phone = :phone", phone=self.phone)
        if self.text:
            add(f"({TEXT_SQL} ILIKE :text_like OR :text <% {TEXT_SQL})",
                text=self.text, text_like=f"%{_like_escaped(self.text)}%")  # fmt: skip
        if self.states:
            add("c.state = ANY(:states)", states=list(self.states))
        if self.category_code:
            add("c.category_code = :category", category=self.category_code)
        if self.department_code:
            add("c.department_code = :department", department=self.department_code)
        if self.overdue is not None:
            add(f"{'' if self.overdue else 'NOT '}coalesce({overdue_sql()}, false)")
        if self.supervised is not None:
            add(f"{'' if self.supervised else 'NOT '}{SUPERVISED_SQL}")
        if self.channel:
            add("r.channel = :channel", channel=self.channel)
        if self.received_from:
            add("c.created_at >= :received_from", received_from=self.received_from)
        if self.received_to:
            add("c.created_at < :received_to", received_to=self.received_to)
        return " AND ".join(where), params


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_page(
    conn: Connection,
    search: CaseSearch,
    *,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> list[dict[str, Any]]:
    """Up to `limit` matching cases (rows of services.store.cases.views), newest first,
    after the (received time, id) of the previous page's last row when given."""  # fmt: skip
    where, params = search.sql()
    if after is not None:
        where += " AND (c.created_at, c.id) < (:after_at, CAST(:after_id AS uuid))"
        params.update(after_at=after[0], after_id=after[1])
    rows = conn.execute(
        text(f"{_SELECT} {_FROM} WHERE {where} ORDER BY c.created_at DESC, c.id DESC "
             "LIMIT :limit"),
        {**params, "limit": limit},
    ).mappings()  # fmt: skip
    return [dict(r) for r in rows]


EXPORT_SQL = f"""
SELECT c.case_no, c.created_at, r.channel, cat.name_zh AS category_zh, c.state,
  {TEXT_WITHHELD_SQL} AS withheld, r.description, r.address,
  c.cell_code, d.name_zh AS department_zh, c.resolve_due, c.closed_at,
  coalesce({overdue_sql()}, false) AS overdue
FROM case_file c
JOIN report r ON r.id = c.report_id
JOIN category cat ON cat.code = c.category_code
LEFT JOIN department d ON d.code = c.department_code
"""


def export_rows(conn: Connection, search: CaseSearch, *, limit: int) -> Iterator[Any]:
    """Every matching case (up to `limit`), newest first, as it is read: a server-side
    cursor hands rows over in batches, so memory holds a batch, never the whole result."""
    where, params = search.sql()
    result = conn.execution_options(stream_results=True, yield_per=1000).execute(
        text(f"{EXPORT_SQL} WHERE {where} ORDER BY c.created_at DESC, c.id DESC LIMIT :limit"),
        {**params, "limit": limit},
    )
    yield from result


# Cases are counted in squares of this many degrees (about 11 m) for the heat map.
HEAT_SQUARE_DEG = 0.0001


def heat_points(conn: Connection, search: CaseSearch, *, limit: int) -> list[tuple[float, ...]]:
    """The matching cases with a place, counted per square of HEAT_SQUARE_DEG: (lat, lng,
    cases) in WGS84 at each square's centre, the busiest `limit` squares."""
    where, params = search.sql()
    rows = conn.execute(
        text(
            "SELECT (floor(ST_Y(c.geom) / :sq) + 0.5) * :sq AS lat, "
            "(floor(ST_X(c.geom) / :sq) + 0.5) * :sq AS lng, count(*) AS cases "
            "FROM case_file c JOIN report r ON r.id = c.report_id "
            f"WHERE c.geom IS NOT NULL AND {where} GROUP BY 1, 2 ORDER BY 3 DESC LIMIT :limit"
        ),
        {**params, "sq": HEAT_SQUARE_DEG, "limit": limit},
    )
    return [(float(r.lat), float(r.lng), int(r.cases)) for r in rows]
