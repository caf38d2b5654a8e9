"""GET /api/openapi.json (OpenAPI 3.1, written by hand) and /api/docs (rendered here, no CDN)."""
from __future__ import annotations

import html

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {"400": _json(_ref("Error"), "invalid input; error.fields names each field"),
          "413": _json(_ref("Error"), "body larger than MAX_CONTENT_LENGTH"),
          "503": _json(_ref("Error"), "Redis unreachable (Retry-After: 1) or the model is not loaded")}
ASYNC = {"202": _json(_ref("JobAccepted"), "the job runs on; poll status_url (Location header)")}
PREFER = {"name": "Prefer", "in": "header", "schema": {"type": "string"},
          "description": "respond-async: always 202; wait=N: wait up to N s (RFC 7240)"}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"},
               "description": "same key and body: the same job; same key, other body: 409"}
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _submit(summary: str, request: str, response: str, default_hours: int) -> dict:
    return {"post": {
        "summary": summary, "parameters": [PREFER, IDEMPOTENCY],
        "description": f"hours_ahead defaults to {default_hours}; up to SYNC_MAX_HOURS (48) the call waits "
                       "for the result (200), longer horizons answer 202 with a job.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(request)}}},
        "responses": {"200": _json(_ref(response)), **ASYNC, **ERRORS}}}


NUMBER = {"type": "number"}
HISTORY = {"description": "hourly loads, oldest first, the last one at `timestamp`; or points resampled to hours",
           "oneOf": [{"type": "array", "items": NUMBER, "maxItems": 8760},
                     {"type": "array", "items": {"type": "object", "required": ["timestamp", "load"],
                                                 "properties": {"timestamp": {"type": "string"},
                                                                "load": NUMBER}}}]}
FORECAST_REQUEST = {"type": "object", "properties": {
    "hours_ahead": {"type": "integer", "minimum": 1, "maximum": 168, "default": 24},
    "current_load": {"type": "number", "minimum": 0, "description": "required without history"},
    "timestamp": {"type": "string", "format": "date-time", "description": "last observed hour (UTC)"},
    "history": HISTORY}}
PLAN_OPTIONS = {"type": "object", "required": ["current_capacity"], "properties": {
    "current_capacity": {"type": "number", "exclusiveMinimum": 0},
    "scaling_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.8},
    "quantile": {"type": "number", "enum": [0.5, 0.9], "default": 0.9},
    "headroom": {"type": "number", "minimum": 0, "default": 0.1},
    "hysteresis": {"type": "number", "minimum": 0, "default": 0.2},
    "unit_capacity": {"type": "number", "exclusiveMinimum": 0},
    "unit_cost_per_hour": {"type": "number", "minimum": 0},
    "lead_time_hours": {"type": "integer", "minimum": 0, "default": 1},
    "min_hold_hours": {"type": "integer", "minimum": 1, "default": 3},
    "min_capacity": NUMBER, "max_capacity": NUMBER}}
FORECAST_FIELDS = {"type": "object", "properties": {
    "forecast": {"type": "array", "items": _ref("ForecastPoint")},
    "timestamp": {"type": "string"}, "hours_ahead": {"type": "integer"},
    "method": {"type": "string", "enum": ["attention_bilstm", "seasonal_naive", "seasonal_naive_then_attention_bilstm",
                                          "seasonal_trend", "legacy_attention_lstm"]},
    "history_source": {"type": "string", "enum": ["provided", "synthetic"]},
    "history_hours": {"type": "integer"}, "gaps_filled": {"type": "integer"},
    "padded_hours": {"type": "integer"}, "backtest": _ref("Backtest"),
    "notes": {"type": "array", "items": {"type": "string"}}, "model": {"type": "object"}}}
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
    "error": {"type": "object"}}}

