"""Rolling-origin evaluation of the model against classical baselines (MASE, band coverage)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from experiments.generator import GENERATOR_VERSION, generate_set
from experiments.hourly_csv import read_hourly_csv
from models.scoring import coverage, naive_scale, seasonal_naive
from models.dataset import TRAIN_SHARE
from models.features import CONTEXT_HOURS, DAY, HORIZON_HOURS, WEEK

HORIZONS = (24, 168)
INTERVAL_LEVEL = 0.9          # of the bootstrap interval around each model / baseline ratio
BOOTSTRAP_DRAWS = 2000
BOOTSTRAP_MIN_GROUPS = 3      # under this, resampling says nothing: no interval
SYNTHETIC_HELD_OUT_SEED = 20_261_128   # never used for training (training seeds are small integers)
EPOCH = dt.datetime(1970, 1, 1)


@dataclass
class Origins:
    """Forecast cases: histories [N, L], actuals [N, H], last epoch hours [N], a label each.

    ``groups`` [N] marks cases whose errors go together (one origin across columns of one CSV: the same
    week, the same holiday); the ratios' bootstrap resamples whole groups. None: every case its own group.
    """

    histories: np.ndarray
    actuals: np.ndarray
    lasts: np.ndarray
    labels: list[str] = field(default_factory=list)
    groups: np.ndarray | None = None

    @classmethod
    def concat(cls, parts: list["Origins"]) -> "Origins":
        """The parts' cases in order; each part's cases become one group of their own."""
        return cls(np.concatenate([p.histories for p in parts]), np.concatenate([p.actuals for p in parts]),
                   np.concatenate([p.lasts for p in parts]), [label for p in parts for label in p.labels],
                   np.concatenate([np.full(len(p.lasts), i) for i, p in enumerate(parts)]))


def rolling_origins(series: dict[str, np.ndarray], first_epoch_hour: int, origins: int = 12,
                    history: int = CONTEXT_HOURS, held_out: float = 1 - TRAIN_SHARE) -> Origins:
    """``origins`` forecast starts spread evenly over the last ``held_out`` share of each series.

    The starts may be closer than a test window, so windows can overlap: the held-out figures recorded with
    each artifact are made this way and stay comparable. ``spaced_origins`` keeps the windows apart.
    """
    def starts(name: str, values: np.ndarray) -> np.ndarray:
        first = max(int(len(values) * (1 - held_out)), history)
        last = len(values) - HORIZON_HOURS
        if last < first:
            raise ValueError(f"{name}: too short for {history} hours of history and a {HORIZON_HOURS}-hour horizon")
        return np.linspace(first, last, origins).astype(int)

    return _cut(series, first_epoch_hour, history, starts)


@dataclass(frozen=True)
class OriginPlan:
    """Where a series' origins go: ``used`` of ``requested``, each test window after the one before."""

    hours: int                  # the series' length
    history: int                # hours of context before each origin
    first: int                  # the earliest origin allowed: after the context and in the held-out share
    limit: str                  # what sets ``first``: "context" or "held_out"
    requested: int
    room: int                   # the most origins whose test windows fit between ``first`` and the end
    starts: tuple[int, ...]     # [used] hour index of each origin, at least HORIZON_HOURS apart

    @property
    def used(self) -> int:
        return len(self.starts)

    @property
    def apart(self) -> int | None:
        """The smallest gap between two origins (>= HORIZON_HOURS); None for a lone origin."""
        return int(np.diff(self.starts).min()) if self.used > 1 else None

    @property
    def room_after_context(self) -> int:
        """The most origins the series holds with the whole stretch after the context held out."""
        return max(self.hours - self.history, 0) // HORIZON_HOURS


class SeriesTooShort(ValueError):
    """Not even one test window fits: the series' length and the length one origin needs."""

    def __init__(self, name: str, hours: int, needed: int, history: int, held_out: float):
        self.name, self.hours, self.needed, self.history, self.held_out = name, hours, needed, history, held_out
        within = ("" if needed == history + HORIZON_HOURS
                  else f", inside the last {held_out:.0%} of the series")
        super().__init__(f"{name}: {hours} hours ({hours / WEEK:.1f} weeks) is too short; one origin needs "
                         f"{needed} hours: {history} hours of history and a {HORIZON_HOURS}-hour test window{within}")


def _earliest(hours: int, history: int, held_out: float) -> int:
    return max(int(hours * (1 - held_out)), history)


def hours_needed(history: int = CONTEXT_HOURS, held_out: float = 1 - TRAIN_SHARE) -> int:
    """The shortest series with room for one origin: its context and one test window in the held-out share."""
    hours = history + HORIZON_HOURS
    while hours - _earliest(hours, history, held_out) < HORIZON_HOURS:
        hours += 1
    return hours


