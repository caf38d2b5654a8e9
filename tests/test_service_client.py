"""The `capplan forecast | plan | analyze | batch` commands against the live stack."""
from __future__ import annotations

import csv
import io
import json

import pytest

from capplan.cli import main

pytestmark = pytest.mark.integration


def test_forecast_and_plan_print_the_api_body(live_stack, capsys):
    assert main(["forecast", "--url", live_stack.base_url, "--hours", "6", "--current-load", "1000",
                 "--timestamp", "2024-01-15T10:00:00"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert len(body["forecast"]) == 6 and body["timestamp"] == "2024-01-15T10:00:00"
    assert main(["plan", "--url", live_stack.base_url, "--capacity", "5000", "--current-load", "1000",
                 "--option", "unit_capacity=500"]) == 0
    assert "instances" in json.loads(capsys.readouterr().out)["recommendations"]


def test_analyze_waits_for_the_job_and_history_file_is_read(live_stack, capsys, tmp_path):
    history = tmp_path / "loads.csv"
    history.write_text("\n".join(str(800 + (h % 24) * 10) for h in range(100)))
    assert main(["analyze", "--url", live_stack.base_url, "--capacity", "5000", "--history", str(history),
                 "--timestamp", "2024-01-15T10:00:00"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["history_source"] == "provided" and body["forecast"]["history_hours"] == 100
    assert "risk_assessment" in body["analysis"]


def test_batch_writes_the_results_csv(live_stack, capsys, tmp_path):
    plans = tmp_path / "plans.csv"
    plans.write_text("id,current_capacity,current_load,hours_ahead\nweb,5000,1000,24\ndb,-1,10,24\n")
    out = tmp_path / "results.csv"
    assert main(["batch", "--url", live_stack.base_url, str(plans), "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["id"] for r in rows] == ["web", "db"] and [r["success"] for r in rows] == ["True", "False"]


def test_client_reports_errors_without_a_traceback(live_stack, capsys):
    assert main(["forecast", "--url", live_stack.base_url, "--hours", "0", "--current-load", "1"]) == 1
    err = capsys.readouterr().err
    assert "HTTP 400" in err and "hours_ahead" in err and "Traceback" not in err


@pytest.mark.parametrize("command, make_args", [
    ("batch", lambda p: [str(p / "missing.csv")]),
    ("batch", lambda p: [_write(p / "plans.csv", "id,current_capacity\nweb,lots\n")]),
    ("plan", lambda p: ["--capacity", "10", "--current-load", "5", "--option", "headroom=abc"]),
])
def test_client_reports_bad_local_input_without_a_traceback(command, make_args, tmp_path, capsys):
    # Fails before any request: the URL is never reached.
    assert main([command, "--url", "http://127.0.0.1:9", *make_args(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"capplan {command}: ") and "Traceback" not in err


def _write(path, text: str) -> str:
    path.write_text(text)
    return str(path)
