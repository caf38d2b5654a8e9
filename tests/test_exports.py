"""Each export format, parsed back (PyYAML, json, csv) and checked against its own rules."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from croniter import croniter

from capplan.errors import InvalidRequest
from exports import ExportOptions, render
from exports.aws import ACTIONS_PER_CALL
from exports.sources import from_analysis
from exports.timing import NothingToExport
from tests.schedule_fixtures import analysis_result

START = datetime(2026, 12, 7)                                  # a Monday, 00:00 UTC
BEFORE = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)       # an export made before the schedule starts
BOUNDED = {"min_capacity": 2000, "max_capacity": 5000}


def export_of(**plan):
    return from_analysis("job-1", analysis_result(**plan))


def options(zone: str = "UTC", now: datetime = BEFORE, **kw) -> ExportOptions:
    return ExportOptions(zone=ZoneInfo(zone), now=now, **kw)


def cron_fields(expression: str) -> list[str]:
    fields = expression.split(" ")
    assert len(fields) == 5 and croniter.is_valid(expression), expression
    return fields


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"])
def test_keda_has_one_cron_trigger_per_step_firing_at_its_local_start_and_end(zone):
    export = export_of(**BOUNDED)
    made = render("keda", export, options(zone, target="web"))
    assert made.media_type == "application/yaml" and made.filename.endswith(".yaml")
    doc = yaml.safe_load(made.text)
    assert (doc["apiVersion"], doc["kind"]) == ("keda.sh/v1alpha1", "ScaledObject")
    assert doc["spec"]["scaleTargetRef"] == {"name": "web"}
    assert (doc["spec"]["minReplicaCount"], doc["spec"]["maxReplicaCount"]) == (8, 20)
    triggers = doc["spec"]["triggers"]
    assert len(triggers) == len(export.steps) > 3
    for trigger, step in zip(triggers, export.steps):
        meta = trigger["metadata"]
        assert trigger["type"] == "cron" and meta["timezone"] == zone
        assert cron_fields(meta["start"]) != cron_fields(meta["end"])
        assert 8 <= int(meta["desiredReplicas"]) <= 20 and int(meta["desiredReplicas"]) == step.instances
        begin = export.at(step.start_hour).astimezone(ZoneInfo(zone))
        end = export.at(step.end_hour).astimezone(ZoneInfo(zone))
        assert croniter(meta["start"], begin - timedelta(minutes=1)).get_next(datetime) == begin
        assert croniter(meta["end"], begin).get_next(datetime) == end    # within the week: no overlap
    assert made.text.startswith("# capplan scaling schedule for job-1")
    assert "KEDA scales to the highest of its triggers" in made.text
    assert made.text.count("    # p90 ") == len(triggers)               # each trigger's reason, above it


def test_keda_crosses_a_daylight_saving_change_at_the_right_instants():
    export = from_analysis("job-1", analysis_result(start=datetime(2026, 10, 29)))   # US clocks go back Nov 1
    doc = yaml.safe_load(render("keda", export, options("America/New_York")).text)
    zone = ZoneInfo("America/New_York")
    for trigger, step in zip(doc["spec"]["triggers"], export.steps):
        begin = export.at(step.start_hour).astimezone(zone)
        fired = croniter(trigger["metadata"]["start"], begin - timedelta(minutes=1)).get_next(datetime)
        assert fired.astimezone(timezone.utc) == begin.astimezone(timezone.utc)


def test_a_step_of_a_whole_week_ends_a_minute_before_it_starts_again():
    export = export_of(current_capacity=100, min_capacity=10_000)        # one step: up at hour 0 for 168 h
    assert [(s.start_hour, s.end_hour) for s in export.steps] == [(0, 168)]
    meta = yaml.safe_load(render("keda", export, options()).text)["spec"]["triggers"][0]["metadata"]
    assert (meta["start"], meta["end"]) == ("0 0 * * 1", "59 23 * * 0")


def test_keda_default_target_and_a_bad_target():
    doc = yaml.safe_load(render("keda", export_of(), options()).text)
    assert doc["spec"]["scaleTargetRef"]["name"] == "job-1"                   # the id, a valid name
    with pytest.raises(InvalidRequest) as refused:
        render("keda", export_of(), options(target="Web App"))
    assert "target" in refused.value.fields


def test_a_plan_id_with_a_line_break_stays_inside_its_comment():
    export = export_of()
    for name in ("x\nkind: Secret", "x\u2028kind: Secret", "bell\x07 and nul\x00"):
        evil = type(export)(**{**{f: getattr(export, f) for f in export.__slots__}, "name": name})
        doc = yaml.safe_load(render("keda", evil, options()).text)
        assert doc["kind"] == "ScaledObject" and doc["spec"]["scaleTargetRef"]["name"] == "workload"


@pytest.mark.parametrize("fmt", ["keda", "cronhpa", "aws"])
def test_formats_that_set_replicas_need_unit_capacity(fmt):
    export = from_analysis("job-1", analysis_result(unit_capacity=None))
    with pytest.raises(InvalidRequest) as refused:
        render(fmt, export, options(asg="asg-1"))
    assert "unit_capacity" in refused.value.fields and "unit_capacity was not given" in refused.value.message
    rows = list(csv.DictReader(io.StringIO(render("csv", export, options()).text)))
    assert rows and all(r["instances"] == "" and float(r["capacity"]) > 0 for r in rows)


def test_cronhpa_has_one_date_job_per_step_to_come():
    export = export_of(**BOUNDED)
    now = datetime(2026, 12, 8, 5, 30, tzinfo=timezone.utc)             # a day and a half in
    doc = yaml.safe_load(render("cronhpa", export, options("Europe/Paris", now=now, target="web")).text)
    assert (doc["apiVersion"], doc["kind"]) == ("autoscaling.alibabacloud.com/v1beta1", "CronHorizontalPodAutoscaler")
    assert doc["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    jobs = doc["spec"]["jobs"]
    to_come = [s for s in export.steps if export.at(s.end_hour) > now]
    assert len(jobs) == len(to_come) < len(export.steps)
    assert len({j["name"] for j in jobs}) == len(jobs)
    for job, step in zip(jobs, to_come):
        when = datetime.strptime(job["schedule"], "@date %Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Europe/Paris"))
        assert when > now and when >= export.at(step.start_hour)
        assert 8 <= job["targetSize"] == step.instances <= 20 and job["runOnce"] is True


def test_aws_actions_start_in_the_future_and_set_the_floor():
    export = export_of(**BOUNDED)
    now = datetime(2026, 12, 8, 5, 30, tzinfo=timezone.utc)
    made = render("aws", export, options(now=now, asg="web-asg"))
    body = json.loads(made.text)
    assert made.media_type == "application/json" and body["AutoScalingGroupName"] == "web-asg"
    actions = body["ScheduledUpdateGroupActions"]
    assert 0 < len(actions) <= ACTIONS_PER_CALL
    starts = [datetime.strptime(a["StartTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) for a in actions]
    assert all(s > now for s in starts) and starts == sorted(starts)
    in_progress = [s for s in export.steps if export.at(s.start_hour) <= now < export.at(s.end_hour)]
    assert starts[0] - now <= timedelta(minutes=4) if in_progress else True     # it starts now, not never
    assert all(8 <= a["MinSize"] <= 20 for a in actions)
    assert len({a["ScheduledActionName"] for a in actions}) == len(actions)
    assert all(len(a["ScheduledActionName"]) <= 255 for a in actions)


def test_aws_splits_more_than_fifty_actions_into_several_calls():
    export = export_of(flapping=True, min_hold_hours=1, lead_time_hours=0, hysteresis=0.0)
    assert len(export.steps) > 2 * ACTIONS_PER_CALL
    calls = json.loads(render("aws", export, options(asg="web-asg")).text)
    assert isinstance(calls, list) and len(calls) == -(-len(export.steps) // ACTIONS_PER_CALL)
    assert all(0 < len(c["ScheduledUpdateGroupActions"]) <= ACTIONS_PER_CALL for c in calls)
    assert sum(len(c["ScheduledUpdateGroupActions"]) for c in calls) == len(export.steps)


def test_aws_needs_the_group_and_something_to_come():
    with pytest.raises(InvalidRequest) as refused:
        render("aws", export_of(), options())
    assert "asg" in refused.value.fields
    after = datetime(2027, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(NothingToExport):
        render("aws", export_of(), options(now=after, asg="web-asg"))


def test_csv_has_one_row_per_step_with_its_reason():
    export = export_of(**BOUNDED)
    made = render("csv", export, options("Europe/Paris"))
    rows = list(csv.DictReader(io.StringIO(made.text)))
    assert made.media_type == "text/csv" and len(rows) == len(export.steps)
    for row, step in zip(rows, export.steps):
        assert row["start"].endswith("+0100") and row["start_utc"].endswith("Z")
        assert int(row["instances"]) == step.instances and row["direction"] == step.direction
        assert row["reason"].startswith(f"p90 {step.p90_load:,.0f} at ")
        word = "up" if step.direction == "up" else "down"
        assert f"; {word} from {step.previous_instances}" in row["reason"]
        assert not row["reason"].startswith(("=", "+", "-", "@"))
