"""GET /api/openapi.json (OpenAPI 3.1) and /api/docs (rendered here, no CDN).

Request schemas are generated from the request models (api.schemas), so the document is the code's own
account of what it accepts; response schemas are written here.
"""
from __future__ import annotations

import html

from flask import Blueprint, jsonify
from pydantic.json_schema import models_json_schema

from api.schemas import AnalysisRequest, BatchRequest, ForecastRequest, PlanRequest

bp = Blueprint("openapi", __name__)
REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


UNAUTHORIZED = {"401": _json(_ref("Error"), "AUTH=keys: no API key, or not a valid one (WWW-Authenticate: Bearer)")}
NOT_FOUND = {"404": _json(_ref("Error"), "no such job (or another tenant's)"),
             "410": _json(_ref("Error"), "the job's results expired")}
ERRORS = {"400": _json(_ref("Error"), "invalid input; error.fields names each field"), **UNAUTHORIZED,
          "409": _json(_ref("Error"), "idempotency_conflict: the Idempotency-Key names a job with another body"),
          "413": _json(_ref("Error"), "body larger than MAX_CONTENT_LENGTH"),
          "415": _json(_ref("Error"), "the body was not sent as application/json"),
          "422": _json(_ref("Error"), "computation_error: the values passed validation but their numbers could not "
                                      "be computed (this request alone failed); source_error: the source's "
                                      "Prometheus refused the query, or it returned no series or several"),
          "429": _json(_ref("Error"), "rate_limited: the key's RATE_LIMIT (Retry-After); too_many_jobs: the "
                                      "tenant's cap on queued and running jobs; storage_full: its cap on "
                                      "stored results (MAX_STORED_BYTES_PER_TENANT)"),
          "502": _json(_ref("Error"), "source_unavailable: the source's Prometheus did not answer (its label and "
                                      "reason in the message)"),
          "503": _json(_ref("Error"), "Redis unreachable (Retry-After: 1) or the model is not loaded"),
          "504": _json(_ref("Error"), "no_progress: the job made no progress within its time limit")}
JOB_LINK = {"parameters": {"job_id": "$response.body#/job_id"}}
ASYNC = {"202": {**_json(_ref("JobAccepted"), "the job runs on; poll status_url (Location header)"), "links": {
    "GetJob": {"operationId": "getJob", **JOB_LINK}, "CancelJob": {"operationId": "cancelJob", **JOB_LINK},
    "GetJobResults": {"operationId": "getJobResults", **JOB_LINK}}}}
PREFER = {"name": "Prefer", "in": "header", "schema": {"type": "string"},
          "description": "respond-async: always 202; wait=N: wait up to N s (RFC 7240)"}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"},
               "description": "same key and body: the same job; same key, other body: 409"}
CONTENT_ENCODING = {"name": "Content-Encoding", "in": "header", "schema": {"enum": ["gzip", "identity"]},
                    "description": "gzip: the body is gzipped; it is inflated as it is read"}
CSV_NOTIFY = {"name": "notify", "in": "query", "style": "form", "explode": True,
              "schema": {"type": "array", "maxItems": 10, "items": {"type": "string"}},
              "description": "CSV bodies only (a JSON body gives `notify` in itself): configured webhooks or "
                             "Alertmanagers to tell when the batch ends, ?notify=ops&notify=main"}
BATCH_CSV = {"type": "string", "description": "a header row naming the columns (id, current_capacity, current_load, "
             "hours_ahead, history, last_timestamp and the plan options), then one plan per row",
             "examples": ["id,current_capacity,history,last_timestamp\nweb,5000,610 640 700,2024-01-15T10:00:00\n"]}
BATCH_ERRORS = {
    "400": _json(_ref("Error"), "invalid input (a bad envelope, CSV header or gzip); error.fields names each field"),
    "413": _json(_ref("Error"), "the body, or what it inflates to, is larger than MAX_BATCH_BYTES"),
    "415": _json(_ref("Error"), "the body was not sent as application/json or text/csv, or with a "
                                "Content-Encoding other than gzip")}
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}


