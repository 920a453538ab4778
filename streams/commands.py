"""The stream processors' commands of the `gridflow` CLI: relay, router, notifier, patrol,
topics, rules."""

from __future__ import annotations

import sys

import click

from services.config import Config

METRICS_HELP = "serve Prometheus /metrics on this port (default GRIDFLOW_METRICS_PORT; 0: none)"


@click.command()
@click.option("--log-level", default="INFO", show_default=True)
@click.option("--metrics-port", type=int, default=None, help=METRICS_HELP)
def relay(log_level: str, metrics_port: int | None) -> None:
    """Publish the outbox to Kafka (runs until SIGTERM/SIGINT; several may run)."""
    from services.runtime import settle_heap
    from streams.process import configure_logging, start_metrics, stop_on_signals
    from streams.relay import run_relay

    configure_logging(log_level)
    stop = stop_on_signals()
    config = Config.from_env()
    metrics = start_metrics(config, metrics_port, outbox=True)
    click.echo("gridflow relay: publishing the outbox", err=True)
    settle_heap()
    try:
        run_relay(config, stop)
    finally:
        if metrics is not None:
            metrics.close()
    click.echo("gridflow relay: stopped", err=True)


@click.command()
@click.option("--log-level", default="INFO", show_default=True)
@click.option(
    "--group",
    default="router",
    show_default=True,
    help="consumer group (prefixed by GRIDFLOW_TOPIC_PREFIX); a new group replays from offset 0",
)
@click.option("--metrics-port", type=int, default=None, help=METRICS_HELP)
def router(log_level: str, group: str, metrics_port: int | None) -> None:
    """Register, deduplicate and dispatch every captured report (runs until SIGTERM/SIGINT;
    any number may run in one consumer group)."""
    from services.runtime import settle_heap
    from streams.process import configure_logging, start_metrics, stop_on_signals
    from streams.router import run_router

    configure_logging(log_level)
    stop = stop_on_signals()
    config = Config.from_env()
    metrics = start_metrics(config, metrics_port)
    click.echo("gridflow router: consuming reports", err=True)
    settle_heap()
    try:
        run_router(config, stop, group=group)
    finally:
        if metrics is not None:
            metrics.close()
    click.echo("gridflow router: stopped", err=True)


@click.command()
@click.option("--log-level", default="INFO", show_default=True)
@click.option(
    "--group",
    default="notifier",
    show_default=True,
    help="consumer group; a new group replays from offset 0 (nothing is sent twice)",
)
@click.option("--metrics-port", type=int, default=None, help=METRICS_HELP)
def notifier(log_level: str, group: str, metrics_port: int | None) -> None:
    """Send each case milestone to its reporter (Open311 webhooks, SMS), effectively once
    (runs until SIGTERM/SIGINT)."""
    from streams.notifier import run_notifier
    from streams.process import configure_logging, start_metrics, stop_on_signals

    configure_logging(log_level)
    stop = stop_on_signals()
    config = Config.from_env()
    metrics = start_metrics(config, metrics_port)
    click.echo("gridflow notifier: consuming case events", err=True)
    try:
        run_notifier(config, stop, group=group)
    finally:
        if metrics is not None:
            metrics.close()
    click.echo("gridflow notifier: stopped", err=True)


@click.command()
@click.option("--log-level", default="INFO", show_default=True)
@click.option(
    "--group",
    default="patrol",
    show_default=True,
    help="consumer group; a new group replays from offset 0 (every figure stays as it is)",
)
@click.option("--metrics-port", type=int, default=None, help=METRICS_HELP)
def patrol(log_level: str, group: str, metrics_port: int | None) -> None:
    """Fold patrol pings into tracks, attendance and cell coverage (runs until
    SIGTERM/SIGINT; any number may run in one consumer group)."""
    from streams.patrol import run_patrol
    from streams.process import configure_logging, start_metrics, stop_on_signals

    configure_logging(log_level)
    stop = stop_on_signals()
    config = Config.from_env()
    metrics = start_metrics(config, metrics_port)
    click.echo("gridflow patrol: consuming patrol pings", err=True)
    try:
        run_patrol(config, stop, group=group)
    finally:
        if metrics is not None:
            metrics.close()
    click.echo("gridflow patrol: stopped", err=True)


@click.group()
def topics() -> None:
    """Kafka topics."""


@topics.command("create")
def topics_create() -> None:
    """Create every gridflow topic that is missing (partitions from GRIDFLOW_TOPIC_PARTITIONS)."""
    from streams.topics import ensure_topics

    config = Config.from_env()
    created = ensure_topics(config)
    click.echo(f"created: {', '.join(created)}" if created else "every topic exists")


@topics.command("status")
def topics_status() -> None:
    """Print the brokers in the cluster and the partitions of gridflow's topics that are
    under-replicated or leaderless (exit 1 when any is)."""
    from streams.topics import replication

    state = replication(Config.from_env())
    fenced = f" (fenced: {', '.join(map(str, state.fenced))})" if state.fenced else ""
    click.echo(f"brokers in the cluster: {', '.join(map(str, state.brokers))}{fenced}")
    click.echo(f"partitions: {state.partitions}, under-replicated: {state.under_replicated}, "
               f"without a leader: {state.leaderless}")  # fmt: skip
    if state.under_replicated or state.leaderless:
        sys.exit(1)


@click.group()
def rules() -> None:
    """Departments and routing rules."""


@rules.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", default="cli", show_default=True, help="name recorded in the audit log")
def rules_import(file: str, actor: str) -> None:
    """Import departments and/or a complete ruleset from a YAML or CSV FILE (one new ruleset
    version; refused as a whole if any rule breaks a community's admission list)."""
    from services.cases.errors import CaseError
    from services.routing.rulefile import import_file
    from services.store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        outcome = import_file(engine, file, actor=actor)
    except CaseError as exc:
        click.echo(f"refused: {exc}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"departments saved: {len(outcome.departments)}")
    if outcome.version is not None:
        click.echo(f"ruleset version {outcome.version}: {outcome.rules} rules")


@rules.command("list")
def rules_list() -> None:
    """Print the active rules (category, jurisdiction, department, priority)."""
    from services.store import departments as store
    from services.store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        with engine.connect() as conn:
            version = store.current_version(conn)
            rows = store.rule_rows(conn)
    finally:
        engine.dispose()
    click.echo(f"ruleset version {version}: {len(rows)} rules")
    for r in rows:
        category = r["category_code"] or "*"
        click.echo(f"{category}\t{r['jurisdiction_code']}\t{r['department_code']}\t{r['priority']}")


COMMANDS = [relay, router, notifier, patrol, topics, rules]
