"""The files the CLI reads: history formats, batch rows and their lines, hours in a zone."""
from __future__ import annotations

from datetime import datetime

import pytest

from capplan.batch_file import read_plans
from capplan.history_file import read_history
from capplan.hours import UTC, HourError, parse_hour, parse_zone
from capplan.local_input import LocalInputError

PARIS = parse_zone("Europe/Paris")


@pytest.mark.parametrize("text, history, last_hour", [
    ("load\n10\n20\n", [10.0, 20.0], None),
    ("10\n\n20\n", [10.0, 20.0], None),
    ("2024-06-02T22:00:00,10\n2024-06-02T23:00:00,20\n",       # time,load lines without a header
     [{"timestamp": "2024-06-02T22:00:00", "load": 10.0}, {"timestamp": "2024-06-02T23:00:00", "load": 20.0}],
     datetime(2024, 6, 2, 23)),
    ("Time,RPS\n2024-06-02T23Z,5\n", [{"timestamp": "2024-06-02T23:00:00", "load": 5.0}],
     datetime(2024, 6, 2, 23)),
    ('{"history": [1, 2.5]}', [1.0, 2.5], None),
])
def test_history_formats(tmp_path, text, history, last_hour):
    path = tmp_path / "history"
    path.write_text(text)
    read = read_history(str(path), UTC)
    assert read.history == history and read.last_hour == last_hour


def test_history_times_without_offset_are_read_in_the_zone(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("timestamp,load\n2024-06-02T23:00,5\n")
    assert read_history(str(path), PARIS).last_hour == datetime(2024, 6, 2, 21)


def test_batch_rows_keep_their_file_lines(tmp_path):
    path = tmp_path / "plans.csv"
    path.write_text('id,current_capacity,current_load\n"two\nlines",10,5\n\nnext,-1,1\nshort,10\n')
    rows = read_plans(str(path), UTC)
    assert [(r.line, r.plan_id, r.error) for r in rows] == [
        (2, "two\nlines", None), (5, "next", None), (6, "short", "column current_load is empty (required)")]
    assert rows[1].plan == {"id": "next", "current_capacity": -1.0, "current_load": 1.0}   # the service judges -1


def test_batch_histories_are_read_with_their_last_hour_in_the_zone(tmp_path):
    path = tmp_path / "plans.csv"
    path.write_text("id,current_capacity,history,last_timestamp\nweb,10,5 6.5 7,2024-06-02T23\nbad,10,5 x 7,\n"
                    "none,10,,\n")
    rows = read_plans(str(path), PARIS)
    assert rows[0].plan == {"id": "web", "current_capacity": 10.0, "history": [5.0, 6.5, 7.0],
                            "timestamp": "2024-06-02T21:00:00"}          # the API's field, in UTC
    assert rows[1].error == "column history: value 2, 'x', is not a number"
    assert rows[2].error == "column history is empty (required without a current_load column)"


def test_batch_timestamps_are_read_in_the_zone_and_dst_hours_refused(tmp_path):
    path = tmp_path / "plans.csv"
    path.write_text("current_capacity,current_load,timestamp\n10,5,2024-06-02T23\n10,5,2024-03-31T02\n")
    ok, skipped = read_plans(str(path), PARIS)
    assert ok.plan["timestamp"] == "2024-06-02T21:00:00"
    assert skipped.plan is None and "does not exist in Europe/Paris" in skipped.error


def test_an_empty_or_header_only_plans_file_is_refused(tmp_path):
    path = tmp_path / "plans.csv"
    for text in ("", "id,current_capacity,current_load\n"):
        path.write_text(text)
        with pytest.raises(LocalInputError):
            read_plans(str(path), UTC)


@pytest.mark.parametrize("text, expected", [
    ("2024-06-02T23", datetime(2024, 6, 2, 21)),
    ("2024-06-02T23:00:00Z", datetime(2024, 6, 2, 23)),
    ("2024-10-27T02+01:00", datetime(2024, 10, 27, 1)),      # the repeated hour, made plain by its offset
])
def test_parse_hour(text, expected):
    assert parse_hour(text, PARIS) == expected


def test_a_repeated_local_hour_asks_for_its_offset():
    with pytest.raises(HourError, match=r"happens twice .* 2024-10-27T02\+02:00 or 2024-10-27T02\+01:00"):
        parse_hour("2024-10-27T02", PARIS)


def test_a_history_header_without_a_clear_load_column_is_refused(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("host,time,rps\na,2024-06-02T23Z,5\n")
    with pytest.raises(LocalInputError, match="cannot tell which column holds the load"):
        read_history(str(path), UTC)