def request_schemas() -> dict:
    """The request models' JSON Schemas, with every model they nest ($defs) a component of its own."""
    models = (ForecastRequest, PlanRequest, AnalysisRequest, BatchRequest)
    _, top = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    return top["$defs"]


def _submit(summary: str, request, response: str) -> dict:
    default_hours = request.model_fields["hours_ahead"].default
    return {"post": {
        "summary": summary, "parameters": [PREFER, IDEMPOTENCY],
        "description": f"hours_ahead defaults to {default_hours}; up to SYNC_MAX_HOURS (48) the call waits "
                       "for the result (200), longer horizons answer 202 with a job.",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": _ref(request.__name__)}}},
        "responses": {"200": _json(_ref(response)), **ASYNC, **ERRORS}}}


NUMBER = {"type": "number"}
HISTORY_SOURCE = {"type": "string", "pattern": "^(provided|synthetic|prometheus:[A-Za-z0-9_-]+)$",
                  "description": "provided: the request's history; synthetic: none was sent; prometheus:NAME: "
                                 "fetched from that configured target (source)"}
HISTORY_QUERY = {"type": "string", "description": "with a source: the query that gave the history"}
ASSUMPTIONS = {"type": "array", "items": {"$ref": "#/components/schemas/Assumption"},
               "description": "each thing the service assumed in place of what the request did not say"}
CONFIDENCE = {"enum": ["normal", "low"], "description": "low when the answer rests on a synthetic history"}
ASSUMPTION = {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"enum": ["synthetic_history", "padded_history", "gaps_filled", "source_warning", "default_timestamp"],
             "description": "synthetic_history: no history, a generic weekly profile scaled to current_load; "
                            "padded_history: shorter than the model's context; gaps_filled: empty hours "
                            "between points (or hours a source had no number for) interpolated; "
                            "source_warning: the history's source warned; default_timestamp: the current hour "
                            "was assumed"},
    "message": {"type": "string"}}}
FORECAST_FIELDS = {"type": "object", "properties": {
    "forecast": {"type": "array", "items": _ref("ForecastPoint")},
    "timestamp": {"type": "string"}, "hours_ahead": {"type": "integer"},
    "method": {"type": "string", "enum": ["attention_bilstm", "seasonal_naive", "seasonal_naive_then_attention_bilstm",
                                          "seasonal_trend", "legacy_attention_lstm"]},
    "history_source": HISTORY_SOURCE, "history_query": HISTORY_QUERY,
    "history_hours": {"type": "integer"}, "gaps_filled": {"type": "integer"},
    "padded_hours": {"type": "integer"}, "backtest": _ref("Backtest"),
    "notes": {"type": "array", "items": {"type": "string"}}, "model": {"type": "object"},
    "assumptions": ASSUMPTIONS, "confidence": CONFIDENCE}}
BACKTEST = {"type": ["object", "null"], "description": "the forecast of the history's own last week from the weeks "
             "before (null under two weeks of history); MASE is scaled by the in-sample weekly-naive MAE",
             "properties": {
    "mase_model": NUMBER, "mase_seasonal_naive": NUMBER,
    "mase_seasonal_trend": {"type": "number", "description": "present from three weeks of history"},
    "band_scale": {"type": "number", "description": "factor on the p10-p90 half-widths so the band held 80%"},
    "coverage": {"type": "number", "description": "share of the backtest week inside the uncalibrated band"},
    "hours": {"type": "integer"},
    "level_persistence": {"type": "number", "description": "day-to-day AR(1) persistence of the day totals' "
                          "departures from their weekday's usual level (from three weeks of history)"},
    "level_spread": {"type": "number", "description": "robust spread (1.4826 MAD, log units) of those departures: "
                     "how far the day level wanders; where it both lasts and wanders, weekly naive's fallback does "
                     "not serve (from three weeks of history)"}}}
