from dataclasses import replace

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
    for bad in ("0.3", "1:0.03", "0.3:0", "a:b", "on"):
        with pytest.raises(ConfigError, match="FORECAST_FALLBACK_LEVEL_GATE"):
            load_settings(environ={"FORECAST_FALLBACK_LEVEL_GATE": bad})


def test_the_fallback_level_gate_setting_reaches_the_workers_model():
    from workers.model_holder import forget_forecaster, get_forecaster

    assert load_settings(environ={}).fallback_level_gate is None          # the model's stored value
    assert load_settings(environ={"FORECAST_FALLBACK_LEVEL_GATE": "Off"}).fallback_level_gate == float("inf")
    settings = load_settings(environ={"FORECAST_FALLBACK_LEVEL_GATE": " 0.3:0.03 "})
    assert settings.fallback_level_gate == (0.3, 0.03)
    forget_forecaster()
    try:
        assert get_forecaster(replace(settings, FORECAST_DEVICE="cpu")).info["fallback_level_gate"] == [0.3, 0.03]
        forget_forecaster()
        stored = get_forecaster(load_settings(environ={"FORECAST_DEVICE": "cpu"}))
        assert stored.info["loaded"] and stored.info["fallback_level_gate"] is None   # off in the shipped model
    finally:
        forget_forecaster()


def test_redis_fixture_is_a_real_server(redis_server):
    import redis
    r = redis.Redis.from_url(redis_server.url)
    assert r.ping()
    assert redis_server.port != 6379
