"""The check every stored body passes: only JSON values, every number finite."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from jobs.json_values import NotJson, check_json

GOOD = {"a": [1, 2.5, -0.0, None, True, "x", {"b": []}], "big": 10 ** 400, "tiny": 5e-324,
        "numpy": np.float64(1.5), "pair": (1, 2)}


def test_plain_json_passes():
    check_json(GOOD)
    check_json(json.loads(json.dumps(GOOD, default=float)))


@pytest.mark.parametrize(("value", "where"), [
    ({"a": [1.0, math.nan]}, "$.a[1]"), ({"x": {"y": math.inf}}, "$.x.y"), ([-math.inf], "$[0]"),
    ({"f": [{"lower": np.float64("nan")}]}, "$.f[0].lower"), ({"n": np.int64(3)}, "$.n"),
    ({"s": {1, 2}}, "$.s"), ({1: "key"}, "$[1]"), (float("nan"), "$"),
])
def test_nan_infinity_and_non_json_values_are_named(value, where):
    with pytest.raises(NotJson) as caught:
        check_json(value)
    assert caught.value.where == where


def test_the_parsed_words_nan_and_infinity_fail():
    with pytest.raises(NotJson, match=r"\$\.load"):
        check_json(json.loads('{"load": Infinity}'))
