// Chart.js drawings: forecast with band and capacity lines, utilisation, hour-of-day and day-of-week.
// The x axes are linear in epoch milliseconds labelled in the display zone, so no date adapter is needed;
// their ticks are spaced for the chart's width, so labels never overlap from phone to desktop.
import { load, number } from "./format.js";
import { DAY_SHORT, displayZone, fmtClock, fmtDay, fmtTime, localParts } from "./timezone.js";

const HOUR = 3600e3;
const COLORS = {
  history: "#64748b", median: "#2563eb", band: "rgba(37, 99, 235, 0.16)", capacity: "#dc2626",
  threshold: "#d97706", recommended: "#7c3aed", schedule: "#059669", full: "#7f1d1d", bars: "#3b82f6",
};
const STEPS_H = [1, 2, 3, 6, 12, 24, 48, 72, 168];
const charts = {};

const narrow = () => window.matchMedia("(max-width: 600px)").matches;

/** The width of the longest date label in the chart font. */
function labelWidths(ctx) {
  const { size, family } = window.Chart.defaults.font;
  ctx.save();
  ctx.font = `${size}px ${family}`;
  const widths = { day: ctx.measureText("Wed 28 Sep").width };
  ctx.restore();
  return widths;
}

/** The smallest step (hours) whose labels fit side by side in `width` px over `spanH` hours. */
function tickStep(spanH, width, widths) {
  for (const step of STEPS_H) {
    const spacing = (width * step) / Math.max(spanH, 1);
    // Room for the widest label (a date: hour steps put one under each midnight) and Chart.js' skip padding,
    // so its autoSkip, which spaces every label as the widest, never has to drop one.
    if (spacing >= widths.day + 16) return step;
  }
  return STEPS_H[STEPS_H.length - 1];
}

/** Whether an instant is the first whole hour of a local date (local midnight, or 00:30 where zones are :30). */
const startsDay = (ms) => localParts(ms).day !== localParts(ms - HOUR).day;

/** Whole hours from min to max that start a step in local time: every `step` hours, or every n-th midnight. */
function localTicks(minMs, maxMs, step) {
  const ticks = [];
  let days = 0;
  for (let t = Math.ceil(minMs / HOUR) * HOUR; t <= maxMs; t += HOUR) {
    const hour = localParts(t).hour;
    const keep = step < 24 ? startsDay(t) || (hour % step === 0 && hour !== localParts(t - HOUR).hour)
      : startsDay(t) && days++ % (step / 24) === 0;
    if (keep) ticks.push({ value: t });
  }
  return ticks;
}

function timeAxis(minMs, maxMs) {
  const spanH = (maxMs - minMs) / HOUR;
  let step = 3;
  return {
    type: "linear", min: minMs, max: maxMs,
    title: { display: true, text: `Time (${displayZone()})` },
    afterBuildTicks(axis) {
      step = tickStep(spanH, axis.width || axis.maxWidth, labelWidths(axis.ctx));
      axis.ticks = localTicks(minMs, maxMs, step);
    },
    ticks: {
      maxRotation: 0, autoSkip: true, autoSkipPadding: 8,   // autoSkip only as a safety net: steps already fit
      callback: (v, index) => {
        if (step >= 24) return fmtDay(v);
        // The date under each midnight and under the first tick, so every hour can be placed.
        return startsDay(v) || index === 0 ? [fmtClock(v), fmtDay(v)] : fmtClock(v);
      },
    },
    grid: { color: (ctx) => (ctx.tick && startsDay(ctx.tick.value) ? "#cbd5e1" : "#eef2f7") },
  };
}

function draw(id, config) {
  charts[id]?.destroy();
  charts[id] = new window.Chart(document.getElementById(id), config);
  return charts[id];
}

/** Remove a chart (its canvas stays, blank). */
export function destroyChart(id) {
  charts[id]?.destroy();
  delete charts[id];
}

export function destroyCharts() {
  for (const id of Object.keys(charts)) destroyChart(id);
}

const baseOptions = (yTitle) => ({
  responsive: true, maintainAspectRatio: false, animation: false, parsing: false, normalized: true,
  interaction: { mode: "nearest", axis: "x", intersect: false },
  plugins: {
    legend: { position: "bottom",
      labels: { boxWidth: narrow() ? 10 : 14, usePointStyle: true, font: { size: narrow() ? 11 : 12 } } },
    tooltip: { callbacks: {
      title: (items) => (items.length ? fmtTime(items[0].parsed.x, { zoneName: true }) : ""),
      label: (item) => `${item.dataset.label}: ${load(item.parsed.y)}`,
    } },
  },
  scales: { y: { beginAtZero: true, title: { display: !narrow(), text: yTitle },
    ticks: { callback: (v) => number(v) } } },
});

const flatLine = (label, y, minMs, maxMs, color, dash) => ({
  label, data: [{ x: minMs, y }, { x: maxMs, y }], borderColor: color, borderWidth: 1.5,
  borderDash: dash, pointRadius: 0, fill: false,
});

/**
 * Load chart. `points` are the API's forecast points; `history` chart points {x, y}; `recommended` the
 * recommendation's capacity (a flat line); `schedule` optional [{x, y}], the hour-by-hour schedule (a step line).
 */
