"""Configuration: every setting comes from a GRIDFLOW_* environment variable, read once here.

The resulting `Config` is passed down explicitly; nothing else reads the environment.
Tests build their own `Config` instead of touching os.environ.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.domain.calendar import DEFAULT_TIMEZONE
from services.http.addresses import trusted_networks

PREFIX = "GRIDFLOW_"
# The local stack as its processes' login role (the owner, gridflow, only migrates).
DEFAULT_DATABASE_URL = "postgresql+psycopg://gridflow_api@127.0.0.1:55432/gridflow"
DEFAULT_KAFKA = "127.0.0.1:59092"
DEV_SECRET = "gridflow-development-secret"
# Variables the scripts read (./scripts/stack, setup, demo, test, bench), not a process.
SCRIPT_VARIABLES = frozenset(
    PREFIX + name
    for name in (
        "STACK_PG_PORT", "STACK_PG_REPLICA_PORT", "STACK_KAFKA_PORT",
        "STACK_KAFKA_CONTROLLER_PORT", "KEEP_STACK",
        "APT_UPDATED", "DEMO_SIMULATE", "LB_PORT",
    )
)  # fmt: skip
MIN_SECRET_LENGTH = 16


class ConfigError(ValueError):
    """A setting is missing or malformed; raised at start-up, before anything is served."""


@dataclass(frozen=True)
class Config:
    """Every knob of a gridflow process. Field `x` is read from `GRIDFLOW_X`."""

    database_url: str = DEFAULT_DATABASE_URL
    # A streaming replica for the read-heavy paths (KPI and ranking pages, ledgers, exports;
    # services.store.reading); empty: they read the primary. A replica that does not answer or
    # is more than replica_max_lag_s behind is passed over for the primary until it is back.
    database_read_url: str = ""
    replica_max_lag_s: float = 30.0
    kafka_bootstrap_servers: str = DEFAULT_KAFKA
    topic_prefix: str = "gridflow."
    topic_partitions: int = 6
    topic_replication_factor: int = 1
    # The outbox relay polls this often when no NOTIFY arrives (seconds).
    relay_poll_interval_s: float = 2.0
    # development | production. Well-known demo passwords and default secrets are refused
    # outside development.
    env: str = "production"
    secret_key: str = ""
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 14 * 24 * 3600
    health_timeout_s: float = 1.5
    snap_distance_m: float = 30.0
    max_content_length: int = 70 * 1024 * 1024
    media_dir: str = ".run/media"
    # Per-account request rates (token buckets held in each API process).
    rate_limit_per_minute: int = 120
    login_rate_per_minute: int = 10
    tile_url: str = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
    # The live server re-checks the token of each connected page this often (seconds).
    live_auth_check_s: float = 15.0
    # Live sockets of one API process: at most this many open transports (a new one beyond is
    # refused with 503 and Retry-After), at most this many from one client address, closed
    # when no authenticated Socket.IO connect came within the timeout (seconds), and at most
    # this many events a second from one socket (case_detail, summary, token; burst 4x).
    live_max_clients: int = 12000
    live_max_per_address: int = 256
    live_connect_timeout_s: float = 10.0
    live_event_rate_per_s: float = 5.0
    # Comma-separated addresses or CIDR blocks of the reverse proxies whose X-Forwarded-For is
    # believed (the load balancer in front of `gridflow serve`); empty: the peer's address is
    # the client's. Sign-in limits, logs and live sockets all key on the client's address
    # (services.http.addresses).
    trusted_proxies: str = ""
    # Handling: field verification limit (counted on the case's calendar), the SLA sweep
    # interval, where the scheduler writes the monthly ledgers and at what local hour daily.
    verify_limit_minutes: int = 60
    # A 不满意 rating opens a revisit (回访) due in this many working hours.
    revisit_working_hours: float = 8.0
    # Notifications to reporters (`gridflow notifier`): an undelivered one is retried after
    # first_s, doubling up to cap_s, and dead-lettered after max_attempts (the defaults outlast
    # a receiver down for 4 minutes); each attempt waits timeout_s for the receiver.
    notify_max_attempts: int = 10
    notify_backoff_first_s: float = 1.0
    notify_backoff_cap_s: float = 60.0
    notify_timeout_s: float = 5.0
    # The SMS gateway (empty URL: no SMS): json or form body, its fields as name={template}
    # pairs over {phone}, {text}, {case_no}, and a bearer token. A district with a gateway of
    # its own (its province's 政务短信 platform) names it in sms_gateways, a JSON object of
    # district code → {"url", "format", "fields", "token"} (the last three as the settings
    # here, their defaults if left out); the other districts' texts go by the one here.
    sms_gateways: str = ""
    sms_gateway_url: str = ""
    sms_gateway_format: str = "json"
    sms_gateway_fields: str = "phone={phone},text={text}"
    sms_gateway_token: str = ""
    # Where residents reach gridflow (tracking links in texts), e.g. https://12345.example.cn
    public_url: str = ""
    sla_sweep_interval_s: float = 60.0
    ledger_dir: str = ".run/ledgers"
    # A YAML file of the rankings' composite-score schemes (empty: services/stats/schemes.yaml).
    kpi_schemes: str = ""
    ledger_hour: int = 1
    # Metrics: a stream processor serves /metrics on this port (0: none; --metrics-port
    # overrides it); the API's /metrics asks for this bearer token when one is set.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    metrics_token: str = ""
    # Housekeeping (the scheduler, hourly): outbox rows are kept this long after Kafka has
    # them, and the consumers' processed-event marks this long (beyond the broker's 7-day
    # retention, so no redelivered event is ever applied twice).
    outbox_keep_hours: float = 24.0
    processed_event_keep_days: float = 14.0
    # The router applies up to this many reports of a poll in one transaction (1: one each);
    # a poll holds up to max(200, this) records. Polls are that large only when reports wait
    # (a backlog after an outage, a burst): then a batch's fixed costs (its statements, its
    # commit, the offsets' commit) are shared by more reports.
    router_batch_size: int = 1600
    # …split into this many transactions side by side, each category's reports in one of them
    # (at least 50 reports in each): while one waits for PostgreSQL the others run.
    router_lanes: int = 4
    # …fetched once about a full poll is there or after this wait (ms; 0: at once): under a
    # trickle, fewer and larger polls (their fixed costs shared) for at most this much latency.
    router_fetch_wait_ms: int = 50
    # Open311: the channels whose requests anyone may list and read (comma-separated; a
    # client's key always sees its own requests).
    open311_public_channels: str = "open311,hotline"
    # The working calendar: office hours ("08:30-12:00,13:30-17:30"; empty: those) and the
    # time zone time limits are counted in.
    office_hours: str = ""
    timezone: str = DEFAULT_TIMEZONE
    # Patrol (`gridflow patrol`): a cell's area within this many metres of a day's track is
    # covered; a cell with no coverage for this many days is flagged; raw points are kept
    # this many days (the simplified tracks and the figures for good).
    patrol_reach_m: float = 30.0
    patrol_idle_days: int = 3
    patrol_keep_days: int = 90
    # The datum the map tiles are drawn in: gcj02 (AMap's default tiles, Tencent's) or wgs84
    # (Tianditu's CGCS2000, OSM); every page draws its overlays in it.
    tile_crs: str = "gcj02"
    # The characters put for {s} in the tile URLs, the attribution and the map's review
    # number (审图号) the provider asks pages to show, an annotation layer drawn over the tiles
    # (Tianditu's `cva` over its `vec`), and the key put for {tk} in both URLs (Tianditu's).
    tile_subdomains: str = "1234"
    tile_attribution: str = "© 高德地图"
    tile_approval: str = ""
    tile_labels_url: str = ""
    tile_key: str = ""

    @property
    def development(self) -> bool:
        return self.env == "development"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Builds a Config from GRIDFLOW_* variables. A GRIDFLOW_* variable that is neither a
        setting nor one of the scripts' (SCRIPT_VARIABLES) is a ConfigError naming the
        nearest setting: a typo never passes silently."""
        environ = os.environ if environ is None else environ
        names = {PREFIX + f.name.upper(): f for f in fields(cls)}
        for name in sorted(environ):
            if name.startswith(PREFIX) and name not in names and name not in SCRIPT_VARIABLES:
                raise ConfigError(_unknown(name, names))
        defaults = cls()
        values = {
            f.name: _coerce(f.name, environ[name], type(getattr(defaults, f.name)))
            for name, f in names.items()
            if name in environ
        }
        return cls(**values).checked()

    def checked(self) -> Config:
        """Fills development defaults in; refuses unsafe production settings."""
        if self.env not in ("development", "production", "test"):
            raise ConfigError(f"GRIDFLOW_ENV must be development, test or production: {self.env!r}")
        try:
            trusted_networks(self.trusted_proxies)
        except ValueError as exc:
            raise ConfigError(f"GRIDFLOW_TRUSTED_PROXIES: {exc}") from exc
        if self.tile_crs not in ("gcj02", "wgs84"):
            raise ConfigError(f"GRIDFLOW_TILE_CRS must be gcj02 or wgs84: {self.tile_crs!r}")
        _check_tile_templates(self)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"GRIDFLOW_TIMEZONE is not a time zone: {self.timezone!r}") from exc
        if not 0 < self.patrol_reach_m <= 500:
            raise ConfigError(f"GRIDFLOW_PATROL_REACH_M must be in (0, 500]: {self.patrol_reach_m}")
        if self.patrol_idle_days < 1 or self.patrol_keep_days < 1:
            raise ConfigError(
                "GRIDFLOW_PATROL_IDLE_DAYS and GRIDFLOW_PATROL_KEEP_DAYS must be 1 or more"
            )
        if self.sms_gateway_format not in GATEWAY_FORMATS:
            raise ConfigError(
                f"GRIDFLOW_SMS_GATEWAY_FORMAT must be json or form: {self.sms_gateway_format!r}"
            )
        district_gateways(self.sms_gateways)
        if self.development:
            return self if self.secret_key else replace(self, secret_key=DEV_SECRET)
        if not self.secret_key.strip():
            raise ConfigError("GRIDFLOW_SECRET_KEY must be set outside development")
        if self.secret_key == DEV_SECRET:
            raise ConfigError("GRIDFLOW_SECRET_KEY is the well-known development secret")
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"GRIDFLOW_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters "
                "outside development"
            )
        return self

    def sms_gateway(self, district_code: str | None) -> SmsGateway | None:
        """The SMS gateway of a district's texts: its own when it has one, else the global one;
        None when neither is configured."""
        own = district_gateways(self.sms_gateways).get(district_code or "")
        if own is not None:
            return own
        if not self.sms_gateway_url:
            return None
        return SmsGateway(self.sms_gateway_url, self.sms_gateway_format,
                          self.sms_gateway_fields, self.sms_gateway_token)  # fmt: skip

    def with_(self, **changes: object) -> Config:
        """A copy with some fields changed (tests use this)."""
        return replace(self, **changes)


