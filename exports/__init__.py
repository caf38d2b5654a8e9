"""A plan's scaling schedule in the formats other systems read: CSV, KEDA, CronHPA and AWS Auto Scaling.

The edge of the service: no Flask, Celery or torch here (tests/test_rooms.py); the API and the CLI call
``render`` and send what it returns.
"""
from __future__ import annotations

from dataclasses import dataclass

from exports import aws, cronhpa, csv_export, keda
from exports.model import ExportOptions, ScheduleExport, safe_label

RENDERERS = {"csv": csv_export, "keda": keda, "cronhpa": cronhpa, "aws": aws}
FORMATS = tuple(RENDERERS)
EXTENSIONS = {"csv": "csv", "keda": "yaml", "cronhpa": "yaml", "aws": "json"}


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    media_type: str
    filename: str


def render(fmt: str, export: ScheduleExport, options: ExportOptions) -> Rendered:
    """``fmt`` (one of FORMATS) of ``export``; bad options raise InvalidRequest naming the field."""
    module = RENDERERS[fmt]
    text = module.render(export, options)
    return Rendered(text, module.MEDIA_TYPE, f"schedule-{safe_label(export.name)}-{fmt}.{EXTENSIONS[fmt]}")


__all__ = ["ExportOptions", "FORMATS", "Rendered", "ScheduleExport", "render"]
