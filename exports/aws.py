"""Request bodies of EC2 Auto Scaling's BatchPutScheduledUpdateGroupAction: one-shot actions setting MinSize."""
from __future__ import annotations

import json
import re

from capplan.errors import InvalidRequest
from exports.model import ExportOptions, ScheduleExport, safe_label
from exports.reasons import short_reason
from exports.timing import refuse_empty, upcoming

MEDIA_TYPE = "application/json"
ACTIONS_PER_CALL = 50            # the API's limit on ScheduledUpdateGroupActions in one call
ASG_NAME = re.compile(r"^[\x20-\x7e]{1,255}$")   # the API allows 1-255 characters; printable ASCII here


def check_asg(asg: str | None) -> str:
    if not asg:
        raise InvalidRequest.field("asg", "the Auto Scaling group's name is required for format=aws")
    if not ASG_NAME.match(asg):
        raise InvalidRequest.field("asg", "must be 1-255 printable ASCII characters")
    return asg


def call_bodies(export: ScheduleExport, options: ExportOptions) -> list[dict]:
    """One body per ACTIONS_PER_CALL upcoming steps; each action's name carries its step's reason."""
    asg = check_asg(options.asg)
    export.replicas_needed()
    steps = upcoming(export, options)
    refuse_empty(steps, export, "steps still to come")
    label = safe_label(export.name, 80)
    actions = [{"ScheduledActionName": f"capplan-{label}-{start:%Y%m%dT%H%MZ}-{short_reason(step)}",
                "StartTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "MinSize": step.instances}
               for step, start in steps]
    return [{"AutoScalingGroupName": asg, "ScheduledUpdateGroupActions": actions[i:i + ACTIONS_PER_CALL]}
            for i in range(0, len(actions), ACTIONS_PER_CALL)]


def render(export: ScheduleExport, options: ExportOptions) -> str:
    """One body as an object (ready for --cli-input-json), or a list of bodies when it takes several calls."""
    bodies = call_bodies(export, options)
    return json.dumps(bodies[0] if len(bodies) == 1 else bodies, indent=2) + "\n"