def _check_tile_templates(config: Config) -> None:
    """A {s} needs subdomains and a {tk} a key: Leaflet would otherwise fail on every tile."""
    for name in ("tile_url", "tile_labels_url"):
        url = getattr(config, name)
        if "{s}" in url and not config.tile_subdomains.strip():
            raise ConfigError(f"GRIDFLOW_{name.upper()} has {{s}}: set GRIDFLOW_TILE_SUBDOMAINS")
        if "{tk}" in url and not config.tile_key.strip():
            raise ConfigError(f"GRIDFLOW_{name.upper()} has {{tk}}: set GRIDFLOW_TILE_KEY")


GATEWAY_FORMATS = ("json", "form")
DISTRICT_CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class SmsGateway:
    """One SMS gateway's URL and shape (services.notify.channels.send_sms)."""

    url: str
    format: str = "json"
    fields: str = "phone={phone},text={text}"
    token: str = ""


@lru_cache(maxsize=8)
def district_gateways(raw: str) -> dict[str, SmsGateway]:
    """GRIDFLOW_SMS_GATEWAYS read: district code → its gateway. ConfigError names the entry
    at fault."""
    if not raw.strip():
        return {}
    where = "GRIDFLOW_SMS_GATEWAYS"
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{where} must be a JSON object of district code → gateway")
    found = {}
    for code, entry in doc.items():
        if not DISTRICT_CODE.match(code):
            raise ConfigError(f"{where}: {code!r} is not a 6-digit district code")
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            raise ConfigError(f"{where}: {code} must be an object of strings")
        unknown = set(entry) - {"url", "format", "fields", "token"}
        if unknown:
            raise ConfigError(f"{where}: {code} has unknown keys {sorted(unknown)}")
        if not entry.get("url", "").startswith(("http://", "https://")):
            raise ConfigError(f"{where}: {code} needs an http(s) url")
        if entry.get("format", "json") not in GATEWAY_FORMATS:
            raise ConfigError(f"{where}: {code} format must be json or form")
        found[code] = SmsGateway(**entry)
    return found


def _unknown(name: str, known: Iterable[str]) -> str:
    nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean {nearest[0]}?" if nearest else ""
    return f"{name} is not a gridflow setting{hint} (the README lists every setting)"


def _coerce(name: str, raw: str, kind: type) -> object:
    try:
        if kind is bool:
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
    return raw
