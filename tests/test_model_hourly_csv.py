"""Reading hourly CSVs as users have them: the time column's name, offsets, unsorted and repeated rows, gaps."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from experiments import backtest_cli
from experiments.hourly_csv import read_hourly_csv
from models.features import epoch_hour

START = np.datetime64("2024-01-01T00")


def _write(path, header: str, rows: list[str]):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _stamps(n: int) -> list[str]:
    return [str(t).replace("T", " ") + ":00:00" for t in START + np.arange(n).astype("timedelta64[h]")]


def test_gaps_are_filled_from_a_week_earlier(tmp_path):
    path = _write(tmp_path / "gappy.csv", "timestamp,x",
                  [f"{t},{'' if i == 300 else i}" for i, t in enumerate(_stamps(400))])
    notes = []
    columns, first = read_hourly_csv(path, notes=notes)
    assert columns["x"][300] == 300 - 168 and first == epoch_hour(START)
    assert notes == ["x: 1 hours without a value, filled from a week earlier"]


@pytest.mark.parametrize("name", ["Datetime", "date", "TIME", "ds"])
def test_a_time_column_under_another_common_name_is_found(tmp_path, name):
    path = _write(tmp_path / "named.csv", f"{name},load", [f"{t},{i}" for i, t in enumerate(_stamps(50))])
    columns, first = read_hourly_csv(path)
    assert list(columns) == ["load"] and columns["load"][49] == 49 and first == epoch_hour(START)


def test_a_named_time_column_wins_and_a_missing_one_is_named(tmp_path):
    path = _write(tmp_path / "two.csv", "when,timestamp,load",
                  [f"{t},{i},{i * 2}" for i, t in enumerate(_stamps(30))])
    columns, _ = read_hourly_csv(path, time_column="when")
    assert set(columns) == {"timestamp", "load"} and columns["load"][3] == 6
    with pytest.raises(ValueError, match="no time column 'at'"):
        read_hourly_csv(path, time_column="at")
    with pytest.raises(ValueError, match="no value column 'nope'"):
        read_hourly_csv(path, ["nope"], time_column="when")
    bare = _write(tmp_path / "bare.csv", "hour,load", ["1,2", "2,3"])
    with pytest.raises(ValueError, match="needs a time column named one of timestamp"):
        read_hourly_csv(bare)


def test_offsets_are_dropped_so_local_times_keep_their_clock(tmp_path):
    rows = [f"{t.replace(' ', 'T')}{zone},{i}" for i, (t, zone) in
            enumerate(zip(_stamps(48), ["Z", "+01:00", "-0500", "+02"] * 12))]
    columns, first = read_hourly_csv(_write(tmp_path / "zones.csv", "timestamp,x", rows))
    assert first == epoch_hour(START) and np.array_equal(columns["x"], np.arange(48.0))


def test_unsorted_and_repeated_rows_become_one_mean_per_hour(tmp_path):
    stamps = _stamps(200)
    rows = [f"{t},{i}" for i, t in enumerate(stamps)]
    rows[5], rows[6] = rows[6], rows[5]                           # out of order
    rows.insert(100, f"{stamps[99]},1000")                        # a clock set back: hour 99 twice
    del rows[150]                                                 # a clock set forward: no row at hour 149
    notes = []
    columns, _ = read_hourly_csv(_write(tmp_path / "dst.csv", "timestamp,x", rows), notes=notes)
    x = columns["x"]
    assert len(x) == 200 and x[5] == 5 and x[6] == 6 and x[99] == (99 + 1000) / 2 and x[149] == 149 - 24
    assert "1 hours had several rows, read as their mean" in notes
    assert "1 hours had no row, filled from a week earlier" in notes


def test_sub_hourly_rows_average_to_hours_and_daily_rows_are_refused(tmp_path):
    half = START + np.arange(96).astype("timedelta64[m]") * 30
    columns, _ = read_hourly_csv(_write(tmp_path / "half.csv", "timestamp,x",
                                        [f"{t},{i % 2}" for i, t in enumerate(half)]))
    assert len(columns["x"]) == 48 and np.allclose(columns["x"], 0.5)
    days = START.astype("datetime64[D]") + np.arange(30)
    with pytest.raises(ValueError, match="the data must be hourly"):
        read_hourly_csv(_write(tmp_path / "daily.csv", "date,x", [f"{d},{i}" for i, d in enumerate(days)]))


def test_bad_cells_name_their_line_and_column(tmp_path):
    rows = [f"{t},{i}" for i, t in enumerate(_stamps(20))]
    rows[7] = rows[7].split(",")[0] + ",lots"
    with pytest.raises(ValueError, match=r"line 9, column 'x': 'lots' is not a number"):
        read_hourly_csv(_write(tmp_path / "text.csv", "timestamp,x", rows))
    rows = [f"{t},{i}" for i, t in enumerate(_stamps(20))]
    rows[2] = "15/01/2024 10:00,3"
    with pytest.raises(ValueError, match=r"line 4, column 'timestamp': '15/01/2024 10:00' is not an ISO 8601"):
        read_hourly_csv(_write(tmp_path / "stamp.csv", "timestamp,x", rows))


def test_negative_values_are_read_as_zero_and_counted(tmp_path):
    notes = []
    columns, _ = read_hourly_csv(_write(tmp_path / "neg.csv", "timestamp,x",
                                        [f"{t},{i - 10}" for i, t in enumerate(_stamps(30))]), notes=notes)
    assert columns["x"].min() == 0 and columns["x"][29] == 19
    assert notes == ["x: 10 negative hourly values read as 0 (load is never negative)"]


def test_backtest_reports_the_repairs_it_made(tmp_path, capsys):
    rng = np.random.default_rng(0)
    hours = 1400
    values = 100 + 40 * np.sin(np.arange(hours) * 2 * np.pi / 24) + rng.normal(0, 3, hours)
    rows = [f"{t},{v:.2f}" for t, v in zip(_stamps(hours), values)]
    del rows[1000]                                                # one missing hour
    path = _write(tmp_path / "load.csv", "Datetime,load", rows)
    parser = argparse.ArgumentParser()
    backtest_cli.add_arguments(parser)
    args = parser.parse_args(["--csv", str(path), "--origins", "3", "--no-mstl", "--json", str(tmp_path / "r.json"),
                              "--plot", str(tmp_path / "p.png")])
    assert backtest_cli.run(args) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["input_repairs"] == ["1 hours had no row, filled from a week earlier"]
    assert "input: 1 hours had no row" in capsys.readouterr().err
