"""Structured facts about one forecast (a code and its values), and the one table that words them.

Forecasters, transforms and the selector return ``Note``s; only the edge (a result's JSON, a log line)
turns them into sentences, with ``str(note)``. A note's values are plain numbers and strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Note:
    code: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return TEXTS[self.code](**self.values)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "values": dict(self.values), "message": str(self)}


def _out_of_scale(low: float, high: float, peak: float) -> str:
    return (f"the original model was trained on one fixed scale ({low:g} to {high:g} per hour); "
            f"this series (max {peak:g}) lies outside it, so expect a poor forecast")


def _cleaned_days(days: int, threshold: float) -> str:
    return (f"{days} day(s) of the history departed from their weekday's median total by more than "
            f"{threshold:.0%} (a holiday, an outage?): the network saw that weekday's median hours in their place")


_PADDING = {"weeks": "repeating its observed weeks", "profile": "from the model's weekly profile scaled to its mean"}


def _padded(hours: int, context: int, padded: int, how: str) -> str:
    return (f"history of {hours} hours is shorter than the {context}-hour context: padded {padded} hours "
            f"in front {_PADDING[how]}")


def _seasonal_trend(margin: float, mase_trend: float, mase_model: float, mase_naive: float) -> str:
    return (f"a seasonal-trend forecast (the weekly profile times the last day's level, with a damped trend) "
            f"beat the network and weekly seasonal naive on the backtest week by more than {margin:.0%} "
            f"(MASE {mase_trend:.3g} against {mase_model:.3g} and {mase_naive:.3g}): it served, since the level "
            f"moves in a way the network follows too slowly")


def _irregular_weeks(change: float, limit: float) -> str:
    return (f"the network lost its backtest to weekly seasonal naive, but the last week differs from the week "
            f"before by {change:.0%} of its mean (the fallback's limit is {limit:.0%}): the network served")


def _level_wanders(spread: float, persistence: float, gate_persistence: float, gate_spread: float) -> str:
    return (f"the network lost its backtest to weekly seasonal naive, but this series' day level wanders (day "
            f"totals spread {spread:.1%} around their weekday's usual level) and its departures last "
            f"(persistence {persistence:.2f}; the fallback's gate is persistence {gate_persistence:g} and spread "
            f"{gate_spread:.0%}): a week-old copy would be stale, so the network served")


def _naive_then_network(full: int, end: int) -> str:
    return (f"the network lost its backtest to weekly seasonal naive, which served hours 1-{full}, fading into "
            f"the network by hour {end}")


def _level_followed(persistence: float, departure: float, share: float, day_one: float) -> str:
    return (f"this series' day totals keep their departures from the weekday's usual level from day to day "
            f"(persistence {persistence:.2f}) and the last day ran {np.expm1(departure):+.1%} from it: the "
            f"forecast's day totals moved {share:.0%} of the way to that departure, fading by the persistence a "
            f"day (day 1 {day_one:+.1%})")


TEXTS: dict[str, Callable[..., str]] = {
    "out_of_scale": _out_of_scale,
    "cleaned_days": _cleaned_days,
    "padded_history": _padded,
    "short_history": lambda hours: f"history shorter than {hours} hours: the forecast leans on the padding",
    "no_backtest": lambda: "history shorter than 2 weeks: no backtest, the band is not calibrated",
    "band_from_daily_changes": lambda: "band from the history's day-over-day changes",
    "band_from_backtest_errors": lambda: "band from the 10th and 90th percentiles of the backtest week's errors",
    "seasonal_trend_served": _seasonal_trend,
    "fallback_refused_irregular_weeks": _irregular_weeks,
    "fallback_refused_level_wanders": _level_wanders,
    "seasonal_naive_served": lambda: "the network lost its backtest to weekly seasonal naive, which served instead",
    "seasonal_naive_then_network": _naive_then_network,
    "level_followed": _level_followed,
}
