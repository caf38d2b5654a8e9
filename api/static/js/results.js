// Turn one API response (forecast, recommendations or analysis) into charts and cards, or clear them all
// and show why when a request fails: a result never outlives the request that replaced it.
import { destroyCharts, drawForecast, drawPatterns, drawUtilisation } from "./charts.js";
import { CARD_IDS, renderForecastMetrics, renderRecommendation, renderScenarios, show } from "./cards.js";
import { renderAssumptions } from "./assumptions.js";
import { historySeries, parseUtc } from "./history.js";
import { patternsOf } from "./patterns.js";
import { renderRisk } from "./risk.js";
import { renderSchedule } from "./schedule.js";
import { renderSource } from "./source.js";
import { displayZone } from "./timezone.js";

const $ = (id) => document.getElementById(id);
const HOUR = 3600e3;
const SECTIONS = ["cards", "charts", "details", "tables", "patterns"];
let last = null;                       // the last drawn result, redrawn when the display zone changes

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

function hideResults() {
  destroyCharts();
  for (const id of CARD_IDS) show(id, false);
  for (const id of SECTIONS) $(id).hidden = true;
  renderAssumptions(null);
}

/**
 * Remove every result and show `err` in their place: each field it names (by its label), and its message
 * unless that only repeats one of them. `err.notSent` marks a request the form refused to send.
 */
export function showResultError(err, labelOf) {
  last = null;
  hideResults();
  $("empty-state").hidden = true;
  const fields = Object.entries(err.fields || {});
  const repeats = fields.some(([name, reason]) => err.message === `${name}: ${reason}`);
  $("result-error-title").textContent = err.notSent ? "No result: the request was not sent"
    : "No result: the request failed";
  $("result-error-message").textContent = repeats ? "" : err.message || "";
  $("result-error-fields").replaceChildren(...fields.map(([name, reason]) => {
    const li = document.createElement("li");
    li.textContent = `${labelOf(name)}: ${reason}`;
    return li;
  }));
  $("result-error").hidden = false;
}

function drawPatternCharts(points) {
  const patterns = patternsOf(points);
  drawPatterns(patterns);
  const zone = displayZone();
  $("hourly-figure").classList.toggle("is-hidden-chart", !patterns.byHour);
  $("hourly-caption").textContent = `Average forecast load by hour of day (${zone})`
    + (patterns.byHour ? `, over ${patterns.days === 1 ? "1 whole day" : `${patterns.days} whole days`}` : "");
  $("hourly-note").textContent = patterns.hourNote;
  $("weekly-figure").classList.toggle("is-hidden-chart", !patterns.byDay);
  $("weekly-caption").textContent = `Average forecast load by day of week (${zone})`;
  $("weekly-note").textContent = patterns.dayNote;
}

function draw({ body, request, history }) {
  const { points, meta } = forecastOf(body);
  const current = request.current_capacity;
  const analysis = body.analysis;
  const rec = body.recommendations || analysis?.recommendations;
  const threshold = request.scaling_threshold ?? analysis?.summary?.scaling_threshold ?? 0.8;
  const schedule = scheduleSeries(analysis?.scaling_schedule);

  hideResults();
  $("empty-state").hidden = true;
  $("result-error").hidden = true;
  for (const id of SECTIONS) $(id).hidden = false;
  renderAssumptions(body);
  renderSource(meta);
  if (rec) {
    renderRecommendation(rec, threshold);
    renderRisk({ rec, risk: analysis?.risk_assessment || null, points, threshold });
  } else renderForecastMetrics(points);
  if (analysis?.scaling_schedule) renderSchedule(analysis.scaling_schedule, points, current);
  if (analysis?.scaling_scenarios) renderScenarios(analysis.scaling_scenarios);
  $("tables").hidden = !analysis?.scaling_scenarios && !(rec?.peak_hours || []).length;

  const lastMs = parseUtc(meta.timestamp ?? body.timestamp) || points[0].ms - HOUR;
  const hist = historySeries(history, lastMs, Math.max(48, Math.min(336, points.length * 2)));
  drawForecast({ points, history: hist, capacity: current, threshold, recommended: rec?.recommended_capacity,
    schedule });
  const showUtil = current > 0;
  $("chart-utilisation").closest("figure").hidden = !showUtil;
  if (showUtil) drawUtilisation({ points, capacity: current, threshold, schedule });
  drawPatternCharts(points);
}

/**
 * Draw everything one response carries. `request` is the form as a request (its capacity and threshold
 * draw the lines), `history` the parsed history (or null) so the chart can show it before the forecast.
 */
export function renderResult(body, request, history) {
  if (!forecastOf(body).points.length) throw new Error("The response has no forecast points.");
  last = { body, request, history };
  draw(last);
}

/** Draw the last result again (the display zone changed); nothing when there is none. */
export function redrawResult() {
  if (last) draw(last);
}
