// The plan form: read it into an API request, show the API's field errors beside their inputs.
import { parseHistory, MAX_FILE_BYTES } from "./history.js";

const $ = (id) => document.getElementById(id);

const NUMERIC_FIELDS = ["hours_ahead", "current_capacity", "current_load", "unit_capacity", "unit_cost_per_hour",
  "lead_time_hours", "min_hold_hours"];

let parsedHistory = null;

export const currentHistory = () => parsedHistory;

/** A field name from the API ("history[12]", "plans[3].current_capacity") to the input that shows it. */
function fieldKey(name) {
  const root = String(name).split(/[.[]/)[0];
  return document.querySelector(`[data-field="${root}"]`) ? root : null;
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

/** Read the form into a request body; throws {fields} when an input cannot be read at all. */
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
  if ($("timestamp").value) body.timestamp = `${$("timestamp").value.slice(0, 13)}:00:00`;

  if (parsedHistory?.error) fields.history = parsedHistory.error;
  else if (parsedHistory) {
    body.history = parsedHistory.history;
    delete body.current_load; // the history's last value is the current load
  }
  if (hoursAhead !== undefined) body.hours_ahead = hoursAhead;
  if (Object.keys(fields).length) {
    const err = new Error("Some inputs cannot be read.");
    err.fields = fields;
    throw err;
  }
  return body;
}

function setHistoryStatus(text) {
  $("history-status").textContent = text;
}

export function describeHistory(apiForecast) {
  const parts = [];
  if (parsedHistory && !parsedHistory.error) parts.push(parsedHistory.summary);
  if (apiForecast && apiForecast.history_source === "provided") {
    parts.push(`API used ${Number(apiForecast.history_hours).toLocaleString()} hours`
      + `, ${Number(apiForecast.gaps_filled || 0).toLocaleString()} gaps filled`
      + (apiForecast.padded_hours ? `, ${Number(apiForecast.padded_hours).toLocaleString()} padded` : ""));
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

function onHistoryText() {
  parsedHistory = parseHistory($("history").value);
  $("history-error").textContent = parsedHistory?.error || "";
  document.querySelector('[data-field="history"]').classList.toggle("has-error", Boolean(parsedHistory?.error));
  showHistoryLoad(parsedHistory && !parsedHistory.error ? parsedHistory.lastLoad : null);
  if (!parsedHistory) {
    setHistoryStatus("No history: a deterministic profile learned by the model, scaled to the current load.");
  } else if (!parsedHistory.error) {
    const last = parsedHistory.lastLoad.toLocaleString();
    setHistoryStatus(`${parsedHistory.summary}; last value ${last} is the current load.`);
  } else setHistoryStatus("");
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
      const mb = (file.size / 1e6).toFixed(1);
      $("history-error").textContent = `${file.name} is ${mb} MB; the API reads at most 8,760 hours.`;
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
  onHistoryText();
}
