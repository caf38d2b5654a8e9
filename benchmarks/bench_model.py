"""Forecasting core benchmark: speed against the original rollout, accuracy against classical baselines.

Run: .venv/bin/python benchmarks/bench_model.py [--model-dir DIR] [--threads 2] [--skip-accuracy] [--precision P]
Prints figures, ratios and each target as met / NOT MET; writes benchmarks/out/bench_model.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.preprocessing import MinMaxScaler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.data_paths import resolve  # noqa: E402
from experiments.evaluation import evaluate, ratio_text, rolling_origins, synthetic_cases  # noqa: E402
from experiments.hourly_csv import read_hourly_csv  # noqa: E402
from models.forecasters.legacy import LegacyForecaster  # noqa: E402
from models.network import LegacyAttentionLSTM  # noqa: E402
from models.serving import Forecaster, load_forecaster  # noqa: E402
from models.dataset import FLIGHTS_CSV  # noqa: E402

LAST = dt.datetime(2024, 6, 3, 23)


def _histories(n: int, hours: int = 672) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(hours)
    base = 500 * (1 + 0.6 * np.sin(2 * np.pi * t / 24)) * (1 + 0.2 * np.sin(2 * np.pi * t / 168))
    return [base * rng.lognormal(0, 0.1, hours) * rng.uniform(0.1, 10) for _ in range(n)]


def _time_ms(call, repeats: int) -> float:
    call()                                                        # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def original_approach() -> Forecaster:
    """The original design: hidden-128 one-step network rolled forward 168 times (untrained weights, same cost)."""
    torch.manual_seed(0)
    counts = np.linspace(0, 505, 100)
    target = MinMaxScaler().fit(np.stack([counts] * 3, axis=1))
    times = MinMaxScaler().fit(np.stack([np.arange(100) % 24, np.arange(100) % 7], axis=1))
    legacy = LegacyForecaster(LegacyAttentionLSTM(), target, times, torch.device("cpu"))
    return Forecaster({"loaded": True, "error": None}, legacy)


def speed(forecaster: Forecaster, rounds: int = 5) -> dict:
    """Each figure is the median over ``rounds`` interleaved rounds, each round timing batch 1 (median of 50
    calls), batch 1000 (one call) and the original (median of 3): a shared host's speed drifts between them."""
    one, many = _histories(1), _histories(1000)
    legacy = original_approach()
    samples = {"batch1_ms": [], "batch1000_ms": [], "original_batch1_ms": []}
    for _ in range(rounds):
        samples["batch1_ms"].append(_time_ms(lambda: forecaster.forecast(one, [LAST], 168), 50))
        samples["batch1000_ms"].append(_time_ms(lambda: forecaster.forecast(many, [LAST] * 1000, 168), 1))
        samples["original_batch1_ms"].append(_time_ms(lambda: legacy.forecast(one, [LAST], 168), 3))
    res = {key: statistics.median(values) for key, values in samples.items()}
    res["rounds"] = {key: [round(v, 3) for v in values] for key, values in samples.items()}
    res["batch1000_ms_per_series"] = res["batch1000_ms"] / 1000
    res["speedup_vs_original"] = res["original_batch1_ms"] / res["batch1_ms"]
    return res


def _spread(values: list[float], scale: float = 1.0) -> str:
    return f"rounds {min(values) * scale:.4g}-{max(values) * scale:.4g}"


