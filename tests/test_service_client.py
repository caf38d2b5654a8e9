"""The `capplan forecast | plan | analyze | batch` commands against the live stack."""
from __future__ import annotations

import csv
import json

import pytest

from capplan.cli import main

pytestmark = pytest.mark.integration


def test_forecast_and_plan_print_the_api_body_with_json(live_stack, capsys):
    assert main(["forecast", "--url", live_stack.base_url, "--hours", "6", "--current-load", "1000",
                 "--last-hour", "2024-01-15T10", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert len(body["forecast"]) == 6 and body["timestamp"] == "2024-01-15T10:00:00"
    assert main(["plan", "--url", live_stack.base_url, "--capacity", "5000", "--current-load", "1000",
                 "--option", "unit_capacity=500", "--json"]) == 0
    assert "instances" in json.loads(capsys.readouterr().out)["recommendations"]


def test_analyze_prints_a_short_summary_in_the_chosen_zone(live_stack, capsys, tmp_path):
    history = tmp_path / "loads.csv"
    history.write_text("\n".join(str(800 + (h % 24) * 10) for h in range(100)))
    assert main(["analyze", "--url", live_stack.base_url, "--capacity", "5000", "--history", str(history),
                 "--last-hour", "2024-06-02T23", "--tz", "Europe/Paris", "--option", "unit_capacity=500"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Assumptions:" and "padded" in lines[1]       # 100 h of history: padded, said first
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("Action: ")):]
    assert lines[0].startswith("Action: ") and lines[1].startswith("Capacity: 5,000 → ")
    text = "\n".join(lines)
    assert "Peak hour: " in text and "p90 load" in text and "Schedule: " in text
    assert "Forecast: 168 h from Mon 2024-06-03 00:00 CEST" in text   # the hour after 23:00 Paris time
    assert "100 h of provided history" in text and len(lines) <= 16


def test_bare_numbers_without_last_hour_send_nothing(live_stack, capsys, tmp_path):
    history = tmp_path / "loads.csv"
    history.write_text("\n".join(str(800 + h) for h in range(100)))
    assert main(["analyze", "--url", live_stack.base_url, "--capacity", "5000", "--history", str(history)]) == 1
    assert "--last-hour" in capsys.readouterr().err


def test_batch_exits_2_when_plans_fail_and_names_their_lines(live_stack, capsys, tmp_path):
    plans = tmp_path / "plans.csv"
    plans.write_text("id,current_capacity,current_load,hours_ahead\nweb,5000,1000,24\ndb,-1,10,24\n"
                     "api,3000,lots,24\n")
    out = tmp_path / "results.csv"
    assert main(["batch", "--url", live_stack.base_url, str(plans), "--out", str(out)]) == 2
    rows = list(csv.DictReader(out.open()))
    assert [(r["line"], r["id"], r["success"]) for r in rows] == [
        ("2", "web", "True"), ("3", "db", "False"), ("4", "api", "False")]
    summary = capsys.readouterr().out
    assert "  line 3 (db): column current_capacity: must be >= 1e-06" in summary
    assert "  line 4 (api): column current_load: 'lots' is not a number" in summary


def test_batch_exits_0_when_every_plan_succeeds(live_stack, capsys, tmp_path):
    plans = tmp_path / "plans.csv"
    plans.write_text("id,current_capacity,current_load,hours_ahead\nweb,5000,1000,24\n")
    assert main(["batch", "--url", live_stack.base_url, str(plans), "--out", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("line,index,id,success,") and "1 succeeded, 0 failed" in captured.err


def test_client_reports_errors_without_a_traceback(live_stack, capsys):
    assert main(["forecast", "--url", live_stack.base_url, "--hours", "0", "--current-load", "1"]) == 1
    err = capsys.readouterr().err
    assert "HTTP 400" in err and "hours_ahead (--hours): must be" in err and "Traceback" not in err


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


def test_batch_sends_a_large_file_gzipped(live_stack, capsys, tmp_path, monkeypatch):
    """A file of four-week histories is over GZIP_OVER_BYTES as JSON: it goes gzipped, and the API reads it."""
    import urllib.request

    from capplan.service_client import GZIP_OVER_BYTES

    sent = []
    real_urlopen = urllib.request.urlopen

    def recording(req, *args, **kwargs):          # the real request goes through; its headers are noted
        sent.append((req.full_url, dict(req.header_items()), len(req.data or b"")))
        return real_urlopen(req, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", recording)
    plans = tmp_path / "plans.csv"
    rows = [f"svc-{i},{4000 + i},48,{' '.join(f'{800 + (h * 7 + i) % 400}.5' for h in range(672))},2024-01-15T10"
            for i in range(250)]
    plans.write_text("id,current_capacity,hours_ahead,history,last_timestamp\n" + "\n".join(rows) + "\n")
    assert plans.stat().st_size > GZIP_OVER_BYTES
    out = tmp_path / "results.csv"
    assert main(["batch", "--url", live_stack.base_url, "--tz", "UTC", str(plans), "--out", str(out)]) == 0
    posted = [(headers, size) for url, headers, size in sent if url.endswith("/api/capacity/batch")]
    assert len(posted) == 1 and posted[0][0].get("Content-encoding") == "gzip"
    assert posted[0][1] < plans.stat().st_size / 2
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 250 and all(r["success"] == "True" for r in rows)
