"""Databases and roles of a test run, made the way a deployment makes them: the tables' owner
(the stack's URL, GRIDFLOW_DATABASE_URL) creates databases and migrates them; every gridflow
process connects as a login role that is a member of `gridflow_app` (infra/README.md)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def owner_url(database: str | None = None) -> str:
    """The stack's owner URL, on `database` when given."""
    base = make_url(os.environ["GRIDFLOW_DATABASE_URL"])
    return (base.set(database=database) if database else base).render_as_string(False)


def on_database(url: str, database: str) -> str:
    """`url` (same role and password) on another database of the same server."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def create_app_role(owner: str, role: str) -> str:
    """A login role `role` in `gridflow_app` with a fresh password, created by the owner;
    returns the URL of the owner's database for it."""
    password = secrets.token_hex(16)
    admin = create_engine(owner, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}' "
                              "IN ROLE gridflow_app"))  # fmt: skip
    finally:
        admin.dispose()
    url = make_url(owner).set(username=role, password=password)
    return url.render_as_string(hide_password=False)


def drop_role(owner: str, role: str) -> None:
    """Ends the role's sessions and drops it."""
    admin = create_engine(owner, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role},
            )
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    finally:
        admin.dispose()


@contextmanager
def fresh_database(name: str, app_url: str) -> Iterator[str]:
    """Database `name` on the stack's server, created and migrated by the owner; yields its
    URL for the application role of `app_url`. Dropped on exit."""
    from services.store.migrate import upgrade

    admin = create_engine(owner_url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        upgrade(owner_url(name))
        yield on_database(app_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


STANDING = text(
    "SELECT current_user AS role, r.rolsuper AS superuser, "
    "pg_has_role(current_user, 'gridflow_app', 'MEMBER') AS member, "
    "pg_get_userbyid(c.relowner) = current_user AS owns_trail "
    "FROM pg_roles r, pg_class c WHERE r.rolname = current_user "
    "AND c.oid = 'audit_log'::regclass"
)


def standing(conn) -> tuple[bool, bool, bool]:
    """(superuser, member of gridflow_app, owner of the trail) of the connection's role: a
    gridflow process's role must stand at (False, True, False)."""
    row = conn.execute(STANDING).one()
    return row.superuser, row.member, row.owns_trail
