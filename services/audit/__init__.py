"""The audit trail: who changed what, when, from what to what (table `audit_log`, append-only).

Case transitions, account changes and Open311 client changes are written by the database itself
(triggers of migration 0008), so no code path can forget them; rule, department and moderation
changes are written by their handlers through `record`. `acting_as` names the actor of the
changes a transaction makes through those triggers (else they show `db:<database role>`).
"""

from services.audit.trail import AuditEntry, AuditFilter, acting_as, entries, record

__all__ = ["AuditEntry", "AuditFilter", "acting_as", "entries", "record"]
