"""`capplan forecast | plan | analyze | batch` through ``main([...])``: exit codes, and what is refused before sending.

A fake service stands in for HTTP here (answers saved from a real one, tests/fixtures/cli); the same
commands against the real stack are in tests/test_service_client.py.
"""
from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from capplan import client
from capplan.cli import main
from capplan.service_client import ServiceClient
from tests.redis_server import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
PATH_KIND = {"/api/forecast": "forecast", "/api/capacity/recommendations": "plan", "/api/capacity/analyze": "analyze"}


class FakeService(ServiceClient):
    """Answers like the service; a batch plan fails when its current_capacity is not > 0."""

    def __init__(self):
        super().__init__("http://fake", timeout=5)
        self.requests: list[tuple[str, str, object]] = []
        self.plans: list[dict] = []

    def request(self, method, path, body=None, headers=None):
        self.requests.append((method, path, body))
        if path in PATH_KIND:
            return 200, json.loads((FIXTURES / f"{PATH_KIND[path]}_response.json").read_text())
        if path == "/api/capacity/batch":
            self.plans = body["plans"]
            return 202, {"job_id": "job1"}
        if path == "/api/jobs/job1":
            return 200, json.loads((FIXTURES / "batch_job.json").read_text())
        if path == "/api/jobs/job1/results?format=csv":
            return 200, self._results_csv()
        raise AssertionError(f"unexpected {method} {path}")

    def _results_csv(self) -> bytes:
        header = (FIXTURES / "batch_results.csv").read_text().splitlines()[0].split(",")
        out = io.StringIO()
        writer = csv.DictWriter(out, header, restval="")
        writer.writeheader()
        for i, plan in enumerate(self.plans):
            ok = plan["current_capacity"] > 0
            writer.writerow({"index": i, "id": plan.get("id", str(i)), "success": ok,
                             "error": "" if ok else "current_capacity: must be > 0"})
        return out.getvalue().encode()


@pytest.fixture
def service(monkeypatch):
    fake = FakeService()
    monkeypatch.setattr(client, "open_service", lambda args: fake)
    return fake


def _write(path: Path, content) -> str:
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return str(path)


def _timed_history(tmp_path: Path) -> str:
    rows = [f"2024-06-02T{h:02d}:00:00,{1000 + 10 * h}" for h in range(24)]
    return _write(tmp_path / "loads.csv", "timestamp,load\n" + "\n".join(rows) + "\n")


# --- exit 0 -------------------------------------------------------------------------------------------

