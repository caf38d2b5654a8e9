// The risk card: at the current capacity and, beside it, at the recommended one. The level at the current
// capacity is the higher of the API's risk level (of the band the plan is sized on) and the recommendation's
// urgency, both on the scale low < medium < high < critical: so it never reads "low" beside an urgent action.
import { badge, fillList, show, sizingBand } from "./cards.js";
import { capacity, humanize, number, percentOf } from "./format.js";

const $ = (id) => document.getElementById(id);
const LEVELS = ["low", "medium", "high", "critical"];
const rank = (level) => Math.max(0, LEVELS.indexOf(String(level)));

/** The level shown at the current capacity, and what set it. */
export function currentLevel(rec, risk) {
  const band = sizingBand(rec);
  const riskLevel = risk ? (band === "p90" ? risk.p90_risk_level : risk.risk_level) : null;
  if (riskLevel && rank(riskLevel) > rank(rec.urgency)) return { level: riskLevel, by: "hours" };
  return { level: LEVELS[rank(rec.urgency)], by: "urgency" };
}

/** Hours whose sizing-band load reaches `threshold` of `cap` (the API's own rule: utilisation >= threshold). */
function hoursOver(points, band, cap, threshold) {
  return points.filter((p) => (band === "p90" ? p.upper ?? p.predicted_load : p.predicted_load) / cap >= threshold)
    .length;
}

/**
 * `rec` the recommendation, `risk` the analysis' risk_assessment (or null), `points` the forecast,
 * `threshold` the plan's scaling threshold.
 */
export function renderRisk({ rec, risk, points, threshold }) {
  const band = sizingBand(rec);
  const hours = points.length;
  const thr = percentOf(threshold, 0);
  const now = currentLevel(rec, risk);
  const overNow = risk ? (band === "p90" ? risk.p90_over_capacity_hours : risk.over_capacity_hours)
    : hoursOver(points, band, rec.current_capacity, threshold);

  $("risk-now-capacity").textContent = capacity(rec.current_capacity);
  badge($("risk-level"), now.level, `${humanize(now.level)} risk`);
  fillList($("risk-now-list"), [
    [`${band} peak`, `${percentOf(rec.sizing?.peak_utilization)} of capacity`, "now_peak_utilization"],
    [`Hours over ${thr} (${band})`, `${number(overNow)} of ${number(hours)}`, "now_hours_over"],
  ]);
  $("risk-now-basis").textContent = now.by === "urgency"
    ? `Rated by the ${band} peak against the ${thr} threshold, as the recommendation's urgency is.`
    : `Rated by the share of hours over the ${thr} threshold at ${band}.`;

  const kept = rec.recommended_capacity === rec.current_capacity;
  $("risk-after").hidden = kept;
  $("risk-kept").hidden = !kept;
  if (!kept) {
    const peakAfter = rec.sizing ? rec.sizing.peak_load / rec.recommended_capacity : null;
    const overAfter = hoursOver(points, band, rec.recommended_capacity, threshold);
    const under = (peakAfter === null || peakAfter < threshold) && overAfter === 0;
    $("risk-after-capacity").textContent = capacity(rec.recommended_capacity);
    badge($("risk-after-level"), under ? "low" : "high", under ? "low risk" : "over threshold");
    fillList($("risk-after-list"), [
      [`${band} peak`, `${percentOf(peakAfter)} of capacity`, "after_peak_utilization"],
      [`Hours over ${thr} (${band})`, `${number(overAfter)} of ${number(hours)}`, "after_hours_over"],
    ]);
  }

  $("risk-counts").hidden = !risk;
  if (risk) {
    fillList($("risk-list"), [
      ["Risk level, median", humanize(risk.risk_level), "risk_level"],
      ["Risk level, p90", humanize(risk.p90_risk_level), "p90_risk_level"],
      ["Critical hours (median)", number(risk.critical_hours), "critical_hours"],
      [`Hours over ${thr} (median)`, number(risk.over_capacity_hours), "over_capacity_hours"],
      [`Hours over ${thr} (p90)`, number(risk.p90_over_capacity_hours), "p90_over_capacity_hours"],
      ["Under-utilised hours (median)", number(risk.under_utilized_hours), "under_utilized_hours"],
    ]);
  }
  show("card-risk", true);
}
