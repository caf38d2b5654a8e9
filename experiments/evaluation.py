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
    """``origins`` forecast starts spread evenly over the last ``held_out`` share of each series."""
    hists, acts, lasts, labels, groups = [], [], [], [], []
    for name, values in series.items():
        first = max(int(len(values) * (1 - held_out)), history)
        last = len(values) - HORIZON_HOURS
        if last < first:
            raise ValueError(f"{name}: too short for {history} hours of history and a {HORIZON_HOURS}-hour horizon")
        for number, start in enumerate(np.linspace(first, last, origins).astype(int)):
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
    where a draw's baseline total is 0.
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
            "cases_worse": int((model > baseline).sum())}


def mstl_forecasts(histories: np.ndarray) -> np.ndarray | None:
    """statsforecast MSTL (daily and weekly seasons) for each history, clipped at 0; None when absent."""
    try:
        from statsforecast.models import MSTL
    except ImportError:
        return None
    out = [MSTL(season_length=[DAY, WEEK]).forecast(y=h.astype(np.float64), h=HORIZON_HOURS)["mean"]
           for h in histories]
    return np.maximum(np.asarray(out, dtype=np.float64), 0.0)


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
    scales = np.array([max(naive_scale(h), 1e-12) for h in cases.histories])[:, None]   # [N, 1]
    p10, p90 = np.stack([o.p10 for o in outputs]), np.stack([o.p90 for o in outputs])
    report = {"cases": len(cases.labels), "mstl_available": mstl is not None, "horizons": {}, "compared": {}}
    for h in HORIZONS:
        errors = {name: np.abs(f[:, :h] - cases.actuals[:, :h]).mean(axis=1, keepdims=True) / scales
                  for name, f in forecasts.items()}
        report["horizons"][str(h)] = {
            **{f"mase_{name}": float(e.mean()) for name, e in errors.items()},
            "coverage_10_90": float(coverage(cases.actuals[:, :h], p10[:, :h], p90[:, :h]).mean()),
        }
        report["compared"][str(h)] = {name: ratio_with_interval(errors["model"][:, 0], e[:, 0], cases.groups)
                                      for name, e in errors.items() if name != "model"}
    report["methods_served"] = sorted({o.method for o in outputs})
    report["_outputs"] = outputs                                  # for plots; dropped before JSON
    return report


def ratio_text(compared: dict) -> str:
    """'1.007 (90% interval 0.985-1.044; better in 5, worse in 6)': one ``ratio_with_interval`` result."""
    if compared["ratio"] is None:
        return "n/a"
    span = ("no interval" if compared["interval"] is None
            else f"{compared['level']:.0%} interval {compared['interval'][0]:.3f}-{compared['interval'][1]:.3f}")
    return f"{compared['ratio']:.3f} ({span}; better in {compared['cases_better']}, worse in {compared['cases_worse']})"


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
