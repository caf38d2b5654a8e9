// Chart.js drawings: forecast with band and capacity lines, utilisation, hour-of-day and day-of-week.
// The x axes are linear in epoch milliseconds with UTC labels, so no date adapter is needed.

const HOUR = 3600e3;
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const COLORS = {
  history: "#64748b", median: "#2563eb", band: "rgba(37, 99, 235, 0.16)", capacity: "#dc2626",
  threshold: "#d97706", schedule: "#059669", full: "#7f1d1d", bars: "#3b82f6",
};
const charts = {};

export const fmtNumber = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? "–"
  : Number(v).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 }));

/** "Mon 15 Jan 14:00" in UTC; shorter forms when the axis only needs hours. */
export function fmtTime(ms, withDay = true) {
  const d = new Date(ms);
  const hh = String(d.getUTCHours()).padStart(2, "0");
  if (!withDay) return `${hh}:00`;
  const day = DAYS[(d.getUTCDay() + 6) % 7];
  const month = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  return `${day} ${d.getUTCDate()} ${month} ${hh}:00`;
}

function timeAxis(minMs, maxMs) {
  const spanH = (maxMs - minMs) / HOUR;
  // Hours on short spans (with the date under each midnight), whole days on long ones.
  const stepH = spanH <= 30 ? 3 : spanH <= 72 ? 6 : spanH <= 240 ? 24 : 48;
  return {
    type: "linear", min: minMs, max: maxMs,
    title: { display: true, text: "Time (UTC)" },
    afterBuildTicks(axis) {
      const first = Math.ceil(minMs / (stepH * HOUR)) * stepH * HOUR;
      axis.ticks = [];
      for (let t = first; t <= maxMs; t += stepH * HOUR) axis.ticks.push({ value: t });
    },
    ticks: {
      maxRotation: 0, autoSkip: false,
      callback: (v, index) => {
        const day = fmtTime(v).slice(0, -6);
        if (stepH >= 24) return day;
        // The date under each midnight and under the first tick, so every hour can be placed.
        return new Date(v).getUTCHours() === 0 || index === 0 ? [fmtTime(v, false), day] : fmtTime(v, false);
      },
    },
    grid: { color: (ctx) => (new Date(ctx.tick?.value).getUTCHours() === 0 ? "#cbd5e1" : "#eef2f7") },
  };
}

function draw(id, config) {
  charts[id]?.destroy();
  const canvas = document.getElementById(id);
  charts[id] = new window.Chart(canvas, config);
  return charts[id];
}

const baseOptions = (yTitle) => ({
  responsive: true, maintainAspectRatio: false, animation: false, parsing: false, normalized: true,
  interaction: { mode: "nearest", axis: "x", intersect: false },
  plugins: {
    legend: { position: "bottom", labels: { boxWidth: 14, usePointStyle: true } },
    tooltip: { callbacks: { title: (items) => (items.length ? fmtTime(items[0].parsed.x) + " UTC" : "") } },
  },
  scales: { y: { beginAtZero: true, title: { display: true, text: yTitle }, ticks: { callback: (v) => fmtNumber(v) } } },
});

const flatLine = (label, y, minMs, maxMs, color, dash) => ({
  label, data: [{ x: minMs, y }, { x: maxMs, y }], borderColor: color, borderWidth: 1.5,
  borderDash: dash, pointRadius: 0, fill: false,
});

/**
 * Load chart. `points` are the API's forecast points; `history` chart points {x, y};
 * `schedule` optional [{x, y}] recommended capacity per hour (a step line).
 */
export function drawForecast({ points, history = [], capacity, threshold, schedule }) {
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
      datasets.push(flatLine(`Threshold (${fmtNumber(threshold * 100)}%)`, capacity * threshold, minMs, maxMs,
        COLORS.threshold, [6, 4]));
    }
  }
  if (schedule && schedule.length) {
    datasets.push({ label: "Recommended capacity", data: schedule, borderColor: COLORS.schedule, borderWidth: 2,
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
    datasets.push({ label: "p90 on recommended capacity", borderColor: COLORS.schedule, borderWidth: 1.5,
      pointRadius: 0, data: points.filter((p) => byHour.get(p.ms) > 0)
        .map((p) => ({ x: p.ms, y: ((p.upper ?? p.predicted_load) / byHour.get(p.ms)) * 100 })) });
  }
  datasets.push(flatLine(`Threshold (${fmtNumber(threshold * 100)}%)`, threshold * 100, minMs, maxMs,
    COLORS.threshold, [6, 4]));
  datasets.push(flatLine("100%", 100, minMs, maxMs, COLORS.full, []));
  const options = baseOptions("Utilisation (%)");
  options.scales.x = timeAxis(minMs, maxMs);
  options.scales.y.ticks.callback = (v) => `${v}%`;
  options.plugins.tooltip.callbacks.label = (item) => `${item.dataset.label}: ${fmtNumber(item.parsed.y, 1)}%`;
  return draw("chart-utilisation", { type: "line", data: { datasets }, options });
}

function bars(id, labels, values, xTitle) {
  const options = baseOptions("Average load per hour");
  options.parsing = true;
  options.plugins.legend.display = false;
  options.plugins.tooltip.callbacks = {};
  options.scales.x = { title: { display: true, text: xTitle }, grid: { display: false }, ticks: { maxRotation: 0 } };
  return draw(id, { type: "bar",
    data: { labels, datasets: [{ label: "Average load", data: values, backgroundColor: COLORS.bars, borderRadius: 3 }] },
    options });
}

/** Average load by hour of day and day of week; `patterns` maps names to arrays (nulls where unknown). */
export function drawPatterns({ byHour, byDay }) {
  bars("chart-hourly", byHour.map((_, h) => String(h).padStart(2, "0")), byHour, "Hour of day (UTC)");
  bars("chart-weekly", DAYS, byDay, "Day of week (UTC)");
}

export function chartSummary() {
  return Object.fromEntries(Object.entries(charts).map(([id, c]) => [id,
    { datasets: c.data.datasets.map((d) => ({ label: d.label, points: d.data.length })) }]));
}
