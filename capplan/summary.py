"""The few lines a person reads first, built from an API response body; times shown in the chosen zone.

Words are made here, at the edge, from the response's structured fields; the API's own ``message``
sentence is not reused, since its times are UTC.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from capplan.hours import shown

ACTIONS = {"scale_up": "scale up", "scale_down": "scale down", "maintain": "keep the capacity"}
PLANS_THAT = {"scale_up": "scale up", "scale_down": "scale down", "maintain": "keep their capacity"}
SCHEDULE_CHANGES_SHOWN = 4
SHORT = "%a %H:%M"
FAILED_PLANS_SHOWN = 10


def summary_lines(kind: str, body: dict, zone: ZoneInfo, threshold: float | None = None) -> list[str]:
    """``kind`` is forecast, plan or analyze; ``body`` what the API returned for it; ``threshold`` the
    scaling threshold that was sent (a recommendation does not repeat it)."""
    forecast = body if kind == "forecast" else body.get("forecast") or {}
    lines = assumption_lines(body)
    if kind == "analyze":
        analysis = body.get("analysis") or {}
        rec = analysis.get("recommendations") or {}
        lines += _decision(rec)
        threshold = (analysis.get("summary") or {}).get("scaling_threshold", threshold)
        lines += _risk_of_analysis(analysis.get("risk_assessment") or {}, threshold)
        lines += _peak(forecast, rec.get("current_capacity"), zone)
        lines += _schedule(analysis.get("scaling_schedule"), zone)
        lines += _cost(analysis.get("cost"))
    elif kind == "plan":
        rec = body.get("recommendations") or {}
        lines += _decision(rec)
        lines += _risk_of_plan(rec, threshold)
        lines += _peak(forecast, rec.get("current_capacity"), zone)
        lines += _cost(rec.get("cost"))
    else:
        lines += _peak(forecast, None, zone)
        lines += _low_and_average(forecast, zone)
        lines += _backtest(forecast.get("backtest"))
    lines += _forecast_source(forecast, zone)
    lines += [f"Note: {note}" for note in forecast.get("notes") or []]
    return lines


def assumption_lines(body: dict) -> list[str]:
    """Assumptions and a low confidence, first; nothing when the response carries neither."""
    found, confidences = {}, []
    for part in (body, *(body.get(k) for k in ("forecast", "recommendations", "analysis"))):
        if not isinstance(part, dict):
            continue
        confidences.append(part.get("confidence"))
        for item in part.get("assumptions") or []:
            if isinstance(item, dict):
                found.setdefault((item.get("code"), item.get("message")), item)
    low = "low" in confidences
    if not found and not low:
        return []
    if not found:
        return ["Confidence: LOW."]
    head = "Confidence: LOW; this rests on assumptions:" if low else "Assumptions:"
    return [head] + [f"  - {m or c}" for c, m in found]


def _decision(rec: dict) -> list[str]:
    if not rec:
        return []
    action = ACTIONS.get(rec.get("action"), str(rec.get("action")))
    lines = [f"Action: {action[0].upper() + action[1:]} (urgency {rec.get('urgency')})"]
    now, then = rec.get("current_capacity"), rec.get("recommended_capacity")
    change = f" ({_signed(rec.get('capacity_change'))}, {_signed(rec.get('capacity_change_percent'), 1)}%)"
    units = rec.get("instances")
    instances = (f"; instances {units['current']} → {units['recommended']} of {_num(units['unit_capacity'])}"
                 if units else "")
    lines.append(f"Capacity: {_num(now)} → {_num(then)}{change if now != then else ''}{instances}")
    return lines


def _risk_of_analysis(risk: dict, threshold: float | None) -> list[str]:
    if not risk:
        return []
    hours = risk.get("hours")
    return [f"Risk at the current capacity: {risk.get('risk_level')} (p90: {risk.get('p90_risk_level')}); "
            f"{risk.get('over_capacity_hours')} of {hours} h over the {_pct(threshold)} threshold "
            f"({risk.get('p90_over_capacity_hours')} at p90), {risk.get('critical_hours')} at 95% or more "
            f"({risk.get('p90_critical_hours')} at p90)"]


def _risk_of_plan(rec: dict, threshold: float | None) -> list[str]:
    sizing = rec.get("sizing") or {}
    if "peak_utilization" not in sizing:
        return []
    limit = f" (threshold {_pct(threshold)})" if threshold is not None else ""
    return [f"Risk at the current capacity: the p{round(sizing.get('quantile', 0.9) * 100)} peak would use "
            f"{_pct(sizing['peak_utilization'])} of it{limit}"]


def _peak(forecast: dict, capacity, zone: ZoneInfo) -> list[str]:
    points = forecast.get("forecast") or []
    if not points:
        return []
    top = max(points, key=lambda p: (p.get("upper") if p.get("upper") is not None else p["predicted_load"]))
    share = f" ({_pct(top['upper'] / capacity)} of the current capacity)" if capacity and top.get("upper") else ""
    return [f"Peak hour: {shown(top['timestamp'], zone)}: p90 load {_num(top.get('upper'))}{share}, "
            f"median {_num(top['predicted_load'])}"]


def _low_and_average(forecast: dict, zone: ZoneInfo) -> list[str]:
    points = forecast.get("forecast") or []
    if not points:
        return []
    low = min(points, key=lambda p: p["predicted_load"])
    average = sum(p["predicted_load"] for p in points) / len(points)
    return [f"Lowest hour: {shown(low['timestamp'], zone)}: median {_num(low['predicted_load'])}",
            f"Average median load: {_num(average)}"]


def _schedule(schedule: dict | None, zone: ZoneInfo) -> list[str]:
    if not schedule or not schedule.get("capacity"):
        return []
    capacity, changes = schedule["capacity"], schedule.get("change_hours") or []
    cost = f" ({_money(schedule['saving'])} in cost)" if schedule.get("saving") is not None else ""
    lines = [f"Schedule: {len(changes)} changes over {schedule.get('hours')} h, between {_num(min(capacity))} and "
             f"{_num(max(capacity))}; saves {_pct((schedule.get('saving_percent') or 0) / 100)} of the "
             f"capacity-hours{cost} against a static {_num(schedule.get('static_capacity'))}"]
    if changes:
        start = schedule.get("start")
        steps = [f"{shown(_hour_after(start, k), zone, SHORT)} → {_num(capacity[k])}"
                 for k in changes[:SCHEDULE_CHANGES_SHOWN]]
        more = f" (+{len(changes) - len(steps)} more; --json for all)" if len(changes) > len(steps) else ""
        lines.append(f"  first changes ({shown(start, zone, '%Z')}): " + "; ".join(steps) + more)
    if schedule.get("uncovered_hours"):
        lines.append(f"  {schedule['uncovered_hours']} h where max_capacity cannot keep the p90 under the threshold")
    return lines


def _hour_after(start: str | None, hours: int) -> str | None:
    if not start:
        return None
    return (datetime.fromisoformat(start) + timedelta(hours=hours)).isoformat()


def _cost(cost: dict | None) -> list[str]:
    if not cost or cost.get("current") is None:
        return []
    parts = [f"{_money(cost['current'])} now", f"{_money(cost.get('recommended'))} recommended"]
    if cost.get("schedule") is not None:
        parts.append(f"{_money(cost['schedule'])} on the schedule")
    return [f"Cost over {cost.get('period_hours')} h: " + ", ".join(parts)]


def _backtest(backtest: dict | None) -> list[str]:
    if not backtest or backtest.get("mase_model") is None:
        return []
    return [f"Backtest on the last {backtest.get('hours')} h: MASE {backtest['mase_model']:.2f} for the network, "
            f"{backtest.get('mase_seasonal_naive', float('nan')):.2f} for last week's values "
            "(lower is better)"]


def _forecast_source(forecast: dict, zone: ZoneInfo) -> list[str]:
    points = forecast.get("forecast") or []
    if not points:
        return []
    history = (f"{forecast.get('history_hours')} h of {forecast.get('history_source')} history"
               if forecast.get("history_hours") else f"{forecast.get('history_source')} history")
    return [f"Forecast: {len(points)} h from {shown(points[0]['timestamp'], zone)} to "
            f"{shown(points[-1]['timestamp'], zone)}; {forecast.get('method')} on {history}"]


def batch_lines(job: dict, outcomes: list[dict], source: str) -> list[str]:
    """A finished batch: ``outcomes`` has one {line, id, success, error, sent} per plan of ``source``."""
    result = job.get("result") or {}
    failed = [o for o in outcomes if not o["success"]]
    here = sum(not o["sent"] for o in failed)
    split = f" ({here} refused here, before sending; {len(failed) - here} by the service)" if here else ""
    lines = [f"Batch of {source}: {len(outcomes)} plans, {len(outcomes) - len(failed)} succeeded, "
             f"{len(failed)} failed{split}" + (f"; job {job['job_id']}" if job.get("job_id") else "")]
    portfolio = result.get("portfolio") or {}
    if portfolio.get("plans"):
        lines += _portfolio(portfolio)
    if failed:
        lines.append("Failed plans:")
        lines += [f"  line {o['line']}" + (f" ({_one_line(o['id'])})" if o["id"] else "") + f": {o['error']}"
                  for o in failed[:FAILED_PLANS_SHOWN]]
        if len(failed) > FAILED_PLANS_SHOWN:
            lines.append(f"  ... and {len(failed) - FAILED_PLANS_SHOWN} more (--out FILE lists every plan)")
    return lines


def _portfolio(portfolio: dict) -> list[str]:
    actions = portfolio.get("action_counts") or {}
    risks = portfolio.get("p90_risk_counts") or {}
    totals = portfolio.get("totals") or {}
    lines = ["Actions: " + ", ".join(f"{n} {PLANS_THAT.get(a, a)}" for a, n in actions.items() if n)
             + "; p90 risk: " + ", ".join(f"{n} {level}" for level, n in reversed(risks.items()) if n)]
    saved = (totals.get("static_capacity_hours") or 0) - (totals.get("schedule_capacity_hours") or 0)
    lines.append(f"Capacity in total: {_num(totals.get('current_capacity'))} → "
                 f"{_num(totals.get('recommended_capacity'))} ({_signed(totals.get('capacity_change'))}); "
                 f"the schedules save {_num(saved)} capacity-hours against static capacity")
    cost = totals.get("cost")
    if cost:
        lines.append(f"Cost of {totals.get('plans_with_cost')} plans: {_money(cost.get('current'))} now, "
                     f"{_money(cost.get('recommended'))} recommended, {_money(cost.get('schedule'))} on schedules")
    riskiest = [r for r in portfolio.get("ranked_by_risk") or [] if r.get("p90_risk_level") != "low"][:3]
    lines += [f"{'Riskiest:' if i == 0 else '         '} {_one_line(r['id'])}: p90 risk {r['p90_risk_level']}, "
              f"{r['p90_over_capacity_hours']} h over the threshold at p90; "
              f"{ACTIONS.get(r['action'], r['action'])} to {_num(r['recommended_capacity'])}"
              for i, r in enumerate(riskiest)]
    return lines


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _num(value) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _signed(value, decimals: int = 0) -> str:
    if value is None:
        return "?"
    return f"{value:+,.{decimals}f}"


def _pct(share) -> str:
    return "?" if share is None else f"{share * 100:.1f}".removesuffix(".0") + "%"


def _money(value) -> str:
    return "?" if value is None else f"{value:,.2f}"
