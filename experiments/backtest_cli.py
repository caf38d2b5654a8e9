"""`capplan backtest --csv FILE [--column NAME]`: rolling-origin MASE and coverage, JSON report and PNG plot."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", required=True, help="hourly CSV with a time column and value columns")
    parser.add_argument("--time-column", default=None,
                        help="the time column (default: the first of timestamp, datetime, date_time, date, time, "
                             "ds, in any case)")
    parser.add_argument("--column", action="append", default=None,
                        help="value column to evaluate (repeatable; default: every column)")
    parser.add_argument("--model-dir", default=None, help="model directory (default: the shipped artifacts)")
    parser.add_argument("--origins", type=int, default=12, help="forecast origins per column")
    parser.add_argument("--history", type=int, default=672, help="hours of history before each origin")
    parser.add_argument("--held-out", type=float, default=0.35, help="share at the end of the series the origins span")
    parser.add_argument("--no-mstl", action="store_true", help="skip statsforecast's MSTL baseline")
    parser.add_argument("--json", default="backtest_report.json", help="where to write the JSON report")
    parser.add_argument("--plot", default="backtest_plot.png", help="where to write the PNG plot of one origin")


def _plot(path: Path, cases, outputs, index: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    history, actual, out = cases.histories[index], cases.actuals[index], outputs[index]
    past, future = np.arange(-len(history), 0), np.arange(len(out.median))
    fig, ax = plt.subplots(figsize=(11, 4))
    ax.plot(past, history, color="0.4", lw=0.8, label="history")
    ax.plot(future, actual[:len(future)], color="black", lw=1.0, label="actual")
    ax.plot(future, out.median, color="tab:blue", lw=1.2, label=f"forecast ({out.method})")
    ax.fill_between(future, out.p10, out.p90, color="tab:blue", alpha=0.25, label="10-90% band")
    ax.set_xlabel("hours from the forecast origin")
    ax.set_title(f"backtest origin {cases.labels[index]}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    from experiments.evaluation import evaluate, ratio_text, rolling_origins, summary_line
    from experiments.hourly_csv import read_hourly_csv
    from models.serving import load_forecaster

    forecaster = load_forecaster(args.model_dir)
    if not forecaster.info["loaded"]:
        print(f"model not loaded: {forecaster.info['error']}", file=sys.stderr)
        return 1
    repairs: list[str] = []
    try:
        columns, first = read_hourly_csv(args.csv, args.column, args.time_column, repairs)
        cases = rolling_origins(columns, first, args.origins, args.history, args.held_out)
    except (OSError, ValueError) as exc:
        print(f"backtest: {exc}", file=sys.stderr)
        return 2
    report = evaluate(forecaster, cases, with_mstl=not args.no_mstl)
    outputs = report.pop("_outputs")
    report.update(csv=str(args.csv), columns=list(columns), origins_per_column=args.origins,
                  history_hours=args.history, model=forecaster.info,
                  mase_scale="in-sample MAE of weekly seasonal naive over each history", input_repairs=repairs)
    for line in repairs:
        print(f"input: {line}", file=sys.stderr)
    if not report["mstl_available"] and not args.no_mstl:
        report["note"] = "statsforecast is not installed: MSTL was skipped (pip install -r requirements-dev.txt)"
        print(report["note"], file=sys.stderr)
    Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    _plot(Path(args.plot), cases, outputs, len(cases.labels) // 2)
    print(f"{'horizon':>8} " + " ".join(f"{k[5:]:>22}" for k in report["horizons"]["24"] if k.startswith("mase_"))
          + f" {'coverage':>9}")
    for h, row in report["horizons"].items():
        print(f"{h + 'h':>8} " + " ".join(f"{v:22.3f}" for k, v in row.items() if k.startswith("mase_"))
              + f" {row['coverage_10_90']:9.2f}")
    first = next(iter(report["compared"]["24"].values()))
    print(f"model / baseline: ratio of mean MASE (bootstrap interval over {first['groups']} groups of cases, "
          f"one per origin; cases of {report['cases']})")
    for h, rows in report["compared"].items():
        for name, c in rows.items():
            print(f"{h + 'h':>8} {name} {ratio_text(c)}")
    print(summary_line(report))
    print(f"wrote {args.json} and {args.plot}")
    return 0
