// Console wiring: actions, busy state, job progress, health banner and the batch panel.
import { cancelJob, downloadFile, fetchAllResults, getHealth, request, resultsCsvUrl, submitAndWait,
  waitForJob } from "./api.js";
import { apiKey, wireKeyForm } from "./apikey.js";
import { BatchTable, parsePlansCsv, renderPortfolio, SAMPLE_CSV } from "./batch.js";
import { afterZoneChange, clearErrors, currentHistory, describeHistory, forecastRequest, labelOf, readForm, showError,
  typedInstant, wireHistory } from "./form.js";
import { forecastOf, redrawResult, renderResult, showResultError } from "./results.js";
import { chartSummary } from "./charts.js";
import { number } from "./format.js";
import { currentLevel } from "./risk.js";
import { kedaUrl, showKedaDownload } from "./schedule.js";
import { displayZone, setDisplayZone, zoneChoices } from "./timezone.js";

const $ = (id) => document.getElementById(id);
const ENDPOINTS = {
  forecast: "/api/forecast",
  recommend: "/api/capacity/recommendations",
  analyze: "/api/capacity/analyze",
};
const ANALYSIS_HOURS = 168;

// What the page last did, for people debugging in the console and for the browser tests.
const state = { action: null, status: "idle", request: null, response: null, jobId: null, batch: null };
window.capplan = { state, charts: chartSummary };

let running = false;
let batchPlans = null;

function setBusy(busy, label = "") {
  running = busy;
  document.querySelectorAll(".actions button, #btn-batch").forEach((b) => {
    b.disabled = busy || (b.id === "btn-batch" && !batchPlans);
  });
  document.querySelectorAll(".actions button").forEach((b) => {
    b.classList.toggle("is-running", busy && b.dataset.action === label);
  });
  $("results").setAttribute("aria-busy", String(busy));
  document.body.dataset.busy = String(busy);
}

function setStatus(action, status) {
  state.action = action;
  state.status = status;
  $("results").dataset.action = action;
  $("results").dataset.status = status;
}

function showJob(prefix, job) {
  const bar = $(`${prefix}-bar`);
  const done = job.progress?.done ?? 0;
  const total = job.progress?.total ?? 0;
  if (total > 0 && job.status !== "queued") {
    bar.max = total;
    bar.value = done;
  } else bar.removeAttribute("value"); // indeterminate while queued
  const statusEl = prefix === "job" ? $("job-status") : $("batch-job-status");
  const counts = total > 0 ? ` · ${number(done)} of ${number(total)}` : "";
  statusEl.textContent = `Job ${job.status}${counts}`;
}

let jobAbort = null;

const ACTION_NAMES = { forecast: "Forecast", recommend: "Recommendations", analyze: "Analysis" };

/** One sentence for screen readers when a result arrives (the results area itself is not live). */
function announce(action, body) {
  const rec = body.recommendations || body.analysis?.recommendations;
  const risk = rec && currentLevel(rec, body.analysis?.risk_assessment || null).level;
  $("announce").textContent = `${ACTION_NAMES[action]} ready.`
    + (rec ? ` ${rec.action.replace(/_/g, " ")}, ${rec.urgency} urgency, ${risk} risk at the current capacity.` : "");
}

/** A request that failed (or was refused before sending): its errors by the inputs, no result left standing. */
function fail(action, err) {
  state.response = null;
  setStatus(action, "error");
  showError(err);
  showResultError(err, labelOf);
}

