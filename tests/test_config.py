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
    for public in ("capplan.example.com", "ftp://capplan.example.com", "https://u:p@capplan.example.com"):
        with pytest.raises(ConfigError, match="PUBLIC_URL"):
            load_settings(environ={"PUBLIC_URL": public})
    assert load_settings(environ={"PUBLIC_URL": "https://capplan.example.com/"}).PUBLIC_URL


def test_serving_overrides_reach_the_workers_model_and_a_bad_one_is_named():
    from workers.model_holder import forget_forecaster, get_forecaster

    settings = load_settings(environ={"FORECAST_SERVING": " fallback_level_gate=0.3:0.03, seasonal_trend_margin=off ",
                                      "FORECAST_DEVICE": "cpu"})
    forget_forecaster()
    try:
        serving = get_forecaster(settings).info["serving"]
        assert serving["fallback_level_gate"] == [0.3, 0.03] and serving["seasonal_trend_margin"] is None
        forget_forecaster()
        stored = get_forecaster(load_settings(environ={"FORECAST_DEVICE": "cpu"}))
        assert stored.info["loaded"] and stored.info["serving"]["fallback_level_gate"] is None  # off when shipped
        assert stored.info["serving"]["seasonal_trend_margin"] == 0.25 and stored.info["precision"] == "fp32"
        forget_forecaster()
        broken = get_forecaster(replace(settings, FORECAST_SERVING="seasonal_trend_marjin=0.3"))
        assert not broken.info["loaded"]
        assert "FORECAST_SERVING" in broken.info["error"] and "did you mean seasonal_trend_margin" in broken.info["error"]
    finally:
        forget_forecaster()


def test_redis_fixture_is_a_real_server(redis_server):
    import redis
    r = redis.Redis.from_url(redis_server.url)
    assert r.ping()
    assert redis_server.port != 6379