JOB = {"type": "object", "properties": {
    "job_id": {"type": "string"}, "kind": {"enum": ["forecast", "recommendations", "analysis", "batch"]},
    "status": {"enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
    "progress": {"type": "object", "properties": {"done": {"type": "integer"}, "total": {"type": "integer"}}},
    "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]},
    "finished_at": {"type": ["string", "null"]},
    "result": {"description": "the body the synchronous call returns (batch: portfolio summary)"},
    "error": {"type": "object"},
    "notifications": {"type": "array", "items": _ref("Notification"),
                      "description": "present when the request named `notify` targets: one per target"}}}
NOTIFICATION = {"type": "object", "properties": {
    "target": {"type": "string", "description": "the configured target's name"},
    "type": {"type": ["string", "null"], "enum": ["io.capplan.job.finished", "io.capplan.capacity.breach_predicted",
                                                  "CapacityBreachPredicted", None]},
    "attempts": {"type": "integer", "description": "delivery attempts so far (at most 6)"},
    "status": {"enum": ["queued", "retrying", "delivered", "failed", "skipped"],
               "description": "skipped: an Alertmanager, and no breach was predicted"},
    "last_error": {"type": ["object", "null"], "description": "{code, status?} of the last failed attempt: "
                   "http_error (with the target's status), timed_out, connection_failed, credential_missing, "
                   "unknown_target"},
    "delivered_at": {"type": ["string", "null"]}}}
BREACH = {"type": ["object", "null"], "description": "the hours whose p90 load over current_capacity reaches "
          "scaling_threshold: from the first to the end of the last within the horizon; null when none",
          "properties": {
    "start": {"type": "string"}, "end": {"type": "string"}, "starts_in_hours": {"type": "integer"},
    "hours_over_threshold": {"type": "integer"}, "severity": {"enum": ["critical", "warning"]},
    "peak": {"type": "object", "properties": {"timestamp": {"type": "string"}, "p90_load": NUMBER,
                                              "p90_utilization": NUMBER}},
    "current_capacity": NUMBER, "scaling_threshold": NUMBER, "recommended_capacity": {"type": ["number", "null"]}}}

EXPORT_PARAMETERS = [
    {"name": "format", "in": "query", "schema": {"enum": ["csv", "keda", "cronhpa", "aws"], "default": "csv"},
     "description": "csv: one row per step; keda: a ScaledObject with cron triggers; cronhpa: a "
                    "CronHorizontalPodAutoscaler with @date jobs; aws: BatchPutScheduledUpdateGroupAction bodies. "
                    "keda, cronhpa and aws need the plan's unit_capacity (400 without it)"},
    {"name": "tz", "in": "query", "schema": {"type": "string", "default": "UTC"},
     "description": "IANA zone the times are written in (KEDA's timezone; CronHPA's controller zone)"},
    {"name": "target", "in": "query", "schema": {"type": "string"},
     "description": "keda, cronhpa: the workload's name (a Kubernetes name; default the plan id when it is one, "
                    "else workload)"},
    {"name": "asg", "in": "query", "schema": {"type": "string"},
     "description": "aws: the Auto Scaling group's name (required for aws)"}]
AWS_CALL = {"type": "object", "required": ["AutoScalingGroupName", "ScheduledUpdateGroupActions"], "properties": {
    "AutoScalingGroupName": {"type": "string"},
    "ScheduledUpdateGroupActions": {"type": "array", "maxItems": 50, "items": {
        "type": "object", "required": ["ScheduledActionName", "StartTime", "MinSize"], "properties": {
            "ScheduledActionName": {"type": "string"}, "StartTime": {"type": "string"},
            "MinSize": {"type": "integer"}}}}}}
TEXT = {"schema": {"type": "string"}}


def _export(summary: str, parameters: list[dict]) -> dict:
    return {"get": {"summary": summary, "parameters": parameters + EXPORT_PARAMETERS, "responses": {
        "200": {"description": "the export, as an attachment", "content": {
            "text/csv": TEXT, "application/yaml": TEXT,
            "application/json": {"schema": {"oneOf": [_ref("AwsScheduledActions"), {
                "type": "array", "items": _ref("AwsScheduledActions"),
                "description": "more than 50 actions: one body per call"}]}}}},
        "400": _json(_ref("Error"), "a bad format, tz, target or asg; unit_capacity not in the plan (keda, cronhpa, "
                                    "aws); or the job is not of the right kind"),
        "409": _json(_ref("Error"), "job_not_finished; plan_failed; nothing_to_export: no step (still) to come"),
        "503": _json(_ref("Error"), "Redis unreachable (Retry-After: 1)"),
        **NOT_FOUND, **UNAUTHORIZED}}}


SCHEMAS = {
    **request_schemas(),
    "Assumption": ASSUMPTION,
    "Backtest": BACKTEST,
    "ForecastPoint": {"type": "object", "properties": {
        "timestamp": {"type": "string"}, "predicted_load": NUMBER, "lower": NUMBER, "upper": NUMBER}},
    "ForecastResponse": {"allOf": [{"type": "object", "properties": {"success": {"const": True}}},
                                   FORECAST_FIELDS]},
    "RecommendationsResponse": {"type": "object", "properties": {
        "success": {"const": True}, "forecast": FORECAST_FIELDS, "recommendations": {"type": "object"},
        "method": {"type": "string"}, "history_source": HISTORY_SOURCE, "history_query": HISTORY_QUERY,
        "assumptions": ASSUMPTIONS, "confidence": CONFIDENCE}},
    "AnalysisResponse": {"type": "object", "properties": {
        "success": {"const": True}, "forecast": FORECAST_FIELDS, "analysis": {"type": "object"},
        "method": {"type": "string"}, "history_source": HISTORY_SOURCE, "history_query": HISTORY_QUERY,
        "assumptions": ASSUMPTIONS, "confidence": CONFIDENCE}},
    "BatchPlanResult": {"type": "object", "description": "one plan's result: its analysis in short, or its "
                        "error (fields named within the plan)", "properties": {
        "index": {"type": "integer"}, "id": {"type": "string"}, "success": {"type": "boolean"},
        "hours_ahead": {"type": "integer"}, "method": {"type": "string"}, "history_source": HISTORY_SOURCE,
        "history_query": HISTORY_QUERY,
        "assumptions": ASSUMPTIONS, "confidence": CONFIDENCE, "summary": {"type": "object"},
        "recommendations": {"type": "object"}, "risk_assessment": {"type": "object"},
        "schedule": {"type": "object"}, "cost": {"type": "object"}, "breach": BREACH,
        "error": _ref("ErrorDetail")}},
    "JobAccepted": {"type": "object", "properties": {
        "success": {"const": True}, "job_id": {"type": "string"}, "status_url": {"type": "string"},
        "status": {"const": "queued"},
        "plans": {"type": "integer", "description": "a batch: its plans as given"},
        "chunks": {"type": "integer"}, "results_url": {"type": "string"},
        "expands": {"type": "boolean", "description": "a batch with plan_per_series plans: a worker expands "
                    "them first, so the job's progress.total grows to the plans it made"}}},
    "Job": JOB,
    "Notification": NOTIFICATION,
    "BatchResults": {"type": "object", "properties": {
        "job_id": {"type": "string"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
        "total": {"type": "integer"}, "done": {"type": "integer"},
        "results": {"type": "array", "items": _ref("BatchPlanResult")}}},
    "AwsScheduledActions": AWS_CALL,
    "Health": {"type": "object", "properties": {
        "status": {"enum": ["healthy", "degraded"]}, "model_loaded": {"type": "boolean"},
        "timestamp": {"type": "string"}, "model": {"type": "object"}, "device": {"type": ["string", "null"]},
        "redis": {"type": "object"}, "workers": {"type": "object"}}},
    "Error": {"type": "object", "properties": {"success": {"const": False}, "error": _ref("ErrorDetail")}},
    "ErrorDetail": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "every bad field by its path (history[3].load), with the reason; an unknown "
                                  "key with the closest known one"}}},
}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "capplan", "version": "0.1.0",
             "description": "Load forecasts with uncertainty, capacity plans and batch jobs."},
    "paths": {
        "/api/health": {"get": {"summary": "service, Redis and worker health; without a key only its status",
                                "security": [{}, {"apiKey": []}], "responses": {
            "200": _json(_ref("Health")), "503": _json(_ref("Health"), "degraded")}}},
        "/api/forecast": _submit("forecast hourly load", ForecastRequest, "ForecastResponse"),
        "/api/capacity/recommendations": _submit("capacity recommendations", PlanRequest,
                                                 "RecommendationsResponse"),
        "/api/capacity/analyze": _submit("full capacity analysis", AnalysisRequest, "AnalysisResponse"),
        "/api/capacity/batch": {"post": {
            "summary": "plan up to 10,000 capacities as one job",
            "parameters": [IDEMPOTENCY, CONTENT_ENCODING, CSV_NOTIFY],
            "description": "The plans as JSON or as CSV (the columns of `capplan batch` files, one plan per row, "
                           "`history` as space-separated hourly loads ending at `last_timestamp`), either one "
                           "optionally gzipped (Content-Encoding: gzip); up to MAX_BATCH_BYTES (64 MB) once "
                           "inflated. Each plan is checked alone: a bad one fails alone, in its own result.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BatchRequest")},
                                                          "text/csv": {"schema": BATCH_CSV}}},
            "responses": {"200": _json({"type": "object"}, "an Idempotency-Key replayed after its batch "
                                           "finished: the batch's result (Idempotent-Replayed: true)"),
                          **ASYNC, **ERRORS, **BATCH_ERRORS}}},
        "/api/jobs/{job_id}": {
            "get": {"summary": "job status and result", "operationId": "getJob", "parameters": [JOB_ID],
                    "responses": {"200": _json(_ref("Job")), **NOT_FOUND, **UNAUTHORIZED}},
            "delete": {"summary": "cancel a queued or running job", "operationId": "cancelJob",
                       "parameters": [JOB_ID], "responses": {
                "200": _json(_ref("Job")), "409": _json(_ref("Error"), "already finished"), **NOT_FOUND,
                **UNAUTHORIZED}}},
        "/api/jobs/{job_id}/results": {"get": {
            "summary": "a batch's per-plan results, paged; ?format=csv for all as CSV", "operationId": "getJobResults",
            "parameters": [JOB_ID, {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                           {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                           {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}}],
            "responses": {"200": _json(_ref("BatchResults")),
                          "400": _json(_ref("Error"), "not a batch, or a bad offset, limit or format"),
                          **NOT_FOUND, **UNAUTHORIZED}}},
        "/api/jobs/{job_id}/schedule": _export(
            "an analysis job's scaling schedule as CSV, KEDA, CronHPA or AWS scheduled actions", [JOB_ID]),
        "/api/jobs/{job_id}/results/{plan_id}/schedule": _export(
            "one batch plan's scaling schedule (plan_id: the plan's id, its index where it had none)",
            [JOB_ID, {"name": "plan_id", "in": "path", "required": True, "schema": {"type": "string"}}]),
        "/api/openapi.json": {"get": {"summary": "this document", "security": [],
                                      "responses": {"200": {"description": "OK"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "security": [],
                             "responses": {"200": {"description": "OK"}}}},
    },
    # With AUTH=keys; another tenant's job answers 404, as if it did not exist.
    "security": [{"apiKey": []}],
    "components": {"schemas": SCHEMAS, "securitySchemes": {"apiKey": {
        "type": "http", "scheme": "bearer", "description": "an API key from `capplan keys create`"}}},
}


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(SPEC)


@bp.get("/api/docs")
def docs():
    """A readable page of the spec: each path, its methods and summaries, and the schemas as JSON."""
    import json

    rows = []
    for path, methods in SPEC["paths"].items():
        for method, op in methods.items():
            codes = ", ".join(op.get("responses", {}))
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{html.escape(op.get('summary', ''))}</td><td>{codes}</td></tr>")
    schemas = html.escape(json.dumps(SPEC["components"]["schemas"], indent=2))
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>capplan API</title>"
            "<style>body{font-family:sans-serif;margin:2em}td{padding:4px 10px;border-bottom:1px solid #ddd}"
            "pre{background:#f6f6f6;padding:1em}</style></head><body><h1>capplan API</h1>"
            "<p>Machine-readable: <a href='/api/openapi.json'>/api/openapi.json</a></p>"
            "<table><tr><th>method</th><th>path</th><th>what</th><th>responses</th></tr>"
            + "".join(rows) + f"</table><h2>Schemas</h2><pre>{schemas}</pre></body></html>")
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}
