import pytest

from services.config import DEV_SECRET, Config, ConfigError


def test_reads_prefixed_variables_with_types():
    cfg = Config.from_env(
        {
            "GRIDFLOW_ENV": "development",
            "GRIDFLOW_TOPIC_PARTITIONS": "12",
            "GRIDFLOW_SNAP_DISTANCE_M": "12.5",
            "GRIDFLOW_FOO": "bar",
        }
    )
    assert cfg.topic_partitions == 12
    assert cfg.snap_distance_m == 12.5
    assert cfg.extra == {"foo": "bar"}
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
