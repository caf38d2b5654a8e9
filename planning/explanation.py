"""The message and reasons of one recommendation, written from the same facts."""
from __future__ import annotations

from planning.rounding import capacity_text
from planning.sizing import CRITICAL_UTILIZATION, URGENT_WITHIN_HOURS


def explain(action: str, urgency: str, current, recommended, change, change_pct: float, band: str, peak: float,
            peak_stamp: str, peak_hour: int, hours: int, peak_util: float, required, band_top: float,
            first_full: int, threshold: float, headroom: float, hysteresis: float,
            down_target) -> tuple[str, list[str]]:
    """(message, reasons): each number is formatted once and used by both."""
    cur, req, rec, top = capacity_text(current), capacity_text(required), capacity_text(recommended), \
        capacity_text(band_top)
    peak_txt, util, thr = f"{peak:,.2f}", f"{peak_util:.1%}", f"{threshold:.0%}"
    reasons = [
        f"{band} peak load {peak_txt} at {peak_stamp} (hour {peak_hour + 1} of {hours})",
        f"required capacity = ceil({peak_txt} / {threshold:g} x (1 + {headroom:g})) = {req}",
        f"{band} peak utilisation at the current capacity {cur}: {util} (threshold {thr})",
    ]
    if action == "scale_up":
        reasons.append(f"current capacity {cur} is below the required {req}: scale up")
        message = (f"⚠️ Scale UP required: increase capacity by {capacity_text(change)} ({change_pct:.1f}%) to "
                   f"{rec}. At the {band} peak ({peak_stamp}) utilisation would reach {util} of the current "
                   f"capacity; threshold {thr}.")
    elif action == "scale_down":
        reasons.append(f"current capacity {cur} is above {top} (required x (1 + {hysteresis:g}) hysteresis "
                       f"band): scale down to {rec}")
        message = (f"Scale DOWN possible: reduce capacity by {capacity_text(-change)} ({-change_pct:.1f}%) to "
                   f"{rec}. The {band} peak ({peak_stamp}) would then run at {peak / recommended:.1%}, under "
                   f"the {thr} threshold.")
    else:
        if current > band_top:
            reasons.append(f"current capacity {cur} is above the hysteresis band but min_capacity "
                           f"{capacity_text(down_target)} keeps it: maintain")
        else:
            reasons.append(f"current capacity {cur} is within the hysteresis band up to {top} "
                           f"(required x (1 + {hysteresis:g})): maintain")
        message = (f"✓ Maintain capacity at {cur}: the {band} peak ({peak_stamp}) runs at {util}, under the "
                   f"{thr} threshold.")
    if urgency == "critical":
        why = f"{band} utilisation reaches 100% at hour {first_full + 1}, within {URGENT_WITHIN_HOURS} hours"
    elif urgency == "high":
        why = f"{band} peak utilisation {util} >= {CRITICAL_UTILIZATION:.0%}"
    elif urgency == "medium":
        why = f"{band} peak utilisation {util} >= the {thr} threshold"
    else:
        why = f"{band} peak utilisation {util} is under the {thr} threshold"
    reasons.append(f"urgency {urgency}: {why}")
    return message, reasons
