"""Response bodies built from forecasts and plans: exactly what the synchronous API call returns."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from jobs.job_request import TS_FORMAT


def _rounded(values: np.ndarray) -> list[float]:
    return np.round(np.asarray(values, dtype=float), 3).tolist()


def forecast_points(last_timestamp: datetime, median, p10, p90) -> list[dict]:
    """Hour k of the forecast is last_timestamp + (k + 1) hours; lower/upper are p10/p90."""
    hours = len(median)
    stamps = [(last_timestamp + timedelta(hours=k + 1)).strftime(TS_FORMAT) for k in range(hours)]
    return [{"timestamp": t, "predicted_load": m, "lower": lo, "upper": hi}
            for t, m, lo, hi in zip(stamps, _rounded(median), _rounded(p10), _rounded(p90))]


def forecast_fields(request: dict, output, history_source: str, model_info: dict) -> dict:
    """The forecast part shared by every response that forecasts."""
    last = datetime.strptime(request["timestamp"], TS_FORMAT)
    return {
        "forecast": forecast_points(last, output.median, output.p10, output.p90),
        "timestamp": request["timestamp"],
        "hours_ahead": len(output.median),
        "method": output.method,
        "history_source": history_source,
        "history_hours": int(output.history_hours),
        "gaps_filled": int(request.get("gaps_filled", 0)),
        "padded_hours": int(output.padded_hours),
        "backtest": output.backtest,
        "notes": [str(note) for note in output.notes],
        "model": {"name": model_info.get("name"), "version": model_info.get("version"),
                  "precision": model_info.get("precision")},
    }


def forecast_body(fields: dict) -> dict:
    """POST /api/forecast."""
    return {"success": True, **fields}


def planned_body(fields: dict, key: str, planned: dict) -> dict:
    """POST /api/capacity/recommendations (key "recommendations") or /analyze (key "analysis")."""
    return {"success": True, "forecast": fields, key: planned, "timestamp": fields["timestamp"],
            "method": fields["method"], "history_source": fields["history_source"]}
