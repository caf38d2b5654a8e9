"""Every note code renders: the TEXTS table words each code with exactly the values models/ builds it with."""
from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import models
from models.notes import TEXTS, Note
from models.serving import Forecaster
from models.serving_config import ServingConfig
from tests.test_model_calibration import PERIODIC
from tests.test_model_forecasters import legacy_forecaster
from tests.test_model_level import day_levels, with_levels
from tests.test_model_networks import START, forecaster_for, untrained
from tests.test_model_seasonal import growing

SAMPLES = [  # (code, the values as models/ builds them, fragments of the sentence)
    ("out_of_scale", {"low": 0.0, "high": 505.0, "peak": 45.0}, ["(0 to 505 per hour)", "(max 45)"]),
    ("cleaned_days", {"days": 2, "threshold": 0.1}, ["2 day(s)", "more than 10%"]),
    ("padded_history", {"hours": 100, "context": 672, "padded": 572, "how": "profile"},
     ["history of 100 hours", "672-hour context", "padded 572 hours", "weekly profile"]),
    ("padded_history", {"hours": 300, "context": 672, "padded": 372, "how": "weeks"}, ["repeating its observed weeks"]),
    ("short_history", {"hours": 216}, ["shorter than 216 hours"]),
    ("no_backtest", {}, ["no backtest"]),
    ("band_from_daily_changes", {}, ["day-over-day changes"]),
    ("band_from_backtest_errors", {}, ["backtest week's errors"]),
    ("seasonal_trend_served", {"margin": 0.2, "mase_trend": 0.5, "mase_model": 0.9, "mase_naive": 1.25},
     ["by more than 20%", "(MASE 0.5 against 0.9 and 1.25)"]),
    ("fallback_refused_irregular_weeks", {"change": 2 / 3, "limit": 0.2}, ["by 67% of its mean", "limit is 20%"]),
    ("fallback_refused_level_wanders", {"spread": 0.05, "persistence": 0.9, "gate_persistence": 0.5,
                                        "gate_spread": 0.03},
     ["spread 5.0%", "(persistence 0.90;", "gate is persistence 0.5 and spread 3%"]),
    ("seasonal_naive_served", {}, ["served instead"]),
    ("seasonal_naive_then_network", {"full": 24, "end": 72}, ["hours 1-24", "by hour 72"]),
    ("level_followed", {"persistence": 0.9, "departure": float(np.log(1.1)), "share": 0.5, "day_one": 0.05},
     ["(persistence 0.90)", "ran +10.0% from it", "moved 50%", "(day 1 +5.0%)"]),
]


def emitted() -> dict[str, set[tuple[str, ...]]]:
    """Every ``Note("code", {...})`` built in models/: the value keys of each construction, by code."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for path in Path(models.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Note":
                code, *values = node.args
                assert isinstance(code, ast.Constant) and all(isinstance(v, ast.Dict) for v in values), path
                keys = tuple(key.value for value in values for key in value.keys)
                found.setdefault(code.value, set()).add(keys)
    return found


def test_every_code_built_in_models_has_a_text_and_every_text_is_used():
    assert set(emitted()) == set(TEXTS)
    assert {code for code, _, _ in SAMPLES} == set(TEXTS)


@pytest.mark.parametrize("code", sorted(TEXTS))
def test_each_code_is_built_with_exactly_the_values_its_text_takes(code):
    takes = tuple(inspect.signature(TEXTS[code]).parameters)
    assert emitted()[code] == {takes}
    assert {tuple(values) for c, values, _ in SAMPLES if c == code} == {takes}


@pytest.mark.parametrize("code, values, fragments", SAMPLES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(SAMPLES)])
def test_each_note_renders_its_values(code, values, fragments):
    note = Note(code, values)
    text = str(note)
    for fragment in fragments:
        assert fragment in text
    assert json.loads(json.dumps(note.as_dict())) == {"code": code, "values": values, "message": text}


def test_the_notes_a_forecast_carries_hold_plain_values_and_render():
    wandering = with_levels(day_levels(35, 0.95, 0.08, seed=11))
    holiday = PERIODIC.copy()
    holiday[-5 * 24:-4 * 24] *= 0.3
    network = forecaster_for(untrained(seed=0), clean_days_threshold=0.1, seasonal_trend_margin=0.2)
    outs = network.forecast([PERIODIC[:100], holiday, growing(5, 0.02, noise=0.02)], [START] * 3, 168)
    outs += forecaster_for(untrained(seed=0), level_persistence_floor=0.0).forecast([wandering], [START], 24)
    legacy = Forecaster({"error": None}, legacy_forecaster(), ServingConfig())   # max 17: out of its scale
    outs += legacy.forecast([PERIODIC[:100] / 10, np.tile(PERIODIC[:168], 3)], [START] * 2, 24)
    notes = [note for out in outs for note in out.notes]
    assert {"padded_history", "short_history", "no_backtest", "cleaned_days", "seasonal_trend_served",
            "level_followed", "out_of_scale", "band_from_daily_changes", "band_from_backtest_errors"} <= {
        note.code for note in notes}
    for note in notes:
        assert all(type(value) in (int, float, str) for value in note.values.values()), note
        assert str(note) and json.dumps(note.as_dict())