def _check(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _compared(report: dict, horizon: str, baseline: str, name: str) -> str:
    c = report["compared"][horizon].get(baseline)
    if c is None:
        return f"model/{name}: n/a"
    return f"model/{name} {ratio_text(c)} over {c['groups']} groups of {report['cases']} cases"


def _print_speed(s: dict) -> None:
    print("\n== speed: 168-hour p10/p50/p90 forecast from 672 h of history, its backtest included ==")
    r = s["rounds"]
    print(f"(median of {len(r['batch1_ms'])} rounds; the range shows how much this host's speed moved between them)")
    print(f"batch 1:     {s['batch1_ms']:8.2f} ms                 target <= 3 ms      {_check(s['batch1_ms'] <= 3)}"
          f"   ({_spread(r['batch1_ms'])} ms)")
    print(f"batch 1000:  {s['batch1000_ms']:8.1f} ms = {s['batch1000_ms_per_series']:.3f} ms/series"
          f"   target <= 0.5 ms    {_check(s['batch1000_ms_per_series'] <= 0.5)}"
          f"   ({_spread(r['batch1000_ms'], 1e-3)} ms/series)")
    print(f"original one-step rollout x168, batch 1: {s['original_batch1_ms']:.1f} ms ({_spread(r['original_batch1_ms'])}) "
          f"-> new is {s['speedup_vs_original']:.0f}x faster")


def _accuracy(forecaster, csv) -> dict:
    """The held-out flights and generated sets, printed; their reports for the JSON file."""
    columns, first = read_hourly_csv(csv)
    real = evaluate(forecaster, rolling_origins(columns, first))
    synthetic = evaluate(forecaster, synthetic_cases(), with_mstl=False)
    print(f"\n== accuracy: held-out last 35% of {Path(csv).name} "
          f"({real['cases']} cases: 12 origins x {len(columns)} series, 672 h history) ==")
    for h, r in real["horizons"].items():
        mstl = r.get("mase_mstl", float("nan"))
        best = min(mstl, r["mase_seasonal_naive_weekly"])
        print(f"{h:>4}h MASE model {r['mase_model']:.3f} | weekly naive {r['mase_seasonal_naive_weekly']:.3f} "
              f"| daily naive {r['mase_seasonal_naive_daily']:.3f} | MSTL {mstl:.3f} "
              f"| model/best classical {r['mase_model'] / best:.3f} | coverage {r['coverage_10_90']:.3f}")
        print(f"      <= weekly naive: {_check(r['mase_model'] <= r['mase_seasonal_naive_weekly'])}; "
              f"< MSTL: {_check(r['mase_model'] < mstl)}; 10% below best classical (aim): "
              f"{_check(r['mase_model'] <= 0.9 * best)}; coverage in 0.75-0.85: "
              f"{_check(0.75 <= r['coverage_10_90'] <= 0.85)}")
        print(f"      {_compared(real, h, 'seasonal_naive_weekly', 'weekly naive')}")
        print(f"      {_compared(real, h, 'mstl', 'MSTL')}")
    print(f"  (groups: the origins, each the same week of the {len(columns)} series; the intervals resample them)")
    print(f"\n== accuracy: held-out generated set ({synthetic['cases']} cases) ==")
    for h, r in synthetic["horizons"].items():
        ratio = r["mase_model"] / r["mase_seasonal_naive_weekly"]
        print(f"{h:>4}h MASE model {r['mase_model']:.3f} | weekly naive {r['mase_seasonal_naive_weekly']:.3f} "
              f"| ratio {ratio:.3f} (target <= 0.85: {_check(ratio <= 0.85)}) "
              f"| coverage {r['coverage_10_90']:.3f} ({_check(0.75 <= r['coverage_10_90'] <= 0.85)})")
        print(f"      {_compared(synthetic, h, 'seasonal_naive_weekly', 'weekly naive')}")
    print("  (groups: the generated series, each with its origins; the intervals resample them)")
    return {name: {k: v for k, v in report.items() if k != "_outputs"}
            for name, report in (("real", real), ("synthetic", synthetic))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--csv", type=resolve, default=FLIGHTS_CSV)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                        help="the encoder's precision, as FORECAST_PRECISION sets it for a deployment")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    forecaster = load_forecaster(args.model_dir, device="cpu", precision=args.precision)
    if not forecaster.info["loaded"]:
        print("model not loaded:", forecaster.info["error"])
        return 1
    print(f"model {forecaster.info['name']} {forecaster.info['version']} from {args.model_dir or 'the shipped artifacts'}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, encoder precision {forecaster.info['precision']}")
    result = {"model": forecaster.info, "speed": speed(forecaster)}
    _print_speed(result["speed"])
    if not args.skip_accuracy:
        result.update(_accuracy(forecaster, args.csv))
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_model.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
