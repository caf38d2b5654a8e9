"""`capplan backtest`: MASE, coverage and plots of a model over a CSV's rolling origins."""
from __future__ import annotations

import json

import numpy as np
import pytest

from experiments import backtest_cli
from tests.test_model_training import _parse, small_csv  # noqa: F401  (small_csv: a fixture)

def test_backtest_command_reports_mase_coverage_and_plots(tmp_path, small_csv):
    report_path, plot_path = tmp_path / "report.json", tmp_path / "plot.png"
    args = _parse(backtest_cli, ["--csv", str(small_csv), "--column", "beta", "--origins", "3",
                                 "--json", str(report_path), "--plot", str(plot_path)])
    assert backtest_cli.run(args) == 0
    report = json.loads(report_path.read_text())
    assert report["cases"] == 3 and report["columns"] == ["beta"]
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


def test_backtest_command_rejects_a_missing_column(tmp_path, small_csv):
    args = _parse(backtest_cli, ["--csv", str(small_csv), "--column", "nope", "--json", str(tmp_path / "r.json"),
                                 "--plot", str(tmp_path / "p.png")])
    assert backtest_cli.run(args) == 2
