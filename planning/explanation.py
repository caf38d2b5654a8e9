"""The message and reasons of one recommendation, worded from its SizingFacts."""
from __future__ import annotations

from planning.facts import SizingFacts
from planning.rounding import capacity_text
from planning.sizing import CRITICAL_UTILIZATION, URGENT_WITHIN_HOURS


def explain(f: SizingFacts) -> tuple[str, list[str]]:
    """(message, reasons): each number is formatted once and used by both."""
    band, stamp = f.band, f.peak_stamp
    cur, req, rec, top = capacity_text(f.current), capacity_text(f.required), capacity_text(f.recommended), \
        capacity_text(f.band_top)
    peak_txt, util, thr = f"{f.peak:,.2f}", f"{f.peak_util:.1%}", f"{f.threshold:.0%}"
    reasons = [
        f"{band} peak load {peak_txt} at {stamp} (hour {f.peak_hour + 1} of {f.hours})",
        f"required capacity = ceil({peak_txt} / {f.threshold:g} x (1 + {f.headroom:g})) = {req}",
        f"{band} peak utilisation at the current capacity {cur}: {util} (threshold {thr})",
    ]
    if f.action == "scale_up":
        reasons.append(f"current capacity {cur} is below the required {req}: scale up")
        message = (f"⚠️ Scale UP required: increase capacity by {capacity_text(f.change)} ({f.change_percent:.1f}%) "
                   f"to {rec}. At the {band} peak ({stamp}) utilisation would reach {util} of the current "
                   f"capacity; threshold {thr}.")
    elif f.action == "scale_down":
        reasons.append(f"current capacity {cur} is above {top} (required x (1 + {f.hysteresis:g}) hysteresis "
                       f"band): scale down to {rec}")
        message = (f"Scale DOWN possible: reduce capacity by {capacity_text(-f.change)} ({-f.change_percent:.1f}%) "
                   f"to {rec}. The {band} peak ({stamp}) would then run at {f.peak / f.recommended:.1%}, under "
                   f"the {thr} threshold.")
    else:
        if f.current > f.band_top:
            reasons.append(f"current capacity {cur} is above the hysteresis band but min_capacity "
                           f"{capacity_text(f.down_target)} keeps it: maintain")
        else:
            reasons.append(f"current capacity {cur} is within the hysteresis band up to {top} "
                           f"(required x (1 + {f.hysteresis:g})): maintain")
        message = (f"✓ Maintain capacity at {cur}: the {band} peak ({stamp}) runs at {util}, under the "
                   f"{thr} threshold.")
    reasons.append(f"urgency {f.urgency}: {_urgency_why(f, util, thr)}")
    if f.exceeded_max is not None:
        reasons.append(f"required capacity {req} exceeds max_capacity {capacity_text(f.exceeded_max)}: "
                       f"the scaling schedule stops there")
    return message, reasons


def _urgency_why(f: SizingFacts, util: str, thr: str) -> str:
    """Why the urgency is what it is; util and thr are the texts explain() already formatted."""
    if f.urgency == "critical":
        return f"{f.band} utilisation reaches 100% at hour {f.first_full + 1}, within {URGENT_WITHIN_HOURS} hours"
    if f.urgency == "high":
        return f"{f.band} peak utilisation {util} >= {CRITICAL_UTILIZATION:.0%}"
    if f.urgency == "medium":
        return f"{f.band} peak utilisation {util} >= the {thr} threshold"
    return f"{f.band} peak utilisation {util} is under the {thr} threshold"