SCHEMAS = {
    "ForecastRequest": FORECAST_REQUEST,
    "Backtest": BACKTEST,
    "PlanRequest": {"allOf": [FORECAST_REQUEST, PLAN_OPTIONS]},
    "ForecastPoint": {"type": "object", "properties": {
        "timestamp": {"type": "string"}, "predicted_load": NUMBER, "lower": NUMBER, "upper": NUMBER}},
    "ForecastResponse": {"allOf": [{"type": "object", "properties": {"success": {"const": True}}},
                                   FORECAST_FIELDS]},
    "RecommendationsResponse": {"type": "object", "properties": {
        "success": {"const": True}, "forecast": FORECAST_FIELDS, "recommendations": {"type": "object"},
        "method": {"type": "string"}, "history_source": {"type": "string"}}},
    "AnalysisResponse": {"type": "object", "properties": {
        "success": {"const": True}, "forecast": FORECAST_FIELDS, "analysis": {"type": "object"},
        "method": {"type": "string"}, "history_source": {"type": "string"}}},
    "BatchRequest": {"type": "object", "required": ["plans"], "properties": {"plans": {
        "type": "array", "maxItems": 10000,
        "items": {"allOf": [{"type": "object", "properties": {"id": {"type": "string"}}},
                            _ref("PlanRequest")]}}}},
    "JobAccepted": {"type": "object", "properties": {
        "success": {"const": True}, "job_id": {"type": "string"}, "status_url": {"type": "string"},
        "status": {"const": "queued"}}},
    "Job": JOB,
    "BatchResults": {"type": "object", "properties": {
        "job_id": {"type": "string"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
        "total": {"type": "integer"}, "done": {"type": "integer"},
        "results": {"type": "array", "items": {"type": "object"}}}},
    "Health": {"type": "object", "properties": {
        "status": {"enum": ["healthy", "degraded"]}, "model_loaded": {"type": "boolean"},
        "timestamp": {"type": "string"}, "model": {"type": "object"}, "device": {"type": ["string", "null"]},
        "redis": {"type": "object"}, "workers": {"type": "object"}}},
    "Error": {"type": "object", "properties": {"success": {"const": False}, "error": {
        "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                         "fields": {"type": "object"}}}}},
}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "capplan", "version": "0.1.0",
             "description": "Load forecasts with uncertainty, capacity plans and batch jobs."},
    "paths": {
        "/api/health": {"get": {"summary": "service, Redis and worker health", "responses": {
            "200": _json(_ref("Health")), "503": _json(_ref("Health"), "degraded")}}},
        "/api/forecast": _submit("forecast hourly load", "ForecastRequest", "ForecastResponse", 24),
        "/api/capacity/recommendations": _submit("capacity recommendations", "PlanRequest",
                                                 "RecommendationsResponse", 24),
        "/api/capacity/analyze": _submit("full capacity analysis", "PlanRequest", "AnalysisResponse", 168),
        "/api/capacity/batch": {"post": {
            "summary": "plan up to 10,000 capacities as one job", "parameters": [IDEMPOTENCY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BatchRequest")}}},
            "responses": {**ASYNC, **ERRORS}}},
        "/api/jobs/{job_id}": {
            "get": {"summary": "job status and result", "parameters": [JOB_ID], "responses": {
                "200": _json(_ref("Job")), "404": _json(_ref("Error"), "no such job"),
                "410": _json(_ref("Error"), "the job's results expired")}},
            "delete": {"summary": "cancel a queued or running job", "parameters": [JOB_ID], "responses": {
                "200": _json(_ref("Job")), "409": _json(_ref("Error"), "already finished")}}},
        "/api/jobs/{job_id}/results": {"get": {
            "summary": "a batch's per-plan results, paged; ?format=csv for all as CSV",
            "parameters": [JOB_ID, {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                           {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                           {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}}],
            "responses": {"200": _json(_ref("BatchResults")), "404": _json(_ref("Error"))}}},
        "/api/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OK"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "OK"}}}},
    },
    "components": {"schemas": SCHEMAS},
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
