// The plan form: read it into an API request, show the API's field errors beside their inputs.
// The hour beside the history is typed in the display zone and sent in UTC; pasted numbers carry no
// dates, so with them that hour is required (never guessed); timestamped CSV rows bring their own.
import { number, load } from "./format.js";
import { MAX_FILE_BYTES, parseHistory } from "./history.js";
import { displayZone, fmtTime, localInputToMs, msToLocalInput, toApiUtc } from "./timezone.js";

const $ = (id) => document.getElementById(id);

const NUMERIC_FIELDS = ["hours_ahead", "current_capacity", "current_load", "unit_capacity", "unit_cost_per_hour",
  "lead_time_hours", "min_hold_hours"];

let parsedHistory = null;

export const currentHistory = () => parsedHistory;
const historyKind = () => (parsedHistory && !parsedHistory.error ? parsedHistory.kind : null);

/** A field name from the API ("history[12]", "plans[3].current_capacity") to the input that shows it. */
function fieldKey(name) {
  const root = String(name).split(/[.[]/)[0];
  return document.querySelector(`[data-field="${root}"]`) ? root : null;
}

/** A field's name as its label reads ("Current capacity"), for messages that must name it. */
export function labelOf(name) {
  const key = fieldKey(name);
  const box = key && document.querySelector(`[data-field="${key}"]`);
  const label = box && (box.querySelector(`label[for="${key}"]`) || box.querySelector("legend"));
  const text = label ? label.firstChild.textContent.trim() : String(name);
  return key && key !== name ? `${text} (${name})` : text;
}

export function clearErrors() {
  document.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
  document.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  document.querySelectorAll(".field.has-error").forEach((el) => el.classList.remove("has-error"));
  $("form-error").hidden = true;
  $("form-error").textContent = "";
}

function markField(key, message) {
  const box = document.querySelector(`[data-field="${key}"]`);
  const out = $(`${key}-error`);
  if (!box || !out) return false;
  out.textContent = out.textContent ? `${out.textContent} ${message}` : message;
  box.classList.add("has-error");
  const input = box.querySelector("input, textarea, select");
  input?.setAttribute("aria-invalid", "true");
  // A field inside the closed "advanced" section must be visible to be fixed.
  const details = box.closest("details");
  if (details) details.open = true;
  return true;
}

/** Show an ApiError: each `fields` entry by its input, the message on top when no field takes it. */
export function showError(err, { focus = true } = {}) {
  clearErrors();
  let placed = 0;
  let firstKey = null;
  for (const [name, reason] of Object.entries(err.fields || {})) {
    const key = fieldKey(name);
    let shown = key === name || !key ? reason : `${name}: ${reason}`;
    if (key === "scaling_threshold") shown += " (sent as a fraction: this field's 80% is 0.8)";
    if (key && markField(key, shown)) {
      placed += 1;
      firstKey ??= key;
    }
  }
  if (!placed || Object.keys(err.fields || {}).length > placed) {
    $("form-error").textContent = err.message;
    $("form-error").hidden = false;
  }
  if (focus && firstKey) document.querySelector(`[data-field="${firstKey}"]`).querySelector("input, textarea")?.focus();
}

// What POST /api/forecast takes; the capacity endpoints take the planning options too.
const FORECAST_FIELDS = new Set(["hours_ahead", "current_load", "timestamp", "history"]);

/** The part of a full request that POST /api/forecast takes. */
export function forecastRequest(body) {
  return Object.fromEntries(Object.entries(body).filter(([k]) => FORECAST_FIELDS.has(k)));
}

function readTimestamp(body, fields) {
  const kind = historyKind();
  if (kind === "points") return;                               // the CSV's last row gives the hour
  const typed = $("timestamp").value;
  if (!typed) {
    if (kind === "values") {
      fields.timestamp = "required with pasted numbers: they carry no dates, so give the hour of the last one";
    }
    return;
  }
  const ms = localInputToMs(typed);
  if (Number.isFinite(ms)) body.timestamp = toApiUtc(ms);
  else fields.timestamp = "must be a date and hour";
}

/** Read the form into a request body; throws {message, fields} naming each input that stops it. */
export function readForm({ hoursAhead } = {}) {
  const body = {};
  const fields = {};
  for (const name of NUMERIC_FIELDS) {
    const input = $(name);
    if (input.validity.badInput) fields[name] = "must be a number";
    else if (input.value.trim() !== "") body[name] = Number(input.value);
  }
  const threshold = $("scaling_threshold");
  if (threshold.validity.badInput) fields.scaling_threshold = "must be a number";
  else if (threshold.value.trim() !== "") body.scaling_threshold = Number(threshold.value) / 100;
  body.quantile = Number($("quantile").value);
  readTimestamp(body, fields);

  if (parsedHistory?.error) fields.history = parsedHistory.error;
  else if (parsedHistory) {
    body.history = parsedHistory.history;
    delete body.current_load; // the history's last value is the current load
  }
  if (hoursAhead !== undefined) body.hours_ahead = hoursAhead;
  if (Object.keys(fields).length) {
    const names = Object.keys(fields).map((f) => `“${labelOf(f)}”`).join(", ");
    const err = new Error(`Not sent: ${names} ${Object.keys(fields).length > 1 ? "need" : "needs"} a look.`);
    err.fields = fields;
    err.notSent = true;
    throw err;
  }
  return body;
}

function setHistoryStatus(text) {
  $("history-status").textContent = text;
}

function historySummary(parsed) {
  if (parsed.kind === "points") {
    const span = `${fmtTime(parsed.firstMs)} to ${fmtTime(parsed.lastMs, { zoneName: true })}`;
    return `${number(parsed.count)} rows read (${span})`;
  }
  return `${number(parsed.count)} hourly values read`;
}

export function describeHistory(apiForecast) {
  const parts = [];
  if (parsedHistory && !parsedHistory.error) parts.push(historySummary(parsedHistory));
  if (apiForecast && apiForecast.history_source === "provided") {
    parts.push(`API used ${number(apiForecast.history_hours)} hours`
      + `, ${number(apiForecast.gaps_filled || 0)} gaps filled`
      + (apiForecast.padded_hours ? `, ${number(apiForecast.padded_hours)} padded` : ""));
  }
  if (parts.length) setHistoryStatus(parts.join(" · "));
}

/** With a history the current-load input shows (disabled) the history's last value; without, the user's own. */
function showHistoryLoad(lastLoad) {
  const input = $("current_load");
  if (lastLoad !== null) {
    if (!input.disabled) input.dataset.typed = input.value;
    input.value = String(lastLoad);
    input.disabled = true;
  } else if (input.disabled) {
    input.value = input.dataset.typed ?? "";
    input.disabled = false;
  }
}

const TIMESTAMP_HINTS = {
  none: "Optional: the hour of the current load. Default: the current hour.",
  values: "Required: pasted numbers carry no dates, so give the hour of the last one.",
  points: "From the CSV's last row.",
};

/** The hour field for the history at hand: optional, required (bare numbers) or the CSV's own (read-only). */
function showTimestampField() {
  const input = $("timestamp");
  const kind = historyKind() || "none";
  if (kind === "points") {
    if (!input.disabled) input.dataset.typed = input.value;
    input.value = msToLocalInput(parsedHistory.lastMs);
    input.disabled = true;
  } else if (input.disabled) {
    input.value = input.dataset.typed ?? "";
    input.disabled = false;
  }
  input.required = kind === "values";
  input.setAttribute("aria-required", String(kind === "values"));
  $("timestamp-hint").textContent = TIMESTAMP_HINTS[kind];
  document.querySelector('[data-field="timestamp"]').classList.toggle("is-required", kind === "values");
}

function onHistoryText() {
  parsedHistory = parseHistory($("history").value);
  $("history-error").textContent = parsedHistory?.error || "";
  document.querySelector('[data-field="history"]').classList.toggle("has-error", Boolean(parsedHistory?.error));
  showHistoryLoad(parsedHistory && !parsedHistory.error ? parsedHistory.lastLoad : null);
  showTimestampField();
  if (!parsedHistory) {
    setHistoryStatus("No history: the forecast is a generic weekly profile scaled to the current load, "
      + "not your service's own pattern.");
  } else if (!parsedHistory.error) {
    const last = load(parsedHistory.lastLoad);
    setHistoryStatus(`${historySummary(parsedHistory)}; last value ${last} is the current load.`);
  } else setHistoryStatus("");
}

/** The typed hour as an instant, read in the zone in force now: to keep it across a zone change. */
export function typedInstant() {
  const input = $("timestamp");
  return input.disabled || !input.value ? NaN : localInputToMs(input.value);
}

/** After a zone change: the typed hour shows the same `instant`, and the labels name the new zone. */
export function afterZoneChange(instant) {
  if (Number.isFinite(instant)) $("timestamp").value = msToLocalInput(instant);
  showZoneLabels();
  onHistoryText();
}

function showZoneLabels() {
  $("timestamp-zone").textContent = `(${displayZone()})`;
}

export function wireHistory() {
  let timer = null;
  $("history").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(onHistoryText, 200);
  });
  $("history-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      $("history-error").textContent = `${file.name} is ${number(file.size / 1e6, 1)} MB; the API reads at most `
        + "8,760 hours.";
      e.target.value = "";
      return;
    }
    $("history").value = await file.text();
    e.target.value = "";
    onHistoryText();
  });
  $("history-clear").addEventListener("click", () => {
    $("history").value = "";
    onHistoryText();
  });
  showZoneLabels();
  onHistoryText();
}
