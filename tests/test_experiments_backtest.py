"""`capplan backtest`: MASE, coverage and plots of a model over a CSV's rolling origins, windows never overlapping."""
from __future__ import annotations

import json
from types import SimpleNamespace

import matplotlib.dates as mdates
import numpy as np
import pytest

from experiments import backtest_cli
from experiments.backtest_plot import PANEL_LABEL, backtest_figure
from experiments.evaluation import SeriesTooShort, plan_origins, ratio_text, ratio_with_interval, spaced_origins
from experiments.generator import generate_set
from models.features import CONTEXT_HOURS, HORIZON_HOURS
from tests.test_model_training import _parse, small_csv  # noqa: F401  (small_csv: a fixture)


@pytest.fixture(scope="module")
def eight_weeks_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "eight_weeks.csv"
    hours = 8 * 168
    values, _ = generate_set(7, 2, hours)
    stamps = np.datetime64("2024-03-04T00") + np.arange(hours).astype("timedelta64[h]")
    rows = [f"{str(t).replace('T', ' ')}:00:00,{a:.3f},{b:.3f}" for t, a, b in zip(stamps, *values)]
    path.write_text("timestamp,alpha,beta\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("hours", [840, 1000, 1343, 1344, 1500, 2000, 3000, 5000, 8760])
@pytest.mark.parametrize("held_out", [0.35, 1.0])
def test_origins_never_overlap_and_use_all_the_room_there_is(hours, held_out):
    for requested in (1, 2, 3, 12, 40):
        plan = plan_origins(hours, requested, held_out=held_out)
        starts = np.array(plan.starts)
        assert plan.used == min(requested, plan.room) >= 1
        assert (np.diff(starts) >= HORIZON_HOURS).all()             # test windows [s, s + 168) are disjoint
        assert starts[0] >= max(CONTEXT_HOURS, int(hours * (1 - held_out))) == plan.first
        assert starts[-1] + HORIZON_HOURS <= hours
        assert plan.first + (plan.room + 1) * HORIZON_HOURS > hours  # no room for one more window
    cases, plan = spaced_origins({"a": np.ones(hours), "b": np.ones(hours)}, 1000, 12, held_out=held_out)
    for column in range(2):
        begins = cases.lasts[column * plan.used:(column + 1) * plan.used] + 1
        assert (np.diff(begins) >= HORIZON_HOURS).all()
    assert list(cases.groups) == list(range(plan.used)) * 2         # one group per origin, across columns


def test_a_short_series_gets_fewer_origins_and_the_report_says_why():
    plan = plan_origins(8 * 168, 12, held_out=1.0)
    assert (plan.used, plan.room, plan.limit) == (4, 4, "context")
    assert backtest_cli.origins_text(plan, 1.0) == ("8 weeks of data allow 4 origins of 168 h after the 672-h "
                                                    "context; 12 requested, 4 used")
    held = plan_origins(8 * 168, 12)                                # the last 35% only: 471 h
    assert (held.used, held.limit, held.room_after_context) == (2, "held_out", 4)
    assert backtest_cli.origins_text(held, 0.35) == (
        "the last 35% of 8 weeks of data (471 h) allow 2 origins of 168 h; 12 requested, 2 used "
        "(--held-out 1, for data the model never trained on, would allow 4)")
    assert backtest_cli.origins_text(plan_origins(8760, 12), 0.35).startswith("12 origins of 168 h, 263 h or more")


@pytest.mark.parametrize("held_out", [0.35, 0.1, 1.0])
def test_the_too_short_error_gives_the_length_and_the_length_needed(held_out):
    with pytest.raises(SeriesTooShort) as raised:
        spaced_origins({"EWR": np.ones(700), "JFK": np.ones(700)}, 0, held_out=held_out)
    needed = raised.value.needed
    assert raised.value.hours == 700 and needed >= CONTEXT_HOURS + HORIZON_HOURS
    assert "EWR: 700 hours (4.2 weeks) is too short" in str(raised.value)
    assert f"one origin needs {needed} hours" in str(raised.value)
    assert plan_origins(needed, 12, held_out=held_out).used == 1    # exactly the length needed: one origin
    with pytest.raises(SeriesTooShort):
        plan_origins(needed - 1, 12, held_out=held_out)
    if held_out == 0.1:                                           # the last 10% must hold a whole window
        assert needed == 1671 and "inside the last 10% of the series" in str(raised.value)
    else:
        assert needed == CONTEXT_HOURS + HORIZON_HOURS == 840


def test_better_in_n_never_exceeds_the_independent_origins():
    rng = np.random.default_rng(3)
    cases, plan = spaced_origins({c: rng.random(3000) for c in "abc"}, 0, 12)   # 3 columns x 6 origins
    model, baseline = rng.lognormal(0, 0.5, len(cases.labels)), rng.lognormal(0, 0.5, len(cases.labels))
    out = ratio_with_interval(model, baseline, cases.groups)
    assert out["groups"] == plan.used == 6 and out["cases_better"] + out["cases_worse"] == 18
    assert out["groups_better"] + out["groups_worse"] <= plan.used < out["cases_better"] + out["cases_worse"]
    assert f"better in {out['groups_better']} of 6 origins, worse in {out['groups_worse']}" in ratio_text(
        out, by="origins")


def _fake_outputs(cases, scale: float = 1.1):
    return [SimpleNamespace(median=a * scale, p10=a * 0.8, p90=a * 1.3, method="attention_bilstm")
            for a in cases.actuals]


def _report(cases, mstl: bool) -> dict:
    methods = ["model", "seasonal_naive_weekly", "seasonal_naive_daily"] + (["mstl"] if mstl else [])
    row = {**{f"mase_{m}": 0.9 for m in methods}, "coverage_10_90": 0.8}
    return {"cases": len(cases.labels), "horizons": {"24": row, "168": row}, "origins": {"requested": 12}}


@pytest.mark.parametrize("mstl", [True, False])
def test_the_figure_has_a_dated_panel_per_origin_and_every_method_s_scores(mstl):
    t = np.arange(3000, dtype=float)
    first = int(np.datetime64("2024-01-01T00", "h").astype(np.int64))
    cases, plan = spaced_origins({"a": 100 + 20 * np.sin(t / 24 * 2 * np.pi), "b": 50 + 0 * t}, first, 12)
    fig = backtest_figure(cases, _fake_outputs(cases), _report(cases, mstl), "a", unit="requests/h")
    panels = [ax for ax in fig.axes if ax.get_label() == PANEL_LABEL]
    assert len(panels) == plan.used == 6
    low, high = (mdates.num2date(x).replace(tzinfo=None) for x in panels[0].get_xlim())
    assert low.year == 2024 and (high - low).days >= 13              # dates, a week of history and the week ahead
    assert panels[0].get_ylabel() == "requests/h"
    table = [ax for ax in fig.axes if ax.get_label() == "scores"][0].tables[0]
    texts = {cell.get_text().get_text() for cell in table.get_celld().values()}
    assert {"model", "weekly naive", "daily naive", "MASE 24 h", "MASE 168 h"} <= texts
    assert ("MSTL" in texts) == mstl


def test_backtest_command_reports_mase_coverage_and_plots(tmp_path, small_csv):
    report_path, plot_path = tmp_path / "report.json", tmp_path / "plot.png"
    args = _parse(backtest_cli, ["--csv", str(small_csv), "--column", "beta", "--origins", "3",
                                 "--json", str(report_path), "--plot", str(plot_path), "--unit", "requests/h"])
    assert backtest_cli.run(args) == 0
    report = json.loads(report_path.read_text())
    assert report["cases"] == 3 and report["columns"] == ["beta"] and report["unit"] == "requests/h"
    assert report["origins"]["used"] == report["origins"]["requested"] == report["origins_per_column"] == 3
    for horizon in ("24", "168"):
        row = report["horizons"][horizon]
        assert {"mase_model", "mase_seasonal_naive_weekly", "mase_seasonal_naive_daily", "coverage_10_90"} <= set(row)
        assert ("mase_mstl" in row) == report["mstl_available"]
        assert all(np.isfinite(v) for v in row.values())
        compared = report["compared"][horizon]                    # model / each baseline, with its interval
        assert set(compared) == {k[5:] for k in row if k.startswith("mase_") and k != "mase_model"}
        weekly = compared["seasonal_naive_weekly"]
        assert weekly["ratio"] == pytest.approx(row["mase_model"] / row["mase_seasonal_naive_weekly"])
        assert weekly["interval"][0] <= weekly["ratio"] <= weekly["interval"][1] and weekly["groups"] == 3
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_on_eight_weeks_uses_four_origins_and_says_so(tmp_path, eight_weeks_csv, capsys):
    report_path, plot_path = tmp_path / "report.json", tmp_path / "plot.png"
    args = _parse(backtest_cli, ["--csv", str(eight_weeks_csv), "--held-out", "1", "--no-mstl",
                                 "--json", str(report_path), "--plot", str(plot_path), "--plot-column", "beta"])
    assert backtest_cli.run(args) == 0
    out = capsys.readouterr().out
    assert "origins: 8 weeks of data allow 4 origins of 168 h after the 672-h context; 12 requested, 4 used" in out
    report = json.loads(report_path.read_text())
    assert report["cases"] == 8 and report["origins"]["used"] == 4 and report["origins"]["requested"] == 12
    assert report["origins"]["times"][0] == "2024-04-01 00:00:00"            # four weeks of context first
    for rows in report["compared"].values():
        for c in rows.values():
            assert c["groups"] == 4 and c["groups_better"] + c["groups_worse"] <= 4
    assert "of 4 origins" in out and plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_command_refuses_a_series_too_short_with_the_numbers(tmp_path, eight_weeks_csv, capsys):
    short = tmp_path / "short.csv"
    short.write_text("\n".join(eight_weeks_csv.read_text().splitlines()[:701]) + "\n")   # 700 hours
    args = _parse(backtest_cli, ["--csv", str(short), "--json", str(tmp_path / "r.json"),
                                 "--plot", str(tmp_path / "p.png")])
    assert backtest_cli.run(args) == 2
    err = capsys.readouterr().err
    assert "alpha: 700 hours (4.2 weeks) is too short; one origin needs 840 hours" in err


def test_backtest_command_rejects_a_missing_column(tmp_path, small_csv):
    args = _parse(backtest_cli, ["--csv", str(small_csv), "--column", "nope", "--json", str(tmp_path / "r.json"),
                                 "--plot", str(tmp_path / "p.png")])
    assert backtest_cli.run(args) == 2
