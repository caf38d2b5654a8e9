"""A CronHorizontalPodAutoscaler (kubernetes-cronhpa-controller) with one one-shot @date job per step."""
from __future__ import annotations

from exports.model import ExportOptions, ScheduleExport, check_target, default_target
from exports.reasons import short_reason, step_reason
from exports.timing import local, refuse_empty, upcoming
from exports.yaml_text import document

MEDIA_TYPE = "application/yaml"
DATE = "@date %Y-%m-%d %H:%M:%S"


def render(export: ScheduleExport, options: ExportOptions) -> str:
    """The CronHPA's YAML; @date times are written in the request's zone, which must be the controller's."""
    export.replicas_needed()
    steps = upcoming(export, options)
    refuse_empty(steps, export, "steps still to come")
    target = check_target(options.target) if options.target else default_target(export.name)
    items = []
    for n, (step, start) in enumerate(steps, 1):
        job = {"name": f"step-{n}-{short_reason(step)}", "schedule": local(start, options).strftime(DATE),
               "targetSize": step.instances, "runOnce": True}
        items.append((step_reason(step, local(export.at(step.peak_hour), options), export.threshold), job))
    head = [f"capplan scaling schedule for {export.name}: {len(steps)} steps, times in {options.zone.key}.",
            "The controller reads @date in its own time zone (its TZ, UTC unless set): export with tz= that zone.",
            "targetSize sets the replicas at that time; with an HPA on the same workload, the HPA may move them."]
    body = {"apiVersion": "autoscaling.alibabacloud.com/v1beta1", "kind": "CronHorizontalPodAutoscaler",
            "metadata": {"name": f"{target}-capplan"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                     "jobs": []}}
    return document(head, body, "jobs", items)
