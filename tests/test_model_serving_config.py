"""ServingConfig refuses each bad option by name; parse_overrides reads a deployment's FORECAST_SERVING text."""
from __future__ import annotations

import dataclasses
import json

import pytest

from models.serving_config import OPTIONS, ServingConfig, ServingConfigError, parse_overrides

NAN, INF = float("nan"), float("inf")
BAD = {
    "fallback_to_seasonal_naive": [1, 0, "true", None],
    "fallback_fade_hours": [(0, 10), (72, 24), (24, 169), (1.5, 168), (24,), (1, 2, 3), "x", 24, None],
    "fallback_max_week_change": [0, -0.1, INF, NAN, True, "0.2"],
    "fallback_level_gate": [(1.0, 0.03), (-0.1, 0.03), (0.5, 0.0), (0.5, INF), (NAN, 0.03), (0.5,), "x", 0.5, INF],
    "clean_days_threshold": [0, -1, INF, NAN, False],
    "seasonal_trend_margin": [-0.1, 1.0, 5, NAN, INF, True],
    "level_persistence_floor": [1.0, -0.01, INF, NAN, "0.3"],
    "level_outlier_spreads": [0, -1.0, INF, NAN, True, "8"],
    "blend_median3": [-0.1, 1.5, NAN, INF, True, "0.5"],
}
GOOD = [  # (option, given, kept)
    ("fallback_to_seasonal_naive", True, True), ("fallback_fade_hours", [24, 72], (24, 72)),
    ("fallback_fade_hours", (24.0, 24.0), (24, 24)), ("fallback_max_week_change", 5, 5.0),
    ("fallback_level_gate", [0, 1], (0.0, 1.0)), ("fallback_level_gate", None, None),
    ("clean_days_threshold", 0.1, 0.1), ("seasonal_trend_margin", 0, 0.0), ("level_persistence_floor", 0.0, 0.0),
    ("blend_median3", 1, 1.0), ("blend_median3", 0, None),       # a weight of 0 is off
]


def test_every_option_has_bad_values_here():
    assert set(BAD) == set(OPTIONS) == {f.name for f in dataclasses.fields(ServingConfig)}


@pytest.mark.parametrize("option, value", [(name, value) for name, values in BAD.items() for value in values])
def test_each_bad_value_is_refused_by_its_options_name(option, value):
    for build in (lambda: ServingConfig(**{option: value}), lambda: ServingConfig().replace(**{option: value}),
                  lambda: ServingConfig.from_mapping({option: list(value) if isinstance(value, tuple) else value})):
        with pytest.raises(ServingConfigError, match=f"^{option} must be"):
            build()


@pytest.mark.parametrize("option, given, kept", GOOD)
def test_good_values_are_kept_in_their_own_type(option, given, kept):
    value = getattr(ServingConfig(**{option: given}), option)
    assert value == kept and type(value) is type(kept)


# _fade converts with int() before its range check: infinity raises OverflowError and NaN a ValueError that
# names no option; parse_overrides lets both through, so a worker's FORECAST_SERVING of 24:inf crashes its load.
@pytest.mark.parametrize("build", [lambda: ServingConfig(fallback_fade_hours=(24, INF)),
                                   lambda: ServingConfig(fallback_fade_hours=(NAN, 168)),
                                   lambda: parse_overrides("fallback_fade_hours=24:inf")], ids=["inf", "nan", "parsed"])
def test_fade_hours_that_are_not_finite_are_refused_by_name(build):
    with pytest.raises(ServingConfigError, match="fallback_fade_hours"):
        build()


@pytest.mark.parametrize("build", [lambda key: ServingConfig.from_mapping({key: 0.2}),
                                   lambda key: ServingConfig().replace(**{key: 0.2}),
                                   lambda key: parse_overrides(f"{key}=0.2")])
def test_an_unknown_option_is_refused_with_the_nearest_name(build):
    with pytest.raises(ServingConfigError, match="unknown serving option 'seasonal_trend_margni'; "
                                                 "did you mean seasonal_trend_margin"):
        build("seasonal_trend_margni")
    with pytest.raises(ServingConfigError, match="unknown serving option 'colour'") as refused:
        build("colour")
    assert "did you mean" not in str(refused.value)


def test_every_unknown_key_is_named_at_once():
    with pytest.raises(ServingConfigError, match="'fallback_fade_hour'; did you mean fallback_fade_hours.*'colour'"):
        ServingConfig.from_mapping({"fallback_fade_hour": [24, 72], "clean_days_threshold": 0.1, "colour": 1})


def test_defaults_switch_every_layer_off_are_frozen_and_round_trip_through_json():
    default = ServingConfig()
    assert default.as_dict() == {name: None for name in OPTIONS} | {
        "fallback_to_seasonal_naive": False, "fallback_fade_hours": [168, 168], "level_outlier_spreads": 8.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        default.blend_median3 = 0.5
    config = default.replace(fallback_to_seasonal_naive=True, fallback_fade_hours=(24, 72),
                             fallback_level_gate=(0.5, 0.03), seasonal_trend_margin=0.25)
    assert ServingConfig.from_mapping(json.loads(json.dumps(config.as_dict()))) == config
    assert config.replace(seasonal_trend_margin=None).seasonal_trend_margin is None   # None switches it off
    assert default.fallback_to_seasonal_naive is False                               # replace made a copy


def test_parse_overrides_reads_off_pairs_booleans_and_numbers():
    overrides = parse_overrides(" fallback_level_gate=0.3:0.03, seasonal_trend_margin=OFF , "
                                "fallback_to_seasonal_naive=True,clean_days_threshold = 0.1, fallback_fade_hours=24:72")
    assert overrides == {"fallback_level_gate": (0.3, 0.03), "seasonal_trend_margin": None,
                         "fallback_to_seasonal_naive": True, "clean_days_threshold": 0.1,
                         "fallback_fade_hours": (24.0, 72.0)}
    assert ServingConfig().replace(**overrides).fallback_fade_hours == (24, 72)
    assert parse_overrides("fallback_to_seasonal_naive=FALSE") == {"fallback_to_seasonal_naive": False}
    assert parse_overrides("") == {} and parse_overrides(" , ") == {}


@pytest.mark.parametrize("text, refused", [
    ("seasonal_trend_margin", "serving override 'seasonal_trend_margin' must be written name=value"),
    ("clean_days_threshold=0.1,level_persistence_floor", "'level_persistence_floor' must be written name=value"),
    ("clean_days_threshold=abc", "clean_days_threshold must be a number, A:B, true, false or off"),
    ("clean_days_threshold=", "clean_days_threshold must be a number"),
    ("clean_days_threshold=inf", "clean_days_threshold must be a positive number"),
    ("fallback_level_gate=0.5", "fallback_level_gate must be a pair"),
    ("fallback_level_gate=0.5:", "fallback_level_gate must be a number"),
    ("fallback_fade_hours=1:2:3", "fallback_fade_hours must be a pair"),
    ("fallback_to_seasonal_naive=1", "fallback_to_seasonal_naive must be true or false"),
    ("seasonal_trend_margin=1.5", r"seasonal_trend_margin must be a share in \[0, 1\)"),
    ("=0.3", "unknown serving option ''"),
])
def test_parse_overrides_refuses_a_malformed_item_by_name(text, refused):
    with pytest.raises(ServingConfigError, match=refused):
        parse_overrides(text)
