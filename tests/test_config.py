import pytest

from capplan.config import ConfigError, load_settings


def test_defaults_then_environment_then_override():
    s = load_settings(environ={"PORT": "6000", "SYNC_WAIT_S": "2.5"}, override={"SYNC_WAIT_S": 1})
    assert s.PORT == 6000
    assert s.SYNC_WAIT_S == 1.0
    assert s.SYNC_MAX_HOURS == 48


def test_bad_values_name_the_setting():
    with pytest.raises(ConfigError, match="PORT"):
        load_settings(environ={"PORT": "abc"})
    with pytest.raises(ConfigError, match="FORECAST_DEVICE"):
        load_settings(environ={"FORECAST_DEVICE": "tpu"})
    with pytest.raises(ConfigError, match="FORECAST_PRECISION"):
        load_settings(environ={"FORECAST_PRECISION": "fp16"})
    with pytest.raises(ConfigError, match="NOPE"):
        load_settings(environ={}, override={"NOPE": 1})


def test_redis_fixture_is_a_real_server(redis_server):
    import redis
    r = redis.Redis.from_url(redis_server.url)
    assert r.ping()
    assert redis_server.port != 6379
