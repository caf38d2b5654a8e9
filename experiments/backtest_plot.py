"""The backtest's picture: every method's scores, then one small panel per origin of one column, on dates."""
from __future__ import annotations

import numpy as np

from experiments.evaluation import Origins, case_mase
from models.features import HORIZON_HOURS, WEEK
from models.scoring import seasonal_naive

PANELS_PER_ROW = 3
TAIL_HOURS = WEEK              # history shown before each origin: the week weekly naive repeats
PANEL_LABEL = "origin"         # the label of each origin's axes (the scores table's is "scores")
METHODS = (("model", "model"), ("seasonal_naive_weekly", "weekly naive"),
           ("seasonal_naive_daily", "daily naive"), ("mstl", "MSTL"))
EPOCH = np.datetime64("1970-01-01T00", "h")


def column_cases(cases: Origins, column: str) -> list[int]:
    """Indices of ``column``'s cases, in origin order (labels are 'column@start')."""
    return [i for i, label in enumerate(cases.labels) if label.rsplit("@", 1)[0] == column]


def backtest_figure(cases: Origins, outputs: list, report: dict, column: str, unit: str = "load/h"):
    """A matplotlib Figure: the scores table on top, then one panel per origin of ``column``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    index = column_cases(cases, column)
    if not index:
        raise ValueError(f"no backtest cases for column {column!r}")
    cols = min(len(index), PANELS_PER_ROW)
    rows = -(-len(index) // cols)
    fig = Figure(figsize=(max(5.2 * cols, 10.4), 1.9 + 2.5 * rows), layout="constrained")
    FigureCanvasAgg(fig)                                          # Agg renders it, whatever pyplot's backend
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[0.75] + [1.0] * rows)
    _scores_table(fig.add_subplot(grid[0, :], label="scores"), report)
    shared = None
    for k, i in enumerate(index):
        ax = fig.add_subplot(grid[1 + k // cols, k % cols], label=PANEL_LABEL, sharey=shared)
        shared = shared or ax
        _origin_panel(ax, cases, outputs, i, unit if k % cols == 0 else None)
    fig.legend(*shared.get_legend_handles_labels(), loc="outside lower center", ncols=5, frameon=False)
    origins = report.get("origins", {})
    fig.suptitle(f"{column}: {len(index)} backtest origins, test windows of {HORIZON_HOURS} h that never overlap"
                 + (f" ({origins['requested']} requested)" if origins.get("requested", len(index)) != len(index)
                    else ""))
    return fig


def _scores_table(ax, report: dict) -> None:
    """Mean MASE of each method at 24 h and 168 h and the model band's coverage, over every case."""
    horizons = list(report["horizons"])
    header = [f"MASE {h} h" for h in horizons] + [f"10-90% coverage {h} h" for h in horizons]
    cells, names = [], []
    for key, name in METHODS:
        if f"mase_{key}" not in report["horizons"][horizons[0]]:
            continue
        names.append(name)
        cells.append([f"{report['horizons'][h][f'mase_{key}']:.3f}" for h in horizons]
                     + [f"{report['horizons'][h]['coverage_10_90']:.2f}" if key == "model" else "-"
                        for h in horizons])
    ax.axis("off")
    table = ax.table(cellText=cells, rowLabels=names, colLabels=header, loc="center", cellLoc="center")
    table.scale(0.8, 1.3)
    ax.set_title(f"scores over {report['cases']} cases (every column and origin); MASE scaled by each history's "
                 f"in-sample weekly-naive error, lower is better", fontsize=9)


def _origin_panel(ax, cases: Origins, outputs: list, i: int, unit: str | None) -> None:
    """Case ``i``: the history's last week, the actual, the model's median and band, weekly naive."""
    import matplotlib.dates as mdates

    origin = EPOCH + int(cases.lasts[i]) + 1                      # the first forecast hour
    history, actual, out = cases.histories[i], cases.actuals[i], outputs[i]
    tail = history[-TAIL_HOURS:]
    past = origin + np.arange(-len(tail), 0)                      # [tail] datetime64[h]
    ahead = origin + np.arange(HORIZON_HOURS)                     # [168] datetime64[h]
    weekly = seasonal_naive(history, HORIZON_HOURS, WEEK)         # [168]
    ax.plot(past, tail, color="0.55", lw=0.7, label="history")
    ax.plot(ahead, actual, color="black", lw=0.9, label="actual")
    ax.fill_between(ahead, out.p10, out.p90, color="tab:blue", alpha=0.25, lw=0, label="model 10-90% band")
    ax.plot(ahead, out.median, color="tab:blue", lw=0.9, label="model median")
    ax.plot(ahead, weekly, color="tab:orange", lw=0.8, ls="--", label="weekly naive")
    ax.axvline(origin, color="0.3", lw=0.6, ls=":")
    one = Origins(cases.histories[i:i + 1], cases.actuals[i:i + 1], cases.lasts[i:i + 1])
    model = case_mase(out.median[None, :], one, HORIZON_HOURS)[0]
    naive = case_mase(weekly[None, :], one, HORIZON_HOURS)[0]
    stamp = origin.astype("datetime64[m]").item()
    ax.set_title(f"{stamp:%a %d %b %Y %H:%M}: MASE 168 h model {model:.2f}, weekly {naive:.2f}", fontsize=8.5)
    locator = mdates.AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(labelsize=7.5)
    if unit:
        ax.set_ylabel(unit, fontsize=8.5)


def save_backtest_figure(path, cases: Origins, outputs: list, report: dict, column: str, unit: str,
                         dpi: int = 80) -> None:
    """``backtest_figure`` written as a PNG."""
    backtest_figure(cases, outputs, report, column, unit).savefig(path, dpi=dpi)
