// The hour-by-hour schedule card (the analysis' capacity per hour, not the recommendation) and its CSV,
// built here from the response: one row per hour with the p90 load, the capacity and its change.
import { fillList, show } from "./cards.js";
import { capacity, number, percent } from "./format.js";
import { parseUtc } from "./history.js";
import { dateKey, displayZone, isoLocal } from "./timezone.js";

const $ = (id) => document.getElementById(id);
const HOUR = 3600e3;
let csvUrl = null;

/** [{ms, capacity, p90, change}] for each hour of the schedule; change is against the hour before. */
export function scheduleRows(schedule, points, currentCapacity) {
  const start = parseUtc(schedule.start);
  const p90 = new Map(points.map((p) => [p.ms, p.upper ?? p.predicted_load]));
  return schedule.capacity.map((cap, i) => {
    const before = i ? schedule.capacity[i - 1] : currentCapacity;
    const ms = start + i * HOUR;
    return { ms, capacity: cap, p90: p90.get(ms), change: Math.round((cap - before) * 100) / 100 };
  });
}

const cell = (v) => (v === undefined || v === null ? "" : String(v));

/** The schedule as CSV text: hour (ISO 8601 in the display zone, with its offset), p90_load, capacity, change. */
export function scheduleCsv(rows) {
  const lines = ["hour,p90_load,capacity,change"];
  for (const r of rows) lines.push([isoLocal(r.ms), cell(r.p90), cell(r.capacity), cell(r.change)].join(","));
  return `${lines.join("\n")}\n`;
}

/** The schedule card: how often it changes, its range, what it saves, and the CSV download. */
export function renderSchedule(schedule, points, currentCapacity) {
  const caps = schedule.capacity || [];
  fillList($("schedule-list"), [
    ["Capacity changes", number(schedule.scaling_actions), "scaling_actions"],
    ["Lowest → highest", caps.length ? `${capacity(Math.min(...caps))} → ${capacity(Math.max(...caps))}` : undefined,
      "schedule_range"],
    ["Capacity·hours saved", number(schedule.saving_capacity_hours), "saving_capacity_hours"],
    ["Saved vs a fixed peak capacity", percent(schedule.saving_percent), "saving_percent"],
    ["Hours it cannot cover", number(schedule.uncovered_hours), "uncovered_hours"],
    ["Cost saved", schedule.saving === undefined ? undefined : number(schedule.saving, 2), "schedule_saving"],
  ]);
  const rows = scheduleRows(schedule, points, currentCapacity);
  if (csvUrl) URL.revokeObjectURL(csvUrl);
  csvUrl = URL.createObjectURL(new Blob([scheduleCsv(rows)], { type: "text/csv" }));
  const link = $("schedule-download");
  link.href = csvUrl;
  link.setAttribute("download", `capplan-schedule-${rows.length ? dateKey(rows[0].ms) : "empty"}.csv`);
  show("card-schedule", true);
}

/** The API's export of a schedule as KEDA YAML, in the display zone: an analysis job's, or one batch plan's. */
export function kedaUrl(jobId, planId) {
  const job = `/api/jobs/${encodeURIComponent(jobId)}`;
  const path = planId === undefined ? `${job}/schedule` : `${job}/results/${encodeURIComponent(planId)}/schedule`;
  return `${path}?${new URLSearchParams({ format: "keda", tz: displayZone() })}`;
}

/** The KEDA button of the schedule card: for an analysis job whose plan gave unit_capacity (replicas). */
export function showKedaDownload(jobId, unitCapacity) {
  const link = $("schedule-keda");
  const ready = Boolean(jobId) && unitCapacity > 0;
  link.hidden = !ready;
  $("schedule-keda-hint").hidden = ready || !jobId;
  link.dataset.job = ready ? jobId : "";
  if (ready) {
    link.href = kedaUrl(jobId);
    link.setAttribute("download", `schedule-${jobId}-keda.yaml`);   // as the API names it
  }
}
