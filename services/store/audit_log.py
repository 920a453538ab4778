"""The audit trail: who changed what, when, from what to what (table `audit_log`,
append-only). Writing and reading it: plain functions over a Connection, in the caller's
transaction; an entry commits with the change it describes, or not at all.

Case transitions, account changes and Open311 client changes are written by the database itself
(triggers of migration 0008), so no code path can forget them; rule, department and moderation
changes are written by their handlers through `record`. `acting_as` names the actor of the
changes a transaction makes through those triggers (else they show `db:<database role>`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

_COLUMNS = "id, at, actor, action, subject, outcome, reason, before, after, detail"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the trail. `subject` names the object as `<kind>:<id>` (e.g. `case:…`)."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    outcome: str
    reason: str | None
    before: Any
    after: Any
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read: all given conditions hold. `kind` matches the part of the
    subject before its colon; `before_id` pages back from an id (exclusive)."""

    subject: str | None = None
    kind: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 100


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str)


def record(
    conn: Connection,
    *,
    actor: str | None,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
    outcome: str = "done",
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Appends one entry (an action by `actor` on `subject`, the object as it was `before` and
    is `after`); returns its id. Called by the handlers of admin actions inside the
    transaction that makes the change, so the entry exists exactly when the change does.
    The database stamps the entry (migration 0016): its time is the transaction's and its
    actor the transaction's actor, which `actor` sets (`acting_as`) when given; None keeps
    the one set for the unit of work, else `db:<database role>`."""
    if actor is not None:
        acting_as(conn, actor)
    return conn.execute(
        text(
            "INSERT INTO audit_log (actor, action, subject, outcome, reason, before, after, "
            "detail) VALUES (audit_actor(), :action, :subject, :outcome, :reason, "
            "CAST(:before AS jsonb), CAST(:after AS jsonb), CAST(:detail AS jsonb)) "
            "RETURNING id"
        ),
        {
            "action": action,
            "subject": subject,
            "outcome": outcome,
            "reason": reason,
            "before": _json(before),
            "after": _json(after),
            "detail": _json(detail or {}),
        },
    ).scalar_one()


def acting_as(conn: Connection, actor: str) -> None:
    """Names the actor of the changes this transaction makes that the database audits by
    itself (accounts, Open311 clients); lasts until the transaction ends."""
    conn.execute(text("SELECT set_config('gridflow.actor', :a, true)"), {"a": actor})


def like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def entries(conn: Connection, query: AuditFilter) -> list[AuditEntry]:
    """The entries matching `query`, newest first (at most `query.limit`)."""
    where, params = [], {"n": query.limit}
    if query.subject is not None:
        where.append("subject = :subject")
        params["subject"] = query.subject
    if query.kind is not None:
        where.append("subject LIKE :kind ESCAPE '\\'")
        params["kind"] = like_prefix(query.kind + ":")
    for name in ("actor", "action"):
        if getattr(query, name) is not None:
            where.append(f"{name} = :{name}")
            params[name] = getattr(query, name)
    if query.since is not None:
        where.append("at >= :since")
        params["since"] = query.since
    if query.until is not None:
        where.append("at < :until")
        params["until"] = query.until
    if query.before_id is not None:
        where.append("id < :before_id")
        params["before_id"] = query.before_id
    condition = " AND ".join(where) or "TRUE"
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM audit_log WHERE {condition} ORDER BY id DESC LIMIT :n"),
        params,
    ).mappings()
    return [AuditEntry(**row) for row in rows]
