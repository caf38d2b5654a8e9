"""The human summary, on responses saved from a real service (tests/fixtures/cli, 4 weeks of hourly history)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from capplan.hours import UTC, parse_zone
from capplan.summary import batch_lines, summary_lines

FIXTURES = Path(__file__).parent / "fixtures" / "cli"


def _response(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}_response.json").read_text())


def test_analyze_summary_says_what_to_do_when_and_what_it_saves():
    lines = summary_lines("analyze", _response("analyze"), UTC)
    text = "\n".join(lines)
    assert lines[0] == "Action: Scale up (urgency medium)"
    assert lines[1] == "Capacity: 5,000 → 6,135 (+1,135, +22.7%); instances 10 → 13 of 500"
    assert "medium (p90: high); 6 of 48 h over the 80% threshold (11 at p90)" in lines[2]
    assert "Peak hour: Mon 2024-06-03 13:00 UTC: p90 load 4,462 (89.2% of the current capacity)" in text
    assert ("Schedule: 10 changes over 48 h, between 3,000 and 6,000; saves 26.4% of the capacity-hours "
            "(60.80 in cost) against a static 6,000") in text
    assert "first changes (UTC): Mon 00:00 → 3,000; Mon 06:00 → 4,000;" in text
    assert "Cost over 48 h: 192.00 now, 249.60 recommended, 169.60 on the schedule" in text
    assert len(lines) <= 14 and "{" not in text


def test_times_are_shown_in_the_chosen_zone():
    text = "\n".join(summary_lines("analyze", _response("analyze"), parse_zone("Europe/Paris")))
    assert "Peak hour: Mon 2024-06-03 15:00 CEST" in text
    assert "first changes (CEST): Mon 02:00 → 3,000" in text
    assert "UTC" not in text


def test_plan_summary_names_the_risk_at_the_current_capacity():
    lines = summary_lines("plan", _response("plan"), UTC, threshold=0.8)
    assert lines[:2] == ["Action: Scale up (urgency medium)",
                         "Capacity: 5,000 → 6,135 (+1,135, +22.7%); instances 10 → 13 of 500"]
    assert "the p90 peak would use 89.2% of it (threshold 80%)" in lines[2]
    assert any(line.startswith("Cost over 24 h: 96.00 now, 124.80 recommended") for line in lines)


def test_forecast_summary_gives_the_peak_and_the_source():
    text = "\n".join(summary_lines("forecast", _response("forecast"), UTC))
    assert "Peak hour: Mon 2024-06-03 13:00 UTC: p90 load 4,462, median 4,253" in text
    assert "24 h from Mon 2024-06-03 00:00 UTC to Mon 2024-06-03 23:00 UTC" in text
    assert "672 h of provided history" in text


@pytest.mark.parametrize("kind", ["forecast", "plan", "analyze"])
def test_assumptions_come_first_and_only_when_present(kind):
    body = _response(kind)
    assert not any("onfidence" in line or "assum" in line for line in summary_lines(kind, body, UTC))
    # The shape the API's assumptions change promises: {code, message} items and a confidence, here on the
    # top level and again on a nested part (each is shown once).
    marked = copy.deepcopy(body)
    item = {"code": "bare_history", "message": "the last value was taken to be at 2024-06-02T23:00 UTC"}
    marked.update(confidence="low", assumptions=[item])
    nested = marked if kind == "forecast" else marked["forecast"]
    nested["assumptions"] = [item, {"code": "short_history", "message": "less than 2 weeks of history"}]
    lines = summary_lines(kind, marked, UTC)
    assert lines[:3] == ["Confidence: LOW; this rests on assumptions:",
                         "  - the last value was taken to be at 2024-06-02T23:00 UTC",
                         "  - less than 2 weeks of history"]
    normal = copy.deepcopy(body)
    normal["confidence"] = "normal"
    assert summary_lines(kind, normal, UTC) == summary_lines(kind, body, UTC)


def test_batch_summary_lists_failed_plans_by_line():
    job = json.loads((FIXTURES / "batch_job.json").read_text())
    outcomes = [{"line": 2, "id": "web", "success": True, "error": "", "sent": True},
                {"line": 3, "id": "db", "success": False, "error": "column current_capacity: must be > 0",
                 "sent": True},
                {"line": 5, "id": "queue", "success": False, "sent": False,
                 "error": "column current_load: 'lots' is not a number"}]
    lines = batch_lines(job, outcomes, "plans.csv")
    assert lines[0].startswith("Batch of plans.csv: 3 plans, 1 succeeded, 2 failed "
                               "(1 refused here, before sending; 1 by the service); job ")
    assert lines[-3:] == ["Failed plans:", "  line 3 (db): column current_capacity: must be > 0",
                          "  line 5 (queue): column current_load: 'lots' is not a number"]
    assert any(line.startswith("Riskiest: ") for line in lines)
