"""Compare model directories on validation data only: how a candidate model or serving option is chosen.

Run: .venv/bin/python benchmarks/validate_model.py DIR [DIR ...] [--origins 24]

Validation data never overlaps what bench_model.py scores (the held-out last 35% of the flight series and
the generated set seeded SYNTHETIC_HELD_OUT_SEED), and the network never trains on it:
- flights: rolling origins whose 168-hour targets lie in the 57%..65% slice of each series (training
  uses the first 57%, see models.training.VALIDATION_SHARE);
- generated: series from a seed training never uses (VALIDATION_SEED).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.dataset import TRAIN_SHARE, read_hourly_csv  # noqa: E402
from models.evaluation import Origins, evaluate, rolling_origins, synthetic_cases  # noqa: E402
from models.serving import load_forecaster  # noqa: E402
from models.training import DEFAULT_CSV, VALIDATION_SHARE  # noqa: E402

VALIDATION_SEED = 4242


def flight_validation_cases(csv: str, origins: int) -> Origins:
    """Origins whose targets lie inside the validation slice of each series (the held-out 35% cut off)."""
    columns, first = read_hourly_csv(csv)
    cut = {name: values[: int(len(values) * TRAIN_SHARE)] for name, values in columns.items()}
    share = VALIDATION_SHARE / TRAIN_SHARE                        # the slice, as a share of what is left
    return rolling_origins(cut, first, origins, held_out=share)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dirs", nargs="+")
    parser.add_argument("--origins", type=int, default=24, help="origins per flight series")
    parser.add_argument("--csv", default=str(DEFAULT_CSV))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sets = {"flights-val": flight_validation_cases(args.csv, args.origins),
            "generated-val": synthetic_cases(seed=VALIDATION_SEED)}
    print(f"{'model':<40} {'set':<14} {'h':>4} {'model':>7} {'naive':>7} {'ratio':>6} {'cover':>6}")
    for directory in args.model_dirs:
        forecaster = load_forecaster(directory, device="cpu")
        if not forecaster.info["loaded"]:
            print(f"{directory}: not loaded: {forecaster.info['error']}")
            continue
        for name, cases in sets.items():
            report = evaluate(forecaster, cases, with_mstl=False)
            for h, r in report["horizons"].items():
                model, naive = r["mase_model"], r["mase_seasonal_naive_weekly"]
                print(f"{directory[-40:]:<40} {name:<14} {h:>4} {model:7.3f} {naive:7.3f} {model / naive:6.3f} "
                      f"{r['coverage_10_90']:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