async function runAction(action) {
  if (running) return;
  clearErrors();
  let form;
  try {
    form = readForm({ hoursAhead: action === "analyze" ? ANALYSIS_HOURS : undefined });
  } catch (err) {
    state.request = null;
    fail(action, err);
    return;
  }
  // A bare forecast sends only what /api/forecast takes; the chart still shows the form's capacity.
  const payload = action === "forecast" ? forecastRequest(form) : form;
  setBusy(true, action);
  setStatus(action, "running");
  state.request = payload;
  const progressBox = $("job-progress");
  state.jobId = null;                     // set again when this request becomes a job
  jobAbort = new AbortController();
  try {
    const body = await submitAndWait(ENDPOINTS[action], payload, {
      preferAsync: action === "analyze",
      signal: jobAbort.signal,
      onJob: (id) => {
        state.jobId = id;
        $("job-label").textContent = `${ANALYSIS_HOURS}-hour analysis`;
        progressBox.hidden = false;
        $("job-bar").removeAttribute("value");
        $("job-status").textContent = "Job submitted";
      },
      onProgress: (job) => showJob("job", job),
    });
    state.response = body;
    renderResult(body, form, currentHistory());
    showKedaDownload(action === "analyze" ? state.jobId : null, payload.unit_capacity);
    describeHistory(forecastOf(body).meta);
    setStatus(action, "done");
    announce(action, body);
    if (window.matchMedia("(max-width: 860px)").matches) $("results").scrollIntoView({ block: "start" });
  } catch (err) {
    if (err.name === "AbortError") setStatus(action, "cancelled");
    else fail(action, err);
  } finally {
    progressBox.hidden = true;
    jobAbort = null;
    setBusy(false);
  }
}

async function cancelRunningJob() {
  const id = state.jobId;
  const refused = id ? await cancelJob(id) : null;
  $("form-error").textContent = refused ? `Not cancelled: ${refused}` : "Analysis cancelled.";
  $("form-error").hidden = false;
  jobAbort?.abort(); // stop polling after the message is up, so "cancelled" status comes last
}

// ---- health banner -------------------------------------------------------------------------

function healthProblems(h) {
  if (!h) return ["The API does not answer: is the service running?"];
  if (!("workers" in h)) { // a service that asks for keys, read without one: its status alone
    return h.status === "degraded" ? ["The service is degraded; with an API key it says why."] : [];
  }
  const problems = [];
  const live = h.workers?.live ?? 0;
  if (h.redis?.reachable === false) {
    problems.push("Redis is down: nothing can be queued or read until it is back (the API retries by itself).");
  } else if (live === 0) {
    problems.push("No worker is alive: forecasts and jobs wait until one starts (make run starts one).");
  } else if (h.model_loaded === false) {
    problems.push(`The model is not loaded${h.model?.error ? ` (${h.model.error})` : ""}: forecasts cannot be served.`);
  }
  return problems;
}

async function refreshHealth() {
  let health = null;
  try {
    health = (await getHealth()).body;
  } catch {
    health = null;
  }
  const problems = healthProblems(health);
  const banner = $("health-banner");
  banner.replaceChildren(...problems.map((p) => Object.assign(document.createElement("p"), { textContent: p })));
  banner.hidden = problems.length === 0;
  const status = $("service-status");
  const model = health?.model || {};
  const live = health?.workers?.live;
  const parts = !health ? [["Service unreachable"]] : [
    [{ healthy: "Healthy", degraded: "Degraded" }[health.status] || "API key needed"],
    [model.name && `${model.name} ${model.version ?? ""}`.trim(), "wide-only"],
    [health.device], [live !== undefined && `${live} worker${live === 1 ? "" : "s"}`]];
  status.querySelector(".service-text").replaceChildren(...parts.filter(([t]) => t).map(([t, cls], i) => {
    const span = document.createElement("span");
    span.textContent = i ? ` · ${t}` : t;
    if (cls) span.className = cls;
    return span;
  }));
  const ok = health?.status === "healthy" && !problems.length;
  status.querySelector(".dot").className = `dot ${!health ? "dot-down" : ok ? "dot-ok" : "dot-warn"}`;
}

// ---- batch ---------------------------------------------------------------------------------

let batchTable = null;

async function readBatchFile(e) {
  const file = e.target.files[0];
  batchPlans = null;
  $("plans-error").textContent = "";
  $("batch-status").textContent = "";
  if (file) {
    const parsed = parsePlansCsv(await file.text());
    if (parsed.error) $("plans-error").textContent = parsed.error;
    else {
      batchPlans = parsed.plans;
      $("batch-status").textContent = `${number(parsed.plans.length)} plans read from ${file.name}`;
    }
  }
  $("btn-batch").disabled = running || !batchPlans;
}

