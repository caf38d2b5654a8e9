// Turn one API response (forecast, recommendations or analysis) into charts and cards.
import { drawForecast, drawUtilisation, drawPatterns } from "./charts.js";
import { hideAllCards, renderForecastMetrics, renderMethod, renderRecommendation, renderRisk,
  renderScenarios, renderSchedule } from "./cards.js";
import { historySeries, parseUtc } from "./history.js";

const $ = (id) => document.getElementById(id);
const HOUR = 3600e3;

/** The forecast part of any response: {points, meta} whatever the endpoint nests it in. */
export function forecastOf(body) {
  const fc = Array.isArray(body.forecast) ? body : body.forecast || {};
  const raw = Array.isArray(fc.forecast) ? fc.forecast : fc.points || [];
  const points = raw.map((p) => ({ ...p, ms: parseUtc(p.timestamp) }));
  return { points, meta: fc };
}

/** The analysis' hour-by-hour capacity as step-line points {x: ms, y}. */
function scheduleSeries(schedule) {
  if (!schedule || !Array.isArray(schedule.capacity)) return null;
  const start = parseUtc(schedule.start);
  return schedule.capacity.map((y, i) => ({ x: start + i * HOUR, y }));
}

function average(groups) {
  return groups.map((g) => (g.length ? g.reduce((a, b) => a + b, 0) / g.length : null));
}

const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** Average median load by hour of day and day of week (UTC), from the analysis or the points. */
function patternsOf(analysis, points) {
  const hp = analysis?.hourly_patterns;
  if (hp?.avg_load_by_hour && hp?.avg_load_by_day) {
    return {
      byHour: Array.from({ length: 24 }, (_, h) => hp.avg_load_by_hour[String(h)] ?? null),
      byDay: DAY_NAMES.map((d) => hp.avg_load_by_day[d] ?? null),
    };
  }
  const hours = Array.from({ length: 24 }, () => []);
  const days = Array.from({ length: 7 }, () => []);
  for (const p of points) {
    const d = new Date(p.ms);
    hours[d.getUTCHours()].push(p.predicted_load);
    days[(d.getUTCDay() + 6) % 7].push(p.predicted_load);
  }
  return { byHour: average(hours), byDay: average(days) };
}

/**
 * Draw everything one response carries. `request` is the form as a request (its capacity and threshold
 * draw the lines), `history` the parsed history (or null) so the chart can show it before the forecast.
 */
export function renderResult(body, request, history) {
  const { points, meta } = forecastOf(body);
  if (!points.length) throw new Error("The response has no forecast points.");
  const capacity = request.current_capacity;
  const threshold = request.scaling_threshold ?? 0.8;
  const analysis = body.analysis;
  const rec = body.recommendations || analysis?.recommendations;
  const schedule = scheduleSeries(analysis?.scaling_schedule);

  hideAllCards();
  $("empty-state").hidden = true;
  for (const id of ["cards", "charts", "details", "tables", "patterns"]) $(id).hidden = false;
  renderMethod(meta);
  if (rec) renderRecommendation(rec);
  else renderForecastMetrics(points);
  if (analysis?.risk_assessment) renderRisk(analysis.risk_assessment);
  if (analysis?.scaling_schedule) renderSchedule(analysis.scaling_schedule);
  if (analysis?.scaling_scenarios) renderScenarios(analysis.scaling_scenarios);

  const lastMs = parseUtc(meta.timestamp ?? body.timestamp) || points[0].ms - HOUR;
  const hist = historySeries(history, lastMs, Math.max(48, Math.min(336, points.length * 2)));
  drawForecast({ points, history: hist, capacity, threshold, schedule });
  const showUtil = capacity > 0;
  $("chart-utilisation").closest("figure").hidden = !showUtil;
  if (showUtil) drawUtilisation({ points, capacity, threshold, schedule });
  drawPatterns(patternsOf(analysis, points));
}
