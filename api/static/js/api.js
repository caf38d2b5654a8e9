// Talking to the capplan HTTP API: JSON requests with the API key if one is kept, its error shape, and job polling.
import { askForKey, authHeaders } from "./apikey.js";

/** An API failure: `fields` maps a request field to the reason it was refused. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", fields = {} } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorFrom(response, body) {
  const err = body && body.error;
  if (err && typeof err === "object") {
    return new ApiError(err.message || `HTTP ${response.status}`,
      { status: response.status, code: err.code || "error", fields: err.fields || {} });
  }
  if (response.status === 413) {
    return new ApiError("The request is too large for the server (413).", { status: 413, code: "too_large" });
  }
  return new ApiError(`The server answered ${response.status} ${response.statusText}`.trim(),
    { status: response.status });
}

/** One request; resolves to {status, body, headers} for 2xx, rejects with ApiError otherwise. */
export async function request(method, url, { json, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...authHeaders(), ...headers }, signal };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError("The service cannot be reached. Is it running?", { code: "network" });
  }
  const body = await readBody(response);
  if (!response.ok) {
    const err = errorFrom(response, body);
    if (response.status === 401) askForKey(err.message);
    throw err;
  }
  return { status: response.status, body, headers: response.headers };
}

export function getHealth() {
  // 503 still carries the health document ("degraded"), so read it either way. Without a key, a service
  // that asks for keys says only its status: ask for one then.
  return fetch("/api/health", { headers: { Accept: "application/json", ...authHeaders() } })
    .then(async (r) => {
      const body = await readBody(r);
      if (r.status === 401 || (body && !("workers" in body) && !authHeaders().Authorization)) {
        askForKey("This service needs an API key.");
      }
      return { status: r.status, body: r.status === 401 ? { status: "unknown" } : body };
    });
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => { clearTimeout(timer); reject(new DOMException("aborted", "AbortError")); },
    { once: true });
});

/** Poll a job until it finishes; `onProgress(job)` sees each state. Resolves to the finished job. */
export async function waitForJob(jobId, { onProgress, signal } = {}) {
  let delay = 150;
  for (;;) {
    const { body: job } = await request("GET", `/api/jobs/${encodeURIComponent(jobId)}`, { signal });
    onProgress?.(job);
    if (job.status === "succeeded") return job;
    if (job.status === "failed" || job.status === "cancelled") {
      const err = job.error || {};
      throw new ApiError(err.message || `The job ${job.status}.`,
        { code: err.code || job.status, fields: err.fields || {} });
    }
    await sleep(delay, signal);
    delay = Math.min(1000, delay * 1.5);
  }
}

/** POST that may answer 200 (result) or 202 (a job to poll); resolves to the result body. */
export async function submitAndWait(url, payload, { preferAsync = false, onProgress, onJob, signal } = {}) {
  const headers = preferAsync ? { Prefer: "respond-async" } : {};
  const { status, body } = await request("POST", url, { json: payload, headers, signal });
  if (status !== 202) return body;
  onJob?.(body.job_id);
  const job = await waitForJob(body.job_id, { onProgress, signal });
  return job.result;
}

/** Cancel a job; resolves to null when cancelled, else the API's reason (e.g. it had already finished). */
export function cancelJob(jobId) {
  return request("DELETE", `/api/jobs/${encodeURIComponent(jobId)}`).then(() => null, (err) => err.message);
}

/** Every per-plan result of a finished batch, fetched page by page. */
export async function fetchAllResults(jobId, { pageSize = 1000, onPage } = {}) {
  const items = [];
  for (let offset = 0; ; offset += pageSize) {
    const url = `/api/jobs/${encodeURIComponent(jobId)}/results?offset=${offset}&limit=${pageSize}`;
    const { body } = await request("GET", url);
    const page = body.results;
    items.push(...page);
    onPage?.(items.length, body.total);
    const total = body.total ?? items.length;
    if (page.length === 0 || items.length >= total) return items;
  }
}

export const resultsCsvUrl = (jobId) => `/api/jobs/${encodeURIComponent(jobId)}/results?format=csv`;

/** Save what `url` answers as `filename`: fetched with the key, since a plain link cannot send a header. */
export async function downloadFile(url, filename) {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) {
    const err = errorFrom(response, await readBody(response));
    if (response.status === 401) askForKey(err.message);
    throw err;
  }
  const link = Object.assign(document.createElement("a"), {
    href: URL.createObjectURL(await response.blob()), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