export function drawForecast({ points, history = [], capacity, threshold, recommended, schedule }) {
  const fc = points.map((p) => ({ x: p.ms, median: p.predicted_load, lo: p.lower, hi: p.upper }));
  const minMs = history.length ? history[0].x : fc[0].x;
  const maxMs = fc[fc.length - 1].x;
  const datasets = [];
  if (history.length) {
    const joined = [...history, { x: fc[0].x, y: fc[0].median }];
    datasets.push({ label: "History", data: joined, borderColor: COLORS.history, borderWidth: 1.5, pointRadius: 0 });
  }
  datasets.push(
    { label: "p10", data: fc.map((p) => ({ x: p.x, y: p.lo ?? p.median })), borderWidth: 0, pointRadius: 0,
      fill: false, hiddenFromLegend: true },
    { label: "10–90% band", data: fc.map((p) => ({ x: p.x, y: p.hi ?? p.median })), borderWidth: 0, pointRadius: 0,
      backgroundColor: COLORS.band, fill: "-1" },
    { label: "Forecast (median)", data: fc.map((p) => ({ x: p.x, y: p.median })), borderColor: COLORS.median,
      borderWidth: 2, pointRadius: fc.length <= 48 ? 2 : 0, fill: false },
  );
  if (capacity > 0) {
    datasets.push(flatLine("Current capacity", capacity, minMs, maxMs, COLORS.capacity, []));
    if (threshold > 0) {
      datasets.push(flatLine(`Threshold (${number(threshold * 100)}% of current)`, capacity * threshold, minMs, maxMs,
        COLORS.threshold, [6, 4]));
    }
  }
  if (recommended > 0 && recommended !== capacity) {
    datasets.push(flatLine("Recommended capacity", recommended, fc[0].x, maxMs, COLORS.recommended, [2, 3]));
  }
  if (schedule && schedule.length) {
    datasets.push({ label: "Hour-by-hour schedule", data: schedule, borderColor: COLORS.schedule, borderWidth: 2,
      stepped: "after", pointRadius: 0, fill: false });
  }
  const options = baseOptions("Load per hour");
  options.scales.x = timeAxis(minMs, maxMs);
  // Chart.js sizes the value axis from the points it samples; a step line's peaks can fall outside that,
  // so the axis is told the highest value of every dataset.
  const highest = Math.max(...datasets.flatMap((d) => d.data.map((p) => p.y ?? 0)));
  if (Number.isFinite(highest) && highest > 0) options.scales.y.suggestedMax = highest * 1.05;
  options.plugins.legend.labels.filter = (item, data) => !data.datasets[item.datasetIndex].hiddenFromLegend;
  return draw("chart-forecast", { type: "line", data: { datasets }, options });
}

/** Utilisation of the current capacity (median and p90), with the threshold and 100% lines. */
export function drawUtilisation({ points, capacity, threshold, schedule }) {
  if (!(capacity > 0)) return null;
  const minMs = points[0].ms;
  const maxMs = points[points.length - 1].ms;
  const pct = (v) => (v / capacity) * 100;
  const datasets = [
    { label: "Median utilisation", data: points.map((p) => ({ x: p.ms, y: pct(p.predicted_load) })),
      borderColor: COLORS.median, borderWidth: 2, pointRadius: 0 },
    { label: "p90 utilisation", data: points.map((p) => ({ x: p.ms, y: pct(p.upper ?? p.predicted_load) })),
      borderColor: COLORS.median, borderDash: [3, 3], borderWidth: 1, pointRadius: 0 },
  ];
  if (schedule && schedule.length) {
    const byHour = new Map(schedule.map((s) => [s.x, s.y]));
    datasets.push({ label: "p90 on the hour-by-hour schedule", borderColor: COLORS.schedule, borderWidth: 1.5,
      pointRadius: 0, data: points.filter((p) => byHour.get(p.ms) > 0)
        .map((p) => ({ x: p.ms, y: ((p.upper ?? p.predicted_load) / byHour.get(p.ms)) * 100 })) });
  }
  datasets.push(flatLine(`Threshold (${number(threshold * 100)}%)`, threshold * 100, minMs, maxMs,
    COLORS.threshold, [6, 4]));
  datasets.push(flatLine("100%", 100, minMs, maxMs, COLORS.full, []));
  const options = baseOptions("Utilisation (%)");
  options.scales.x = timeAxis(minMs, maxMs);
  options.scales.y.ticks.callback = (v) => `${number(v)}%`;
  options.plugins.tooltip.callbacks.label = (item) => `${item.dataset.label}: ${number(item.parsed.y, 1)}%`;
  return draw("chart-utilisation", { type: "line", data: { datasets }, options });
}

function bars(id, labels, values, xTitle) {
  const options = baseOptions("Average load per hour");
  options.parsing = true;
  options.plugins.legend.display = false;
  options.plugins.tooltip.callbacks = { label: (item) => `Average load: ${load(item.parsed.y)}` };
  options.scales.x = { title: { display: true, text: xTitle }, grid: { display: false },
    ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 6 } };
  return draw(id, { type: "bar",
    data: { labels, datasets: [{ label: "Average load", data: values, backgroundColor: COLORS.bars, borderRadius: 3 }] },
    options });
}

/** Average load by local hour of day (24 values) and weekday (7, Monday first); null draws nothing. */
export function drawPatterns({ byHour, byDay }) {
  if (byHour) bars("chart-hourly", byHour.map((_, h) => String(h).padStart(2, "0")), byHour, "Hour of day");
  else destroyChart("chart-hourly");
  if (byDay) bars("chart-weekly", DAY_SHORT, byDay, "Day of week");
  else destroyChart("chart-weekly");
}

export function chartSummary() {
  return Object.fromEntries(Object.entries(charts).map(([id, c]) => [id,
    { datasets: c.data.datasets.map((d) => ({ label: d.label, points: d.data.length })) }]));
}