def plan_origins(hours: int, requested: int, history: int = CONTEXT_HOURS, held_out: float = 1 - TRAIN_SHARE,
                 name: str = "series") -> OriginPlan:
    """Up to ``requested`` origins spread evenly over the held-out share, test windows never overlapping."""
    if requested < 1 or history < 1 or not 0 < held_out <= 1:
        raise ValueError(f"needs at least one origin and one hour of history, and a held-out share in (0, 1]; "
                         f"got {requested}, {history} and {held_out}")
    first = _earliest(hours, history, held_out)
    room = max(hours - first, 0) // HORIZON_HOURS                # the longest horizon: one window each
    if room == 0:
        raise SeriesTooShort(name, hours, hours_needed(history, held_out), history, held_out)
    used, last = min(requested, room), hours - HORIZON_HOURS
    # integer steps of at least (last - first) // (used - 1) >= HORIZON_HOURS; a lone origin is the latest
    starts = (last,) if used == 1 else tuple(first + i * (last - first) // (used - 1) for i in range(used))
    return OriginPlan(hours, history, first, "context" if first == history else "held_out", requested, room,
                      starts)


def spaced_origins(series: dict[str, np.ndarray], first_epoch_hour: int, origins: int = 12,
                   history: int = CONTEXT_HOURS, held_out: float = 1 - TRAIN_SHARE) -> tuple[Origins, OriginPlan]:
    """Rolling origins whose test windows never overlap, so each origin is one independent group.

    Fewer than ``origins`` where the series has no room for more; the plan says how many and why.
    """
    lengths = {len(values) for values in series.values()}
    if len(lengths) != 1:
        raise ValueError(f"the series must share one clock; their lengths are {sorted(lengths)}")
    name = next(iter(series))
    plan = plan_origins(lengths.pop(), origins, history, held_out, name)
    return _cut(series, first_epoch_hour, history, lambda _name, _values: plan.starts), plan


def _cut(series: dict[str, np.ndarray], first_epoch_hour: int, history: int, starts_of) -> Origins:
    """Each series' cases at ``starts_of(name, values)``; origin k of every series is group k."""
    hists, acts, lasts, labels, groups = [], [], [], [], []
    for name, values in series.items():
        for number, start in enumerate(starts_of(name, values)):
            hists.append(values[start - history:start]), acts.append(values[start:start + HORIZON_HOURS])
            lasts.append(first_epoch_hour + start - 1), labels.append(f"{name}@{start}")
            groups.append(number)                                 # the columns share the CSV's clock
    return Origins(np.stack(hists), np.stack(acts), np.asarray(lasts, dtype=np.int64), labels, np.asarray(groups))


def ratio_with_interval(model: np.ndarray, baseline: np.ndarray, groups: np.ndarray | None,
                        level: float = INTERVAL_LEVEL, draws: int = BOOTSTRAP_DRAWS, seed: int = 0) -> dict:
    """Mean MASE of the model over the baseline's, with a percentile bootstrap interval over groups of cases.

    Cases of one group (one origin across a CSV's columns) share their week, so whole groups are resampled:
    with 12 origins the interval says how far the ratio could move with another 12 weeks. ``model`` and
    ``baseline`` are per-case MASE [N]. The interval is None under ``BOOTSTRAP_MIN_GROUPS`` groups or
    where a draw's baseline total is 0. ``groups_better``: groups where the model's mean MASE is the lower.
    """
    groups = np.arange(len(model)) if groups is None else np.asarray(groups)
    _, index = np.unique(groups, return_inverse=True)
    model_sums = np.bincount(index, weights=model)               # [G]
    baseline_sums = np.bincount(index, weights=baseline)         # [G]
    picks = np.random.default_rng(seed).integers(0, len(model_sums), size=(draws, len(model_sums)))  # [D, G]
    drawn = baseline_sums[picks].sum(axis=1)                     # [D]
    total = float(baseline.sum())
    interval = None
    if total > 0 and (drawn > 0).all() and len(model_sums) >= BOOTSTRAP_MIN_GROUPS:
        ratios = model_sums[picks].sum(axis=1) / drawn
        tail = (1 - level) / 2
        interval = [float(v) for v in np.quantile(ratios, [tail, 1 - tail])]
    return {"ratio": float(model.sum()) / total if total > 0 else None, "interval": interval, "level": level,
            "groups": int(len(model_sums)), "cases_better": int((model < baseline).sum()),
            "cases_worse": int((model > baseline).sum()), "groups_better": int((model_sums < baseline_sums).sum()),
            "groups_worse": int((model_sums > baseline_sums).sum())}


def mstl_forecasts(histories: np.ndarray) -> np.ndarray | None:
    """statsforecast MSTL (daily and weekly seasons) for each history, clipped at 0; None when absent."""
    try:
        from statsforecast.models import MSTL
    except ImportError:
        return None
    out = [MSTL(season_length=[DAY, WEEK]).forecast(y=h.astype(np.float64), h=HORIZON_HOURS)["mean"]
           for h in histories]
    return np.maximum(np.asarray(out, dtype=np.float64), 0.0)


def case_mase(forecast: np.ndarray, cases: Origins, hours: int) -> np.ndarray:
    """MASE of each case's first ``hours`` [N] from ``forecast`` [N, >= hours], scaled over its own history."""
    scales = np.array([max(naive_scale(h), 1e-12) for h in cases.histories])             # [N]
    return np.abs(forecast[:, :hours] - cases.actuals[:, :hours]).mean(axis=1) / scales


def evaluate(forecaster, cases: Origins, with_mstl: bool = True) -> dict:
    """MASE per method and horizon (mean over cases) plus the model band's coverage; one batched forecast."""
    stamps = [EPOCH + dt.timedelta(hours=int(e)) for e in cases.lasts]
    outputs = forecaster.forecast(list(cases.histories), stamps, HORIZON_HOURS)
    forecasts = {
        "model": np.stack([o.median for o in outputs]),
        "seasonal_naive_weekly": np.stack([seasonal_naive(h, HORIZON_HOURS, WEEK) for h in cases.histories]),
        "seasonal_naive_daily": np.stack([seasonal_naive(h, HORIZON_HOURS, DAY) for h in cases.histories]),
    }
    mstl = mstl_forecasts(cases.histories) if with_mstl else None
    if mstl is not None:
        forecasts["mstl"] = mstl
    p10, p90 = np.stack([o.p10 for o in outputs]), np.stack([o.p90 for o in outputs])
    report = {"cases": len(cases.labels), "mstl_available": mstl is not None, "horizons": {}, "compared": {}}
    for h in HORIZONS:
        errors = {name: case_mase(f, cases, h) for name, f in forecasts.items()}          # [N] each
        report["horizons"][str(h)] = {
            **{f"mase_{name}": float(e.mean()) for name, e in errors.items()},
            "coverage_10_90": float(coverage(cases.actuals[:, :h], p10[:, :h], p90[:, :h]).mean()),
        }
        report["compared"][str(h)] = {name: ratio_with_interval(errors["model"], e, cases.groups)
                                      for name, e in errors.items() if name != "model"}
    report["methods_served"] = sorted({o.method for o in outputs})
    report["_outputs"] = outputs                                  # for plots; dropped before JSON
    return report


def ratio_text(compared: dict, by: str = "cases") -> str:
    """'1.007 (90% interval 0.985-1.044; better in 5, worse in 6)': one ``ratio_with_interval`` result.

    ``by="origins"`` counts groups instead of cases: 'better in 3 of 4 origins, worse in 1'.
    """
    if compared["ratio"] is None:
        return "n/a"
    span = ("no interval" if compared["interval"] is None
            else f"{compared['level']:.0%} interval {compared['interval'][0]:.3f}-{compared['interval'][1]:.3f}")
    if by == "origins":
        tied = compared["groups"] - compared["groups_better"] - compared["groups_worse"]
        tally = (f"better in {compared['groups_better']} of {compared['groups']} origins, "
                 f"worse in {compared['groups_worse']}" + (f", tied in {tied}" if tied else ""))
    else:
        tally = f"better in {compared['cases_better']}, worse in {compared['cases_worse']}"
    return f"{compared['ratio']:.3f} ({span}; {tally})"


def summary_line(report: dict) -> str:
    parts = []
    for h, r in report["horizons"].items():
        parts.append(f"{h}h: model {r['mase_model']:.3f} / weekly naive {r['mase_seasonal_naive_weekly']:.3f}"
                     + (f" / MSTL {r['mase_mstl']:.3f}" if "mase_mstl" in r else "")
                     + f", coverage {r['coverage_10_90']:.2f}")
    return "; ".join(parts)


def synthetic_cases(origins: int = 4, n_series: int = 24, seed: int = SYNTHETIC_HELD_OUT_SEED,
                    version: int = GENERATOR_VERSION) -> Origins:
    """Rolling origins over generated series; the default seed is the held-out set's."""
    hours = 2 * CONTEXT_HOURS + 2 * HORIZON_HOURS
    values, starts = generate_set(seed, n_series, hours, version)
    parts = [rolling_origins({f"synthetic{i}": v}, int(s), origins) for i, (v, s) in enumerate(zip(values, starts))]
    return Origins.concat(parts)                                  # a group per series: its own clock


def held_out_report(forecaster, csv: str | Path) -> dict:
    """An artifact's own figures: the held-out last 35% of ``csv``'s series and held-out generated series."""
    columns, first = read_hourly_csv(csv)
    real = {k: v for k, v in evaluate(forecaster, rolling_origins(columns, first)).items() if k != "_outputs"}
    synthetic = {k: v for k, v in evaluate(forecaster, synthetic_cases(), with_mstl=False).items()
                 if k != "_outputs"}
    return {"real_held_out_35pct": real, "synthetic_held_out": synthetic,
            "summary": f"real {summary_line(real)} | synthetic {summary_line(synthetic)}"}