def test_analyze_prints_the_summary_and_exits_0(service, tmp_path, capsys):
    assert main(["analyze", "--capacity", "5000", "--history", _timed_history(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Action: Scale up (urgency medium)\nCapacity: 5,000 → 6,135")
    assert len(out.splitlines()) <= 14


def test_json_prints_the_raw_body(service, tmp_path, capsys):
    assert main(["plan", "--capacity", "5000", "--current-load", "1000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((FIXTURES / "plan_response.json").read_text())


def test_help_documents_the_exit_codes(capsys):
    assert main(["batch", "--help"]) == 0
    out = capsys.readouterr().out
    assert "exit status:" in out and "0  done, and every plan succeeded" in out
    assert "1  an error" in out and "2  the batch ran and some plans failed" in out
    assert main(["plan", "--help"]) == 0
    assert "2  the batch" not in capsys.readouterr().out


def test_prometheus_flags_send_a_source_and_notify_names_targets(service, capsys):
    assert main(["forecast", "--prometheus", "prod", "--query", "sum(rate(x[1h]))", "--lookback-hours", "48",
                 "--last-hour", "2024-01-15T10", "--notify", "ops", "--notify", "main"]) == 0
    ((_, _, body),) = service.requests
    assert body == {"hours_ahead": 24, "timestamp": "2024-01-15T10:00:00", "notify": ["ops", "main"],
                    "source": {"prometheus": "prod", "query": "sum(rate(x[1h]))", "lookback_hours": 48}}


@pytest.mark.parametrize("flags, words", [
    (["--prometheus", "prod"], "--prometheus TARGET and --query PROMQL go together"),
    (["--query", "up"], "--prometheus TARGET and --query PROMQL go together"),
    (["--current-load", "5", "--lookback-hours", "48"], "--lookback-hours goes with --prometheus"),
    (["--prometheus", "prod", "--query", "up", "--history", "HISTORY"], "not both"),
])
def test_prometheus_flags_out_of_place_are_refused_before_sending(service, tmp_path, capsys, flags, words):
    flags = [_timed_history(tmp_path) if f == "HISTORY" else f for f in flags]
    assert main(["forecast", *flags]) == 1
    assert words in capsys.readouterr().err and not service.requests


def test_a_usage_error_exits_1_not_2(service, capsys):
    assert main(["plan", "--current-load", "5"]) == 1           # --capacity missing
    assert "--capacity" in capsys.readouterr().err and not service.requests


# --- exit 1: the service's error, or no service ----------------------------------------------------------

class _Refusing(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.dumps({"success": False, "error": {
            "code": "validation_error", "message": "current_capacity: must be > 0; unit_capacity: must be > 0",
            "fields": {"current_capacity": "must be > 0", "unit_capacity": "must be > 0"}}}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_http_error_exits_1_with_the_fields_and_their_flags(capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rc = main(["plan", "--url", f"http://127.0.0.1:{server.server_port}", "--capacity", "-5",
                   "--current-load", "1", "--option", "unit_capacity=0"])
    finally:
        server.shutdown()
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert "HTTP 400 validation_error" in err
    assert "  current_capacity (--capacity): must be > 0" in err
    assert "  unit_capacity (--option unit_capacity=...): must be > 0" in err


def test_connection_refused_exits_1(capsys):
    assert main(["forecast", "--url", f"http://127.0.0.1:{free_port()}", "--current-load", "5"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the service" in err and "Traceback" not in err


# --- batch: exit 2, lines and columns ----------------------------------------------------------------------

PLANS = """id,current_capacity,current_load,hours_ahead
web,5000,1000,24
api,3000,lots,24

db,-1,10,24
"""


def test_a_batch_with_failed_plans_exits_2_and_names_lines_and_columns(service, tmp_path, capsys):
    out_csv = tmp_path / "results.csv"
    assert main(["batch", _write(tmp_path / "plans.csv", PLANS), "--out", str(out_csv)]) == 2
    # The row with a cell the CLI cannot read stays here; the others are sent.
    assert [p["id"] for p in service.plans] == ["web", "db"]
    out = capsys.readouterr().out
    assert "3 plans, 1 succeeded, 2 failed (1 refused here, before sending; 1 by the service)" in out
    assert "  line 3 (api): column current_load: 'lots' is not a number" in out
    assert "  line 5 (db): column current_capacity: must be > 0" in out
    rows = list(csv.DictReader(out_csv.open()))
    assert [(r["line"], r["index"], r["id"], r["success"]) for r in rows] == [
        ("2", "0", "web", "True"), ("3", "", "api", "False"), ("5", "1", "db", "False")]
    assert rows[1]["error"] == "column current_load: 'lots' is not a number"


def test_a_batch_where_every_plan_succeeds_exits_0(service, tmp_path, capsys):
    assert main(["batch", _write(tmp_path / "plans.csv", "id,current_capacity,current_load\na,10,5\n")]) == 0
    assert "1 plans, 1 succeeded, 0 failed" in capsys.readouterr().out
    assert "notify" not in service.requests[0][2]
    assert main(["batch", "--notify", "ops", str(tmp_path / "plans.csv")]) == 0
    assert service.requests[-3][2] == {"plans": [{"id": "a", "current_capacity": 10, "current_load": 5}],
                                       "notify": ["ops"]}


def test_a_batch_whose_rows_all_fail_here_sends_nothing_and_exits_2(service, tmp_path, capsys):
    assert main(["batch", _write(tmp_path / "plans.csv", "current_capacity,current_load\nten,5\n")]) == 2
    assert not service.requests
    assert "line 2: column current_capacity: 'ten' is not a number" in capsys.readouterr().out


@pytest.mark.parametrize("header, expected", [
    ("id,current_capacity,curent_load", ["unknown column 'curent_load' (did you mean 'current_load'?)",
                                         "missing column 'current_load' (required without a history column)"]),
    ("id,capacity,current_load", ["unknown column 'capacity' (did you mean 'current_capacity'?)"]),
    ("id,current_capacity,current_load,unit_capacty",
     ["unknown column 'unit_capacty' (did you mean 'unit_capacity'?)"]),
])
def test_a_header_the_cli_cannot_map_is_refused_before_sending(service, tmp_path, capsys, header, expected):
    path = _write(tmp_path / "plans.csv", f"{header}\nweb,5000,1000,500\n")
    assert main(["batch", path]) == 1
    err = capsys.readouterr().err
    assert "line 1 (the header)" in err and "nothing was submitted" in err
    assert all(line in err for line in expected)
    assert not service.requests


@pytest.mark.parametrize("content, expected", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    ("id,current_capacity,current_load\ncafé,10,5\n".encode("latin-1"), "not UTF-8 text (byte 0xe9 on line 2)"),
])
@pytest.mark.parametrize("command", ["batch", "analyze"])
def test_a_file_that_is_not_text_is_refused(service, tmp_path, capsys, content, expected, command):
    path = _write(tmp_path / "input.csv", content)
    argv = ["batch", path] if command == "batch" else ["analyze", "--capacity", "5", "--history", path]
    assert main(argv) == 1
    assert expected in capsys.readouterr().err and not service.requests


@pytest.mark.parametrize("argv, expected", [
    (["--out", "{tmp}/no/such/dir/results.csv"], "--out {tmp}/no/such/dir/results.csv: cannot write it"),
    (["--out", "-", "--json"], "--json and --out - would both write to stdout"),
])
def test_an_unusable_out_is_refused_before_sending(service, tmp_path, capsys, argv, expected):
    path = _write(tmp_path / "plans.csv", "id,current_capacity,current_load\na,10,5\n")
    assert main(["batch", path, *[a.format(tmp=tmp_path) for a in argv]]) == 1
    assert expected.format(tmp=tmp_path) in capsys.readouterr().err and not service.requests


# --- options -----------------------------------------------------------------------------------------------

def test_an_unknown_option_is_refused_with_the_closest_name(service, capsys):
    assert main(["plan", "--capacity", "5000", "--current-load", "1000", "--option", "unit_capacty=500"]) == 1
    err = capsys.readouterr().err
    assert "--option unit_capacty: unknown option (did you mean 'unit_capacity'?)" in err
    assert not service.requests


def test_a_known_option_is_sent_as_a_number(service, capsys):
    assert main(["plan", "--capacity", "5000", "--current-load", "1000", "--option", "unit_capacity=500",
                 "--option", "min_hold_hours=4"]) == 0
    body = service.requests[0][2]
    assert body["unit_capacity"] == 500.0 and body["min_hold_hours"] == 4


# --- the hour of the last value ------------------------------------------------------------------------------

def test_bare_numbers_without_last_hour_are_refused(service, tmp_path, capsys):
    path = _write(tmp_path / "loads.txt", "\n".join(str(800 + h) for h in range(48)))
    assert main(["analyze", "--capacity", "5000", "--history", path]) == 1
    err = capsys.readouterr().err
    assert "--last-hour" in err and "peak hours" in err and "schedule" in err
    assert not service.requests


def test_last_hour_is_read_in_tz_and_sent_in_utc(service, tmp_path, capsys):
    path = _write(tmp_path / "loads.txt", "\n".join(str(800 + h) for h in range(48)))
    assert main(["analyze", "--capacity", "5000", "--history", path, "--last-hour", "2024-06-02T23",
                 "--tz", "Europe/Paris"]) == 0
    body = service.requests[0][2]
    assert body["timestamp"] == "2024-06-02T21:00:00" and body["history"][-1] == 847.0
    assert "CEST" in capsys.readouterr().out


def test_a_history_with_times_needs_no_last_hour(service, tmp_path, capsys):
    assert main(["analyze", "--capacity", "5000", "--history", _timed_history(tmp_path),
                 "--tz", "America/New_York"]) == 0
    body = service.requests[0][2]
    assert "timestamp" not in body
    assert body["history"][-1] == {"timestamp": "2024-06-03T03:00:00", "load": 1230.0}   # 23:00 EDT


def test_json_points_need_no_last_hour(service, tmp_path):
    points = [{"timestamp": f"2024-06-02T{h:02d}:00:00Z", "load": h} for h in range(24)]
    path = _write(tmp_path / "loads.json", json.dumps(points))
    assert main(["forecast", "--history", path]) == 0
    assert service.requests[0][2]["history"][-1] == {"timestamp": "2024-06-02T23:00:00", "load": 23.0}


def test_a_bad_history_cell_names_its_line_and_column(service, tmp_path, capsys):
    path = _write(tmp_path / "loads.csv", "timestamp,load\n2024-06-02T00,10\n2024-06-02T01,lots\n")
    assert main(["forecast", "--history", path]) == 1
    assert "line 3, column load: 'lots' is not a number" in capsys.readouterr().err


@pytest.mark.parametrize("argv, expected", [
    (["--tz", "Europe/Pariss"], "unknown time zone 'Europe/Pariss' (did you mean Europe/Paris"),
    (["--tz", "Europe/Paris", "--last-hour", "2024-10-27T02"], "happens twice in Europe/Paris"),
    (["--last-hour", "yesterday"], "'yesterday' is not a date and hour"),
])
def test_an_unknown_zone_or_unusable_hour_is_refused(service, capsys, argv, expected):
    assert main(["forecast", "--current-load", "5", *argv]) == 1
    assert expected in capsys.readouterr().err and not service.requests


def test_schedule_asks_the_right_path_and_refuses_bad_flags_before_sending(capsys):
    from argparse import Namespace

    from capplan.schedule_command import schedule_path

    args = Namespace(job="job1", plan="web/eu", format="keda", tz="Europe/Paris", target=None, asg=None)
    assert schedule_path(args) == "/api/jobs/job1/results/web%2Feu/schedule?format=keda&tz=Europe%2FParis"
    assert schedule_path(Namespace(**{**vars(args), "plan": None, "format": "aws", "asg": "g"})) == \
        "/api/jobs/job1/schedule?format=aws&tz=Europe%2FParis&asg=g"
    assert main(["schedule", "job1"]) == 1                                  # --format is required
    assert "--format" in capsys.readouterr().err
    assert main(["schedule", "job1", "--format", "helm"]) == 1
    assert main(["schedule", "job1", "--format", "csv", "--url", f"http://127.0.0.1:{free_port()}"]) == 1
    assert "cannot reach the service" in capsys.readouterr().err
    # An older job id or a plan id that starts with "-", written as the help says: parsed, then sent.
    assert main(["schedule", "--format", "csv", "--plan=-web", "--url", f"http://127.0.0.1:{free_port()}",
                 "--", "-4q1UGgem6JET5OJb2_hDw"]) == 1
    assert "cannot reach the service" in capsys.readouterr().err
