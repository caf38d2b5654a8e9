"""Write the golden forecasts: 300 series' inputs and what the shipped model served for them (float32).

Run from the repository root: ``python tests/golden/make_golden.py [--check]``. The inputs are stored
with the outputs, so the golden test needs neither the generator nor the flight data. Regenerate only
when the model or a serving option changes on purpose, and say so in CHANGELOG.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "forecasts.json.gz"
HORIZONS = (1, 6, 24, 48, 72, 168)


def _cases(data_csv: Path) -> list[tuple[str, np.ndarray, int, int]]:
    """(name, history, last epoch hour, hours ahead) for 300 series of every kind serving meets."""
    sys.path.insert(0, str(ROOT))
    from experiments.generator import generate_set
    from experiments.hourly_csv import read_hourly_csv
    from experiments.stress_families import FAMILIES, stress_cases

    rng = np.random.default_rng(20261204)
    cases: list[tuple[str, np.ndarray, int, int]] = []

    def add(name: str, values: np.ndarray, last: int) -> None:
        cases.append((name, np.asarray(values, dtype=np.float64), int(last), int(HORIZONS[len(cases) % 6])))

    lengths = (168, 336, 504, 672, 840, 1000)
    series, starts = generate_set(seed=9090, n_series=100, hours=1200)
    for i, (values, start) in enumerate(zip(series, starts)):
        n = lengths[i % len(lengths)]
        add(f"generated{i}", values[-n:], start + len(values) - 1)
    flights, first = read_hourly_csv(data_csv)
    for name, values in flights.items():                          # the validation slice: 57..65% of the year
        for k in range(20):
            end = int(len(values) * 0.57) + 24 * 3 * k + 7 * k
            add(f"flights-{name}{k}", values[end - lengths[k % 6]:end], first + end - 1)
    for family in FAMILIES:
        origins = stress_cases(family, n_series=15, seed=31337)
        for j in range(15):
            n = lengths[j % 6] if lengths[j % 6] <= origins.histories.shape[1] else 672
            add(f"stress-{family}{j}", origins.histories[j, -n:], origins.lasts[j])
    base = 24 * 7 * 2900 + 13
    shape = 100 + 80 * np.sin(2 * np.pi * np.arange(2000) / 24) + 30 * (np.arange(2000) // 24 % 7 < 5)
    for n in (1, 2, 5, 23, 24, 100, 167, 200, 215, 216, 335, 336, 503, 671, 673):   # short and padded
        add(f"short{n}", shape[-n:] * rng.uniform(0.9, 1.1, n), base)
    for n in (24, 400, 700):
        add(f"zero{n}", np.zeros(n), base)
        add(f"constant{n}", np.full(n, 42.0), base)
    for k in range(5):                                            # gapped: points with missing hours
        values = shape[-700:] * rng.uniform(0.9, 1.1, 700)
        missing = rng.choice(np.arange(1, 699), size=30 + 20 * k, replace=False)
        seen = np.setdiff1d(np.arange(700), missing)
        add(f"gapped{k}", np.interp(np.arange(700), seen, values[seen]), base - k)
    add("huge", shape[-700:] * 1e9, base)
    add("tiny", shape[-700:] * 1e-6, base)
    spiky = shape[-700:].copy()
    spiky[::97] *= 50
    add("spiky", spiky, base)
    stepped = shape[-700:].copy()
    stepped[-100:] *= 3
    add("level-step", stepped, base)
    add("outage", np.where(np.arange(700) > 650, 0.0, shape[-700:]), base)
    idle = shape[-700:] * ((np.arange(700) // 24) % 7 < 5)
    add("weekdays-only", idle, base)
    add("poisson", rng.poisson(0.7, 900).astype(float), base)
    add("repeat-of-generated0", cases[0][1], cases[0][2])     # a repeated (history, last hour) pair
    while len(cases) < 300:
        j = len(cases)
        add(f"noise{j}", np.exp(rng.normal(3, 0.5, 200 + 7 * j)), base - j)
    return cases


def served(cases) -> list[dict]:
    from models.serving import load_forecaster
    from datetime import datetime, timedelta

    forecaster = load_forecaster(device="cpu", precision="fp32")
    assert forecaster.info["loaded"], forecaster.info["error"]
    epoch = datetime(1970, 1, 1)
    outputs = forecaster.forecast([c[1] for c in cases], [epoch + timedelta(hours=c[2]) for c in cases],
                                  [c[3] for c in cases])
    return [{"p10": o.p10.tolist(), "median": o.median.tolist(), "p90": o.p90.tolist(), "method": o.method,
             "notes": [str(n) for n in o.notes], "backtest": o.backtest, "history_hours": o.history_hours,
             "padded_hours": o.padded_hours} for o in outputs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "nyc_departures_hourly.csv")
    args = parser.parse_args()
    cases = _cases(args.data)
    golden = {"cases": [{"name": c[0], "history": c[1].tolist(), "last_epoch_hour": c[2], "hours_ahead": c[3]}
                        for c in cases], "outputs": served(cases)}
    with gzip.open(GOLDEN, "wt", encoding="utf-8") as fh:
        json.dump(golden, fh)
    methods = {}
    for o in golden["outputs"]:
        methods[o["method"]] = methods.get(o["method"], 0) + 1
    print(f"wrote {len(cases)} cases to {GOLDEN.relative_to(ROOT)}; methods served: {methods}")


if __name__ == "__main__":
    main()
