"""The Flask application factory for the gridflow API (and, later, its Socket.IO server)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine

from services.api import (
    accounts,
    admin,
    admin_calendar,
    admin_catalog,
    admin_grid,
    admin_grid_edit,
    admin_routing,
    audit,
    auth,
    case_search,
    department,
    grid,
    health,
    hotline,
    ledgers,
    mobile,
    my_notifications,
    notices,
    notifications,
    open311,
    open311_openapi,
    openapi,
    operator,
    patrol,
    rankings,
    reports,
    revisits,
    stats,
    supervision,
    tracking,
    verification,
)
from services.api.security_headers import init_security_headers
from services.api.sessions import CookieSessions
from services.config import Config
from services.http import errors
from services.http.addresses import TrustedProxies, trusted_networks
from services.live import init_live
from services.locator import Locator
from services.mobile_web import views as mobile_web
from services.observability.http import init_http_metrics
from services.store.db import make_engine
from services.store.reading import Reading
from services.web import pages

API_POOL_SIZE = 24


@dataclass
class Gridflow:
    """What the views of one app share: its config, its database engine, and where the
    read-heavy views read (the replica when one serves: services.store.reading)."""

    config: Config
    engine: Engine
    locator: Locator
    reading: Reading


def create_app(config: Config | None = None) -> Flask:
    """Builds the API app. Tests pass their Config; processes read it from the environment."""
    config = config or Config.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_content_length
    app.config["SECRET_KEY"] = config.secret_key
    app.session_interface = CookieSessions()
    # See make_engine: no pre-ping (503 + retry). Every request thread takes a connection per
    # statement; 24 kept open (+24 overflow, closed when given back) so a busy server does not
    # open and close connections at the rate of its requests (a PostgreSQL backend each time).
    engine = make_engine(config.database_url, pool_size=API_POOL_SIZE, pre_ping=False)
    locator = Locator(engine, snap_distance_m=config.snap_distance_m)
    reading = Reading(engine, config.database_read_url, max_lag_s=config.replica_max_lag_s)
    app.extensions["gridflow"] = Gridflow(config=config, engine=engine, locator=locator,
                                          reading=reading)  # fmt: skip
    errors.register_error_handlers(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(mobile_web.bp)
    for bp in (auth.bp, openapi.bp, grid.bp, mobile.bp, reports.bp, open311.bp, admin.bp,
               accounts.bp, admin_routing.bp, admin_calendar.bp, admin_catalog.bp,
               admin_grid.bp, admin_grid_edit.bp):  # fmt: skip
        app.register_blueprint(bp)
    for bp in (department.bp, operator.bp, supervision.bp, case_search.bp, hotline.bp,
               revisits.bp, verification.bp, stats.bp, audit.bp, open311_openapi.bp):  # fmt: skip
        app.register_blueprint(bp)
    app.register_blueprint(rankings.bp)
    app.register_blueprint(ledgers.bp)
    app.register_blueprint(notices.bp)
    app.register_blueprint(tracking.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(my_notifications.bp)
    app.register_blueprint(patrol.bp)
    init_security_headers(app)
    init_live(app, config)
    init_http_metrics(app, token=config.metrics_token, token_required=config.env == "production")
    networks = trusted_networks(config.trusted_proxies)
    if networks:
        app.wsgi_app = TrustedProxies(app.wsgi_app, networks)  # type: ignore[method-assign]
    return app
