"""The shipped model serves the golden forecasts bit for bit (float32), with the same methods and notes.

The golden file (tests/golden/forecasts.json.gz, written by tests/golden/make_golden.py before the serving
code was restructured) holds 300 series of every kind serving meets: generated, the flights' validation
slice, the stress families, and short, padded, gapped, zero, constant, huge, tiny and spiky histories.
All 300 are forecast in one call, as a batch job would, so the backtest rows run beside the forecasts.
"""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden" / "forecasts.json.gz"
EPOCH = datetime(1970, 1, 1)


@pytest.fixture(scope="module")
def golden() -> dict:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def served(golden) -> list:
    from models.serving import load_forecaster

    forecaster = load_forecaster(device="cpu", precision="fp32")
    cases = golden["cases"]
    return forecaster.forecast([np.asarray(c["history"]) for c in cases],
                               [EPOCH + timedelta(hours=c["last_epoch_hour"]) for c in cases],
                               [c["hours_ahead"] for c in cases])


def test_the_golden_set_covers_every_method(golden):
    assert len(golden["cases"]) == 300
    methods = {o["method"] for o in golden["outputs"]}
    assert methods == {"attention_bilstm", "seasonal_naive", "seasonal_naive_then_attention_bilstm",
                       "seasonal_trend"}


def test_quantiles_are_bit_identical(golden, served):
    for case, want, got in zip(golden["cases"], golden["outputs"], served):
        for key in ("p10", "median", "p90"):
            np.testing.assert_array_equal(getattr(got, key), np.asarray(want[key]), err_msg=f"{case['name']} {key}")


def test_methods_notes_and_backtests_are_the_same(golden, served):
    for case, want, got in zip(golden["cases"], golden["outputs"], served):
        assert got.method == want["method"], case["name"]
        assert [str(n) for n in got.notes] == want["notes"], case["name"]
        assert got.backtest == want["backtest"], case["name"]
        assert (got.history_hours, got.padded_hours) == (want["history_hours"], want["padded_hours"]), case["name"]
