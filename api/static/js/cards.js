// Result cards: recommendation, capacity, metrics, risk, forecast source, peak hours, scenarios.
import { fmtNumber, fmtTime } from "./charts.js";
import { parseUtc } from "./history.js";

const $ = (id) => document.getElementById(id);

export const humanize = (s) => String(s ?? "–").replace(/_/g, " ");
const pct = (ratio, digits = 1) => (ratio === null || ratio === undefined ? "–" : `${fmtNumber(ratio * 100, digits)}%`);
const signed = (v, digits = 0) => (v > 0 ? `+${fmtNumber(v, digits)}` : fmtNumber(v, digits));

/** Fill a <dl> with [label, value, key] rows; `key` becomes data-key for tests and styling. */
function fillList(dl, rows) {
  dl.replaceChildren();
  for (const [label, value, key] of rows) {
    if (value === undefined) continue;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (key) dd.dataset.key = key;
    dl.append(dt, dd);
  }
}

function fillTable(table, headers, rows, { textColumns = [] } = {}) {
  const thead = document.createElement("thead");
  const tr = document.createElement("tr");
  for (const h of headers) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    tr.append(th);
  }
  thead.append(tr);
  const tbody = document.createElement("tbody");
  for (const row of rows) {
    const r = document.createElement("tr");
    row.forEach((cell, i) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      if (textColumns.includes(i)) td.className = "text";
      td.textContent = cell;
      r.append(td);
    });
    tbody.append(r);
  }
  table.replaceChildren(thead, tbody);
}

function show(id, visible) {
  $(id).hidden = !visible;
}

export function hideAllCards() {
  for (const id of ["card-action", "card-capacity", "card-metrics", "card-risk", "card-method", "card-peaks",
    "card-scenarios", "card-schedule"]) show(id, false);
}

function badge(el, level) {
  el.textContent = humanize(level);
  el.className = `badge ${el.classList.contains("badge-lg") ? "badge-lg " : ""}level-${String(level).toLowerCase()}`;
}

/** The recommendation, capacity and metrics cards from the planning engine's Recommendation. */
export function renderRecommendation(rec) {
  $("rec-action").textContent = humanize(rec.action).toUpperCase();
  $("rec-action").className = `action action-${rec.action}`;
  const urgency = $("rec-urgency");
  urgency.classList.remove("badge-lg");
  badge(urgency, rec.urgency);
  urgency.textContent = `${humanize(rec.urgency)} urgency`;
  $("rec-message").textContent = rec.message || "";
  const reasons = $("rec-reasons");
  reasons.replaceChildren(...(rec.reasons || []).map((r) => {
    const li = document.createElement("li");
    li.textContent = typeof r === "string" ? r : JSON.stringify(r);
    return li;
  }));
  show("card-action", true);

  const rows = [
    ["Current", fmtNumber(rec.current_capacity), "current_capacity"],
    ["Recommended", fmtNumber(rec.recommended_capacity), "recommended_capacity"],
    ["Change", signed(rec.capacity_change), "capacity_change"],
    ["Change %", `${signed(rec.capacity_change_percent, 1)}%`, "capacity_change_percent"],
  ];
  const inst = rec.instances;
  if (inst) rows.push(["Instances", `${inst.current} → ${inst.recommended} (${signed(inst.change)})`, "instances"]);
  const cost = rec.cost;
  if (cost) {
    rows.push([`Cost over ${cost.period_hours} h`, `${fmtNumber(cost.current, 2)} → ${fmtNumber(cost.recommended, 2)}`,
      "cost"]);
  }
  fillList($("capacity-list"), rows);
  show("card-capacity", true);

  const m = rec.metrics || {};
  fillList($("metrics-list"), [
    ["Max predicted load", fmtNumber(m.max_predicted_load), "max_predicted_load"],
    ["Average predicted load", fmtNumber(m.avg_predicted_load), "avg_predicted_load"],
    ["Min predicted load", fmtNumber(m.min_predicted_load), "min_predicted_load"],
    ["Max p90 load", m.max_p90_load === undefined ? undefined : fmtNumber(m.max_p90_load), "max_p90_load"],
    ["Max utilisation", pct(m.max_utilization), "max_utilization"],
    ["Average utilisation", pct(m.avg_utilization), "avg_utilization"],
  ]);
  show("card-metrics", true);

  const peaks = rec.peak_hours || [];
  fillTable($("peaks-table"), ["Hour (UTC)", "Median load", "p90 load", "Median utilisation"],
    peaks.map((p) => [fmtTime(parseUtc(p.timestamp)), fmtNumber(p.predicted_load ?? p.load),
      fmtNumber(p.upper), pct(p.utilization)]));
  show("card-peaks", peaks.length > 0);
}

