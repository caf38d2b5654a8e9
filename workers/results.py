"""Response bodies built from forecasts and plans: exactly what the synchronous API call returns."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from jobs.job_request import TS_FORMAT

LOW_CONFIDENCE = ("Low confidence: no history was sent, so this rests on a generic weekly profile scaled to "
                  "current_load, not on this service's own load.")


def _rounded(values: np.ndarray) -> list[float]:
    return np.round(np.asarray(values, dtype=float), 3).tolist()


def forecast_points(last_timestamp: datetime, median, p10, p90) -> list[dict]:
    """Hour k of the forecast is last_timestamp + (k + 1) hours; lower/upper are p10/p90."""
    hours = len(median)
    stamps = [(last_timestamp + timedelta(hours=k + 1)).strftime(TS_FORMAT) for k in range(hours)]
    return [{"timestamp": t, "predicted_load": m, "lower": lo, "upper": hi}
            for t, m, lo, hi in zip(stamps, _rounded(median), _rounded(p10), _rounded(p90))]


def assumptions(request: dict, output, history_source: str) -> list[dict]:
    """{code, message} for each thing the service assumed in place of what the request did not say."""
    found = []
    if history_source == "synthetic":
        found.append({"code": "synthetic_history", "message": (
            f"No history was sent: the forecast runs on a generic weekly profile learned by the model, scaled "
            f"to current_load ({request['current_load']:g}); send the service's own history to plan on it.")})
    elif output.padded_hours:
        found.append({"code": "padded_history", "message": (
            f"The history has {output.history_hours} hours, fewer than the model's "
            f"{output.history_hours + output.padded_hours}-hour context: {output.padded_hours} hours were "
            "padded in front of it.")})
    if request.get("gaps_filled"):
        found.append({"code": "gaps_filled", "message": (
            f"{request['gaps_filled']} hours with no point between the history's first and last were "
            "interpolated linearly.")})
    for warning in request.get("source_warnings", ()):
        found.append({"code": "source_warning", "message": f"{history_source} warned: {warning}"})
    if request.get("timestamp_assumed"):
        found.append({"code": "default_timestamp", "message": (
            f"No timestamp was given: the last observed hour was taken to be {request['timestamp']} UTC, the "
            "hour the request arrived; the forecast's hours, peak hours and schedule are placed from it.")})
    return found


def confidence(found: list[dict]) -> str:
    """low for an answer built on a made-up history, else normal."""
    return "low" if any(a["code"] == "synthetic_history" for a in found) else "normal"


def forecast_fields(request: dict, output, history_source: str, model_info: dict) -> dict:
    """The forecast part shared by every response that forecasts."""
    last = datetime.strptime(request["timestamp"], TS_FORMAT)
    found = assumptions(request, output, history_source)
    return {
        "forecast": forecast_points(last, output.median, output.p10, output.p90),
        "timestamp": request["timestamp"],
        "hours_ahead": len(output.median),
        "method": output.method,
        "history_source": history_source,
        **({"history_query": request["history_query"]} if "history_query" in request else {}),
        "history_hours": int(output.history_hours),
        "gaps_filled": int(request.get("gaps_filled", 0)),
        "padded_hours": int(output.padded_hours),
        "backtest": output.backtest,
        "notes": [str(note) for note in output.notes],
        "model": {"name": model_info.get("name"), "version": model_info.get("version"),
                  "precision": model_info.get("precision")},
        "assumptions": found,
        "confidence": confidence(found),
    }


def forecast_body(fields: dict) -> dict:
    """POST /api/forecast."""
    return {"success": True, **fields}


def planned_body(fields: dict, key: str, planned: dict) -> dict:
    """POST /api/capacity/recommendations (key "recommendations") or /analyze (key "analysis")."""
    recommendation = planned if key == "recommendations" else planned["recommendations"]
    qualify_recommendation(recommendation, fields["confidence"])
    return {"success": True, "forecast": fields, key: planned, "timestamp": fields["timestamp"],
            "method": fields["method"], "history_source": fields["history_source"],
            **({"history_query": fields["history_query"]} if "history_query" in fields else {}),
            "assumptions": fields["assumptions"], "confidence": fields["confidence"]}


def qualify_recommendation(recommendation: dict, level: str) -> None:
    """A recommendation built on a made-up history says so first, in its own message."""
    if level == "low":
        recommendation["message"] = f"{LOW_CONFIDENCE} {recommendation['message']}"


def plan_breaches(requests: list[dict], p90s: list, recommended: list) -> list[dict | None]:
    """The predicted breach (planning.breach) of each planned request from its forecast's p90 band, or None;
    one vectorised pass per horizon length."""
    from planning.breach import breach_rows
    from planning.plan_options import PLAN_OPTIONS

    default_threshold = PLAN_OPTIONS["scaling_threshold"].default
    out: list[dict | None] = [None] * len(requests)
    by_hours: dict[int, list[int]] = {}
    for i, p90 in enumerate(p90s):
        by_hours.setdefault(len(p90), []).append(i)
    for members in by_hours.values():
        plans = [requests[i]["plan"] for i in members]
        # fromisoformat reads TS_FORMAT a hundred times faster than strptime, which a 10,000-plan batch feels.
        starts = [datetime.fromisoformat(requests[i]["timestamp"]) + timedelta(hours=1) for i in members]
        rows = breach_rows(starts, np.asarray([p90s[i] for i in members], dtype=float),          # [N, H]
                           np.array([float(plan["current_capacity"]) for plan in plans]),
                           np.array([float(plan.get("scaling_threshold") or default_threshold) for plan in plans]),
                           [recommended[i] for i in members])
        for i, row in zip(members, rows):
            out[i] = row
    return out
