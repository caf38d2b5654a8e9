"""`capplan backtest --csv FILE [--column NAME]`: rolling-origin MASE and coverage, JSON report and PNG plot."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from models.features import HORIZON_HOURS, WEEK

FEW_ORIGINS = 10   # a percentile bootstrap over fewer independent weeks undercovers noticeably


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", required=True, help="hourly CSV with a time column and value columns")
    parser.add_argument("--time-column", default=None,
                        help="the time column (default: the first of timestamp, datetime, date_time, date, time, "
                             "ds, in any case)")
    parser.add_argument("--column", action="append", default=None,
                        help="value column to evaluate (repeatable; default: every column)")
    parser.add_argument("--model-dir", default=None, help="model directory (default: the shipped artifacts)")
    parser.add_argument("--origins", type=int, default=12,
                        help="forecast origins per column, their 168-hour test windows never overlapping (fewer "
                             "where the series has no room, and the report says why)")
    parser.add_argument("--history", type=int, default=672, help="hours of history before each origin")
    parser.add_argument("--held-out", type=float, default=0.35,
                        help="share at the end of the series the origins span (1: everything after the first "
                             "context, for data the model never trained on)")
    parser.add_argument("--no-mstl", action="store_true", help="skip statsforecast's MSTL baseline")
    parser.add_argument("--json", default="backtest_report.json", help="where to write the JSON report")
    parser.add_argument("--plot", default="backtest_plot.png",
                        help="where to write the PNG: every method's scores and a panel per origin of one column")
    parser.add_argument("--plot-column", default=None, help="the column the PNG shows (default: the first evaluated)")
    parser.add_argument("--unit", default="load/h", help="the values' unit, for the PNG's axes (e.g. 'requests/h')")


def _span(hours: int) -> str:
    return f"{hours // WEEK} weeks" if hours % WEEK == 0 else f"{hours:,} h ({hours / WEEK:.1f} weeks)"


def origins_text(plan, held_out: float) -> str:
    """The plan in words: how many origins, how far apart, and why fewer than requested."""
    apart = f", {plan.apart} h or more apart" if plan.apart else ""
    if plan.used == plan.requested:
        return f"{plan.used} origins of {HORIZON_HOURS} h{apart}: test windows never overlap"
    if plan.limit == "context":
        return (f"{_span(plan.hours)} of data allow {plan.room} origins of {HORIZON_HOURS} h after the "
                f"{plan.history}-h context; {plan.requested} requested, {plan.used} used")
    wider = plan.room_after_context
    hint = (f" (--held-out 1, for data the model never trained on, would allow {wider})" if wider > plan.room
            else "")
    return (f"the last {held_out:.0%} of {_span(plan.hours)} of data ({plan.hours - plan.first:,} h) allow "
            f"{plan.room} origins of {HORIZON_HOURS} h; {plan.requested} requested, {plan.used} used{hint}")


def _cases(args: argparse.Namespace, repairs: list[str]):
    """The CSV's columns, their spaced origins and the plan; ValueError/OSError on bad input."""
    from experiments.evaluation import spaced_origins
    from experiments.hourly_csv import read_hourly_csv

    columns, first = read_hourly_csv(args.csv, args.column, args.time_column, repairs)
    if args.plot_column is not None and args.plot_column not in columns:
        raise ValueError(f"--plot-column {args.plot_column!r} is not among the evaluated columns "
                         f"{', '.join(columns)}")
    cases, plan = spaced_origins(columns, first, args.origins, args.history, args.held_out)
    return columns, cases, plan


def _origins_block(plan, cases, held_out: float) -> dict:
    """The report's ``origins``: the plan's facts, each origin's time (the first forecast hour), in words."""
    first_hours = cases.lasts[:plan.used] + 1                      # the first column's; the others share them
    times = [str(dt.datetime(1970, 1, 1) + dt.timedelta(hours=int(hour))) for hour in first_hours]
    return {"requested": plan.requested, "used": plan.used, "room": plan.room, "test_window_hours": HORIZON_HOURS,
            "series_hours": plan.hours, "earliest_origin_hour": plan.first, "limited_by": plan.limit,
            "held_out": held_out, "times": times, "text": origins_text(plan, held_out)}


def _print_report(report: dict) -> None:
    from experiments.evaluation import BOOTSTRAP_MIN_GROUPS, ratio_text, summary_line

    print(f"origins: {report['origins']['text']}")
    print(f"{'horizon':>8} " + " ".join(f"{k[5:]:>22}" for k in report["horizons"]["24"] if k.startswith("mase_"))
          + f" {'coverage':>9}")
    for h, row in report["horizons"].items():
        print(f"{h + 'h':>8} " + " ".join(f"{v:22.3f}" for k, v in row.items() if k.startswith("mase_"))
              + f" {row['coverage_10_90']:9.2f}")
    groups, columns = next(iter(report["compared"]["24"].values()))["groups"], len(report["columns"])
    print(f"model / baseline: ratio of mean MASE (bootstrap interval over {groups} origins, each one "
          f"independent test week across the {columns} column{'s' if columns > 1 else ''}; "
          f"{report['cases']} cases)")
    if BOOTSTRAP_MIN_GROUPS <= groups < FEW_ORIGINS:
        print(f"  under {FEW_ORIGINS} origins an interval is rough, and more often too narrow than too wide")
    for h, rows in report["compared"].items():
        for name, c in rows.items():
            print(f"{h + 'h':>8} {name} {ratio_text(c, by='origins')}")
    print(summary_line(report))


def run(args: argparse.Namespace) -> int:
    from experiments.backtest_plot import save_backtest_figure
    from experiments.evaluation import evaluate
    from models.serving import load_forecaster

    forecaster = load_forecaster(args.model_dir)
    if not forecaster.info["loaded"]:
        print(f"model not loaded: {forecaster.info['error']}", file=sys.stderr)
        return 1
    repairs: list[str] = []
    try:
        columns, cases, plan = _cases(args, repairs)
    except (OSError, ValueError) as exc:
        print(f"backtest: {exc}", file=sys.stderr)
        return 2
    report = evaluate(forecaster, cases, with_mstl=not args.no_mstl)
    outputs = report.pop("_outputs")
    report.update(csv=str(args.csv), columns=list(columns), origins_per_column=plan.used,
                  origins=_origins_block(plan, cases, args.held_out), history_hours=args.history,
                  model=forecaster.info, unit=args.unit, input_repairs=repairs,
                  mase_scale="in-sample MAE of weekly seasonal naive over each history")
    for line in repairs:
        print(f"input: {line}", file=sys.stderr)
    if not report["mstl_available"] and not args.no_mstl:
        report["note"] = "statsforecast is not installed: MSTL was skipped (pip install -r requirements-dev.txt)"
        print(report["note"], file=sys.stderr)
    Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    save_backtest_figure(Path(args.plot), cases, outputs, report, args.plot_column or next(iter(columns)), args.unit)
    _print_report(report)
    print(f"wrote {args.json} and {args.plot}")
    return 0
