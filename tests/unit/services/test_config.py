import pytest

from services.config import DEV_SECRET, Config, ConfigError


def test_reads_prefixed_variables_with_types():
    cfg = Config.from_env(
        {
            "GRIDFLOW_ENV": "development",
            "GRIDFLOW_TOPIC_PARTITIONS": "12",
            "GRIDFLOW_SNAP_DISTANCE_M": "12.5",
            "GRIDFLOW_TIMEZONE": "Asia/Urumqi",
        }
    )
    assert cfg.topic_partitions == 12
    assert cfg.snap_distance_m == 12.5
    assert cfg.timezone == "Asia/Urumqi"
    assert cfg.secret_key == DEV_SECRET


def test_production_refuses_missing_or_default_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_env({})
    with pytest.raises(ConfigError, match="well-known"):
        Config.from_env({"GRIDFLOW_SECRET_KEY": DEV_SECRET})
    long = "s3cr3t-long-enough-for-production"
    assert Config.from_env({"GRIDFLOW_SECRET_KEY": long}).secret_key == long


def test_malformed_number_is_named():
    with pytest.raises(ConfigError, match="GRIDFLOW_TOPIC_PARTITIONS"):
        Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_TOPIC_PARTITIONS": "many"})


def test_an_unknown_setting_is_a_start_up_error_naming_the_nearest():
    with pytest.raises(ConfigError, match="did you mean GRIDFLOW_RATE_LIMIT_PER_MINUTE"):
        Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_RATE_LIMT_PER_MINUTE": "5"})
    with pytest.raises(ConfigError, match="GRIDFLOW_NOTHING_LIKE_IT is not a gridflow setting"):
        Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_NOTHING_LIKE_IT": "1"})
    # the scripts' own variables are not settings and pass
    Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_STACK_PG_PORT": "56432"})


def test_the_calendar_and_tile_settings_are_declared_and_checked():
    cfg = Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_TILE_CRS": "wgs84",
                           "GRIDFLOW_OFFICE_HOURS": "09:00-17:00"})  # fmt: skip
    assert (cfg.tile_crs, cfg.office_hours) == ("wgs84", "09:00-17:00")
    with pytest.raises(ConfigError, match="GRIDFLOW_TILE_CRS"):
        Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_TILE_CRS": "bd09"})
    with pytest.raises(ConfigError, match="GRIDFLOW_TIMEZONE"):
        Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_TIMEZONE": "Mars/Olympus"})


def test_a_tile_template_needs_its_subdomains_and_key():
    dev = {"GRIDFLOW_ENV": "development"}
    tianditu = "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&tk={tk}"
    with pytest.raises(ConfigError, match="GRIDFLOW_TILE_KEY"):
        Config.from_env({**dev, "GRIDFLOW_TILE_URL": tianditu})
    with pytest.raises(ConfigError, match="GRIDFLOW_TILE_SUBDOMAINS"):
        Config.from_env({**dev, "GRIDFLOW_TILE_LABELS_URL": tianditu, "GRIDFLOW_TILE_KEY": "k",
                         "GRIDFLOW_TILE_SUBDOMAINS": ""})  # fmt: skip
    cfg = Config.from_env({**dev, "GRIDFLOW_TILE_URL": tianditu, "GRIDFLOW_TILE_KEY": "k",
                           "GRIDFLOW_TILE_SUBDOMAINS": "01234567"})  # fmt: skip
    assert (cfg.tile_key, cfg.tile_subdomains) == ("k", "01234567")


def test_every_setting_is_documented_in_the_readme():
    from dataclasses import fields
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    missing = [f"GRIDFLOW_{f.name.upper()}" for f in fields(Config)
               if f"GRIDFLOW_{f.name.upper()}" not in readme]  # fmt: skip
    assert missing == []


def test_by_default_a_process_connects_as_the_application_role_not_the_owner():
    """With no GRIDFLOW_DATABASE_URL, a process (and the grid commands) use the local stack's
    gridflow_api, a member of gridflow_app; only migrations name the owner."""
    from sqlalchemy.engine import make_url

    from geo.cli import DEFAULT_URL

    for url in (Config.from_env({"GRIDFLOW_ENV": "development"}).database_url, DEFAULT_URL):
        assert make_url(url).username == "gridflow_api", url


def test_a_districts_own_sms_gateway_is_checked_and_picked_before_the_global_one():
    own = '{"330212": {"url": "https://sms.example.cn/send", "format": "form", "token": "t"}}'
    config = Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_SMS_GATEWAYS": own,
                              "GRIDFLOW_SMS_GATEWAY_URL": "http://all.example.cn/sms"})  # fmt: skip
    district = config.sms_gateway("330212")
    assert (district.url, district.format, district.fields, district.token) == (
        "https://sms.example.cn/send", "form", "phone={phone},text={text}", "t")  # fmt: skip
    assert config.sms_gateway("330211").url == "http://all.example.cn/sms"
    assert config.sms_gateway(None).format == "json"
    assert Config().sms_gateway("330212") is None
    for bad, named in [
        ("[1]", "JSON object"),
        ("{", "not JSON"),
        ('{"3302": {"url": "http://x"}}', "'3302'"),
        ('{"330212": {"url": "ftp://x"}}', "330212 needs an http"),
        ('{"330212": {"url": "http://x", "format": "xml"}}', "330212 format"),
        ('{"330212": {"url": "http://x", "shape": "y"}}', "unknown keys"),
        ('{"330212": "http://x"}', "object of strings"),
    ]:
        with pytest.raises(ConfigError, match=f"GRIDFLOW_SMS_GATEWAYS.*{named}"):
            Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_SMS_GATEWAYS": bad})
    with pytest.raises(ConfigError, match="GRIDFLOW_SMS_GATEWAY_FORMAT"):
        Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_SMS_GATEWAY_FORMAT": "xml"})