async function runBatch() {
  if (running || !batchPlans) return;
  clearErrors();
  setBusy(true, "batch");
  setStatus("batch", "running");
  $("batch-progress").hidden = false;
  $("batch-bar").removeAttribute("value");
  $("batch-job-status").textContent = "Submitting…";
  try {
    const { body } = await request("POST", "/api/capacity/batch", { json: { plans: batchPlans } });
    state.batch = { jobId: body.job_id };
    const job = await waitForJob(body.job_id, { onProgress: (j) => showJob("batch", j) });
    $("batch-job-status").textContent = "Reading results…";
    const rows = await fetchAllResults(body.job_id, {
      onPage: (n, total) => {
        $("batch-job-status").textContent = `Reading results ${number(n)} of ${number(total)}`;
      },
    });
    state.batch = { jobId: body.job_id, job, rows: rows.length };
    $("empty-state").hidden = true;
    $("batch-results").hidden = false;
    renderPortfolio(job.result);
    $("batch-download").href = resultsCsvUrl(body.job_id);
    $("batch-download").setAttribute("download", `capplan-batch-${body.job_id.slice(0, 8)}.csv`);
    batchTable = new BatchTable(rows, body.job_id);
    setStatus("batch", "done");
    $("announce").textContent = `Batch ready: ${rows.length} plans.`;
    $("batch-results").scrollIntoView({ block: "start" });
  } catch (err) {
    setStatus("batch", "error");
    const fields = err.fields || {};
    $("plans-error").textContent = Object.keys(fields).length
      ? Object.entries(fields).slice(0, 5).map(([k, v]) => `${k}: ${v}`).join("; ") : err.message;
  } finally {
    $("batch-progress").hidden = true;
    setBusy(false);
  }
}

// ---- display time zone ---------------------------------------------------------------------

function showZone() {
  $("footer-zone").textContent = displayZone();
}

function wireZone() {
  const select = $("display-zone");
  select.replaceChildren(...zoneChoices().map((z) => new Option(z.replace(/_/g, " "), z, false, z === displayZone())));
  select.addEventListener("change", () => {
    const typed = typedInstant();                   // the hour typed in the old zone, kept as an instant
    if (!setDisplayZone(select.value)) return;
    afterZoneChange(typed);
    showZone();
    redrawResult();
    if (state.response) describeHistory(forecastOf(state.response).meta);
  });
  showZone();
}

// ---- wiring --------------------------------------------------------------------------------

/** A schedule export: its URL made now (the display zone may have changed); fetched with the key if any. */
function saveExport(e, url, link = e.currentTarget) {
  link.href = url;
  if (!apiKey()) return;  // an open service: the plain link downloads
  e.preventDefault();
  downloadFile(url, link.getAttribute("download")).catch((err) => {
    $("form-error").textContent = err.message;
    $("form-error").hidden = false;
  });
}

function init() {
  wireZone();
  wireHistory();
  $("plan-form").addEventListener("submit", (e) => {
    e.preventDefault();
    runAction("recommend");
  });
  $("btn-forecast").addEventListener("click", () => runAction("forecast"));
  $("btn-analyze").addEventListener("click", () => runAction("analyze"));
  $("job-cancel").addEventListener("click", cancelRunningJob);
  $("batch-file").addEventListener("change", readBatchFile);
  $("btn-batch").addEventListener("click", runBatch);
  $("batch-prev").addEventListener("click", () => batchTable?.turn(-1));
  $("batch-next").addEventListener("click", () => batchTable?.turn(1));
  $("batch-sample").href = URL.createObjectURL(new Blob([SAMPLE_CSV], { type: "text/csv" }));
  $("batch-download").addEventListener("click", (e) => {
    if (!apiKey()) return; // an open service: the plain link downloads
    e.preventDefault();    // a link cannot send the key: fetch the CSV with it
    downloadFile(e.currentTarget.href, e.currentTarget.getAttribute("download"))
      .catch((err) => { $("plans-error").textContent = err.message; });
  });
  $("schedule-keda").addEventListener("click", (e) => saveExport(e, kedaUrl(e.currentTarget.dataset.job)));
  $("batch-table").addEventListener("click", (e) => {
    const link = e.target.closest("a[data-export]");
    if (link) saveExport(e, kedaUrl(batchTable.jobId, link.dataset.plan), link);
  });
  wireKeyForm(refreshHealth);
  refreshHealth();
  setInterval(refreshHealth, 15000);
  document.body.dataset.ready = "true";
}

if (window.Chart) init();
else window.addEventListener("load", init, { once: true });