/** The hour-by-hour schedule (the green step line): its changes and what it saves on a static peak plan. */
export function renderSchedule(schedule) {
  fillList($("schedule-list"), [
    ["Capacity changes", fmtNumber(schedule.scaling_actions), "scaling_actions"],
    ["Static peak capacity", fmtNumber(schedule.static_capacity), "static_capacity"],
    ["Capacity·hours saved", fmtNumber(schedule.saving_capacity_hours), "saving_capacity_hours"],
    ["Saved vs static peak", `${fmtNumber(schedule.saving_percent, 1)}%`, "saving_percent"],
    ["Hours not covered", fmtNumber(schedule.uncovered_hours), "uncovered_hours"],
    ["Cost saved", schedule.saving === undefined ? undefined : fmtNumber(schedule.saving, 2), "schedule_saving"],
  ]);
  show("card-schedule", true);
}

/** Metrics of a bare forecast (no capacity plan): computed from the API's points. */
export function renderForecastMetrics(points) {
  const loads = points.map((p) => p.predicted_load);
  const avg = loads.reduce((a, b) => a + b, 0) / loads.length;
  fillList($("metrics-list"), [
    ["Max predicted load", fmtNumber(Math.max(...loads)), "max_predicted_load"],
    ["Average predicted load", fmtNumber(avg), "avg_predicted_load"],
    ["Min predicted load", fmtNumber(Math.min(...loads)), "min_predicted_load"],
    ["Hours", String(points.length), "hours"],
  ]);
  show("card-metrics", true);
}

export function renderRisk(risk) {
  badge($("risk-level"), risk.risk_level);
  $("risk-level").textContent = `${humanize(risk.risk_level)} risk`;
  fillList($("risk-list"), [
    ["Critical hours", fmtNumber(risk.critical_hours), "critical_hours"],
    ["Over-capacity hours", fmtNumber(risk.over_capacity_hours), "over_capacity_hours"],
    ["Under-utilised hours", fmtNumber(risk.under_utilized_hours), "under_utilized_hours"],
    ["Risk at p90", humanize(risk.p90_risk_level), "p90_risk_level"],
    ["Over-capacity hours at p90", fmtNumber(risk.p90_over_capacity_hours), "p90_over_capacity_hours"],
  ]);
  show("card-risk", true);
}

/** The four static scenarios; cost and saving (against a static p90-peak capacity) need unit fields. */
export function renderScenarios(scenarios) {
  const order = ["conservative", "balanced", "aggressive", "average_based"];
  const names = order.filter((n) => n in scenarios);
  fillTable($("scenarios-table"),
    ["Scenario", "Capacity", "Change", "Cost", "Saving vs p90 peak", "p90 hours over threshold", "Basis"],
    names.map((n) => {
      const s = scenarios[n];
      return [humanize(n), fmtNumber(s.capacity), `${signed(s.capacity_change_percent, 1)}%`,
        s.cost === undefined ? "–" : fmtNumber(s.cost, 2),
        s.saving_vs_static_peak === undefined ? "–" : fmtNumber(s.saving_vs_static_peak, 2),
        fmtNumber(s.p90_hours_over_threshold), s.description || ""];
    }), { textColumns: [6] });
  show("card-scenarios", names.length > 0);
}

const METHOD_NAMES = {
  attention_bilstm: "Attention BiLSTM",
  seasonal_naive: "Seasonal naive (fallback)",
  seasonal_naive_then_attention_bilstm: "Seasonal naive, fading into the BiLSTM (fallback)",
  seasonal_trend: "Seasonal trend (the level moved)",
  legacy_attention_lstm: "Legacy attention LSTM",
};

/** Which model served the forecast and where the history came from. */
export function renderMethod(fc) {
  const bt = fc.backtest;
  fillList($("method-list"), [
    ["Method", METHOD_NAMES[fc.method] || humanize(fc.method), "method"],
    ["Model version", fc.model?.version ?? undefined, "model_version"],
    ["History", fc.history_source === "provided" ? "Provided" : "Synthetic profile", "history_source"],
    ["Hours of history", fc.history_hours === undefined ? undefined : fmtNumber(fc.history_hours), "history_hours"],
    ["Gaps filled", fc.gaps_filled === undefined ? undefined : fmtNumber(fc.gaps_filled), "gaps_filled"],
    ["Padded hours", fc.padded_hours ? fmtNumber(fc.padded_hours) : undefined, "padded_hours"],
    ["Backtest MASE", bt ? fmtNumber(bt.mase_model, 2) : undefined, "mase_model"],
    ["Seasonal-naive MASE", bt ? fmtNumber(bt.mase_seasonal_naive, 2) : undefined, "mase_seasonal_naive"],
    ["Seasonal-trend MASE", bt?.mase_seasonal_trend === undefined ? undefined : fmtNumber(bt.mase_seasonal_trend, 2),
      "mase_seasonal_trend"],
    ["Day-level persistence", bt?.level_persistence === undefined ? undefined : fmtNumber(bt.level_persistence, 2),
      "level_persistence"],
    ["Day-level spread", bt?.level_spread === undefined ? undefined : pct(bt.level_spread, 1), "level_spread"],
    ["Band coverage", bt && bt.coverage !== undefined ? pct(bt.coverage, 0) : undefined, "coverage"],
  ]);
  $("method-notes").replaceChildren(...(fc.notes || []).map((n) => {
    const li = document.createElement("li");
    li.textContent = n;
    return li;
  }));
  show("card-method", true);
}
