// Result cards: recommendation, capacity, metrics, peak hours and scenarios, plus the list and table fillers
// the other cards use. Every value is set as text (never HTML) and every number goes through format.js.
import { capacity, humanize, load, number, percent, percentOf, signed } from "./format.js";
import { parseUtc } from "./history.js";
import { displayZone, fmtTime } from "./timezone.js";

const $ = (id) => document.getElementById(id);
const ISO_TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?\b/g;

/** Fill a <dl> with [label, value, key] rows (undefined value: row left out); `key` becomes data-key. */
export function fillList(dl, rows) {
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

export function fillTable(table, headers, rows, { textColumns = [] } = {}) {
  const tr = document.createElement("tr");
  for (const h of headers) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    tr.append(th);
  }
  const thead = document.createElement("thead");
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

export function show(id, visible) {
  $(id).hidden = !visible;
}

export const CARD_IDS = ["card-action", "card-capacity", "card-metrics", "card-risk", "card-method", "card-peaks",
  "card-scenarios", "card-schedule"];

export function badge(el, level, text) {
  el.textContent = text;
  el.className = `badge${el.classList.contains("badge-lg") ? " badge-lg" : ""} level-${String(level).toLowerCase()}`;
}

/** The API's UTC times inside a sentence ("... at 2024-01-15T14:00:00 ...") in the display zone, named. */
export const localiseTimes = (text) => String(text).replace(ISO_TIME, (t) => fmtTime(parseUtc(t), { zoneName: true }));

/** The band the plan was sized on: "p90" (the default) or "median". */
export const sizingBand = (rec) => ((rec.sizing?.quantile ?? 0.9) > 0.7 ? "p90" : "median");

/** The recommendation in words, written here from its numbers so card and sentence round alike. */
export function recommendationText(rec, threshold) {
  const from = capacity(rec.current_capacity);
  const to = capacity(rec.recommended_capacity);
  const by = `${capacity(Math.abs(rec.capacity_change))} (${percent(Math.abs(rec.capacity_change_percent))})`;
  const first = { scale_up: `Increase capacity by ${by}, from ${from} to ${to}.`,
    scale_down: `Reduce capacity by ${by}, from ${from} to ${to}.` }[rec.action] || `Keep capacity at ${from}.`;
  const s = rec.sizing;
  if (!s) return first;
  const band = sizingBand(rec);
  const when = fmtTime(parseUtc(s.peak_timestamp), { zoneName: true });
  const thr = threshold > 0 ? `; the threshold is ${percentOf(threshold, 0)}` : "";
  if (rec.action === "scale_down") {
    return `${first} The ${band} peak (${when}) would then run at `
      + `${percentOf(s.peak_load / rec.recommended_capacity)} of ${to}${thr}.`;
  }
  return `${first} At the ${band} peak (${when}) the current ${from} runs at ${percentOf(s.peak_utilization)}${thr}.`;
}

/** The recommendation, capacity and metrics cards, and the peak hours table. */
export function renderRecommendation(rec, threshold) {
  $("rec-action").textContent = humanize(rec.action).toUpperCase();
  $("rec-action").className = `action action-${rec.action}`;
  badge($("rec-urgency"), rec.urgency, `${humanize(rec.urgency)} urgency`);
  $("rec-message").textContent = recommendationText(rec, threshold);
  $("rec-reasons").replaceChildren(...(rec.reasons || []).map((r) => {
    const li = document.createElement("li");
    li.textContent = localiseTimes(typeof r === "string" ? r : JSON.stringify(r));
    return li;
  }));
  show("card-action", true);

  const rows = [
    ["Current", capacity(rec.current_capacity), "current_capacity"],
    ["Recommended", capacity(rec.recommended_capacity), "recommended_capacity"],
    ["Change", signed(rec.capacity_change, capacity(rec.capacity_change)), "capacity_change"],
    ["Change %", signed(rec.capacity_change_percent, percent(rec.capacity_change_percent)), "capacity_change_percent"],
  ];
  const inst = rec.instances;
  if (inst) {
    rows.push(["Instances", `${number(inst.current)} → ${number(inst.recommended)} (${signed(inst.change,
      number(inst.change))})`, "instances"]);
  }
  const cost = rec.cost;
  if (cost) {
    rows.push([`Cost over ${number(cost.period_hours)} h`,
      `${number(cost.current, 2)} → ${number(cost.recommended, 2)}`, "cost"]);
  }
  fillList($("capacity-list"), rows);
  show("card-capacity", true);

  const m = rec.metrics || {};
  fillList($("metrics-list"), [
    ["Max predicted load", load(m.max_predicted_load), "max_predicted_load"],
    ["Average predicted load", load(m.avg_predicted_load), "avg_predicted_load"],
    ["Min predicted load", load(m.min_predicted_load), "min_predicted_load"],
    ["Max p90 load", m.max_p90_load === undefined ? undefined : load(m.max_p90_load), "max_p90_load"],
    ["Max utilisation (current)", percentOf(m.max_utilization), "max_utilization"],
    ["Average utilisation (current)", percentOf(m.avg_utilization), "avg_utilization"],
  ]);
  show("card-metrics", true);

  const peaks = rec.peak_hours || [];
  fillTable($("peaks-table"), [`Hour (${displayZone()})`, "Median load", "p90 load", "Median utilisation"],
    peaks.map((p) => [fmtTime(parseUtc(p.timestamp)), load(p.predicted_load ?? p.load), load(p.upper),
      percentOf(p.utilization)]));
  show("card-peaks", peaks.length > 0);
}

/** Metrics of a bare forecast (no capacity plan): computed from the API's points. */
export function renderForecastMetrics(points) {
  const loads = points.map((p) => p.predicted_load);
  const avg = loads.reduce((a, b) => a + b, 0) / loads.length;
  fillList($("metrics-list"), [
    ["Max predicted load", load(Math.max(...loads)), "max_predicted_load"],
    ["Average predicted load", load(avg), "avg_predicted_load"],
    ["Min predicted load", load(Math.min(...loads)), "min_predicted_load"],
    ["Hours", number(points.length), "hours"],
  ]);
  show("card-metrics", true);
}

/** The four static scenarios; cost and saving (against a static p90-peak capacity) need unit fields. */
export function renderScenarios(scenarios) {
  const order = ["conservative", "balanced", "aggressive", "average_based"];
  const names = order.filter((n) => n in scenarios);
  fillTable($("scenarios-table"),
    ["Scenario", "Capacity", "Change", "Cost", "Saving vs p90 peak", "p90 hours over threshold", "Basis"],
    names.map((n) => {
      const s = scenarios[n];
      return [humanize(n), capacity(s.capacity), signed(s.capacity_change_percent, percent(s.capacity_change_percent)),
        s.cost === undefined ? "–" : number(s.cost, 2),
        s.saving_vs_static_peak === undefined ? "–" : number(s.saving_vs_static_peak, 2),
        number(s.p90_hours_over_threshold), s.description || ""];
    }), { textColumns: [6] });
  show("card-scenarios", names.length > 0);
}
