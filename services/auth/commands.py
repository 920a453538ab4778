"""`gridflow user …`: accounts for admins (create, import a roster of grid workers)."""

from __future__ import annotations

import getpass

import click

from services.auth.principal import ROLES
from services.config import Config
from services.store.audit_log import acting_as


def cli_actor() -> str:
    """The actor the audit trail names for changes made from this command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@click.group()
def user() -> None:
    """Accounts: grid workers, operators, department staff, admins."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="display name")
@click.option("--phone", default=None)
@click.option("--cell", "cells", multiple=True, help="15-digit cell code (grid workers; repeat)")
@click.option(
    "--jurisdiction",
    default=None,
    help="district (6), street (9) or community (12) code (operators, leaders)",
)
@click.option("--department", default=None, help="department code (department staff)")
def user_create(username, role, password, display_name, phone, cells, jurisdiction, department):
    """Create an account."""
    from services.auth.users import AccountError, NewAccount, create_user
    from services.store.db import make_engine

    config = Config.from_env()
    account = NewAccount(
        username, password, role, display_name, phone, tuple(cells), jurisdiction, department
    )
    engine = make_engine(config.database_url)
    try:
        with engine.begin() as conn:
            acting_as(conn, cli_actor())
            user_id = create_user(conn, account, development=config.development)
    except AccountError as exc:
        raise click.BadParameter(exc.message, param_hint=f"'{exc.field}'") from exc
    finally:
        engine.dispose()
    click.echo(f"created {role} {username} (id {user_id})")


@user.command("import")
@click.argument("roster", type=click.File("r", encoding="utf-8-sig"))
def user_import(roster):
    """Create or update grid workers (and their cells) from a roster CSV.

    Columns: username, display_name, phone, cells (codes separated by ';'), password.
    Generated passwords are printed as `username,password` lines.
    """
    from services.auth.roster import RosterError, import_roster, parse_roster
    from services.store.db import make_engine

    config = Config.from_env()
    engine = make_engine(config.database_url)
    try:
        rows = parse_roster(roster)
        with engine.begin() as conn:
            acting_as(conn, cli_actor())
            result = import_roster(conn, rows, development=config.development)
    except RosterError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    created, updated = len(result.created), len(result.updated)
    click.echo(f"created {created}, updated {updated} grid workers", err=True)
    for username, password in result.created.items():
        click.echo(f"{username},{password}")


def _set_active(username: str, active: bool) -> None:
    from services.store.accounts import set_active
    from services.store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        with engine.begin() as conn:
            acting_as(conn, cli_actor())
            if not set_active(conn, username, active):
                raise click.ClickException(f"no account named {username!r}")
    finally:
        engine.dispose()


@user.command("disable")
@click.argument("username")
def user_disable(username):
    """Disable an account and revoke its sessions (its pages and live sockets are cut)."""
    _set_active(username, False)
    click.echo(f"disabled {username}")


@user.command("enable")
@click.argument("username")
def user_enable(username):
    """Enable a disabled account again (it signs in anew)."""
    _set_active(username, True)
    click.echo(f"enabled {username}")


@click.group()
def open311() -> None:
    """Open311 clients (hotline systems, residents' apps) and their API keys."""


@open311.command("add-client")
@click.argument("name")
@click.option(
    "--datum",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default="wgs84",
    show_default=True,
    help="datum of the coordinates the client sends and reads",
)
@click.option("--webhook-url", default=None, help="where its reporters' milestones are posted")
@click.option("--webhook-secret", default=None, help="the HMAC secret of its webhook")
def open311_add_client(name, datum, webhook_url, webhook_secret):
    """Register a client; prints its API key (shown once)."""
    from services.auth.apikeys import create_client
    from services.store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        with engine.begin() as conn:
            acting_as(conn, cli_actor())
            key = create_client(conn, name, datum=datum, webhook_url=webhook_url,
                                webhook_secret=webhook_secret)  # fmt: skip
    finally:
        engine.dispose()
    click.echo(key)


@open311.command("revoke-client")
@click.argument("name")
def open311_revoke_client(name):
    """Revoke a client's API key."""
    from services.auth.apikeys import revoke_client
    from services.store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        with engine.begin() as conn:
            acting_as(conn, cli_actor())
            if not revoke_client(conn, name):
                raise click.ClickException(f"no active client named {name!r}")
    finally:
        engine.dispose()
    click.echo(f"revoked {name}")
