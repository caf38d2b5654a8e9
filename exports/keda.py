"""A KEDA ScaledObject with one cron trigger per step: each sets a floor of replicas over its window."""
from __future__ import annotations

from exports.model import ExportOptions, ScheduleExport, check_target, default_target
from exports.reasons import step_reason
from exports.timing import cron_window, local, refuse_empty
from exports.yaml_text import document

MEDIA_TYPE = "application/yaml"


def render(export: ScheduleExport, options: ExportOptions) -> str:
    """The ScaledObject's YAML; crons repeat weekly in the request's zone (see docs/integrations.md)."""
    export.replicas_needed()
    refuse_empty(export.steps, export, "scaling steps")
    target = check_target(options.target) if options.target else default_target(export.name)
    zone = options.zone.key
    items = []
    for n, step in enumerate(export.steps, 1):
        start, end = cron_window(export, step, options)
        trigger = {"type": "cron", "name": f"capplan-step-{n}",
                   "metadata": {"timezone": zone, "start": start, "end": end,
                                "desiredReplicas": str(step.instances)}}
        items.append((step_reason(step, local(export.at(step.peak_hour), options), export.threshold), trigger))
    spec: dict = {"scaleTargetRef": {"name": target}}
    if export.min_instances is not None:
        spec["minReplicaCount"] = export.min_instances
    # KEDA's default maxReplicaCount is 100: a schedule that needs more must raise it, or it is cut there.
    spec["maxReplicaCount"] = max([export.max_instances or 0] + [s.instances for s in export.steps])
    spec["triggers"] = []
    first, last = local(export.start, options), local(export.at(export.hours), options)
    head = [f"capplan scaling schedule for {export.name}: {len(export.steps)} steps from "
            f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} {zone}.",
            "Each cron trigger sets a floor of desiredReplicas from start to end. Add your own metric triggers",
            "to this list and keep them: KEDA scales to the highest of its triggers, so load above the",
            "forecast still scales up. The crons repeat weekly: export again when the next forecast is made."]
    body = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": f"{target}-capplan"}, "spec": spec}
    return document(head, body, "triggers", items)
