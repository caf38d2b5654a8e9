// Batch of plans: read the CSV, run the job, show its per-plan results sortable by risk and saving.
import { capacity, humanize, number, percent } from "./format.js";
import { kedaUrl } from "./schedule.js";

const $ = (id) => document.getElementById(id);
const PAGE_ROWS = 50;
const RISK_RANK = { low: 1, medium: 2, high: 3, critical: 4 };
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export const SAMPLE_CSV = [
  "id,hours_ahead,current_capacity,current_load,scaling_threshold,unit_capacity,unit_cost_per_hour",
  "checkout-api,168,5000,1000,0.8,500,0.40",
  "search,168,2000,1700,0.8,250,0.25",
  "payments,168,12000,3000,0.75,1000,0.90",
  "reports,24,800,150,0.9,,",
].join("\n") + "\n";

function cells(line) {
  const out = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i += 1; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { out.push(cur.trim()); cur = ""; } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Plans from CSV text: one object per row, numbers as numbers, a `history` cell as a list. */
export function parsePlansCsv(text) {
  const lines = String(text || "").split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith("#"));
  if (lines.length < 2) return { error: "the CSV needs a header row and at least one plan" };
  const header = cells(lines[0]).map((h) => h.toLowerCase());
  if (!header.includes("current_capacity")) return { error: "the header has no current_capacity column" };
  const plans = lines.slice(1).map((line, i) => {
    const row = cells(line);
    const plan = {};
    header.forEach((name, c) => {
      const raw = row[c] ?? "";
      if (raw === "") return;
      if (name === "id") plan.id = raw;
      else if (name === "history") plan.history = raw.split(/[\s;|]+/).filter(Boolean).map(Number);
      else plan[name] = NUMBER.test(raw) ? Number(raw) : raw;
    });
    if (plan.id === undefined) plan.id = `plan-${i + 1}`;
    return plan;
  });
  return { plans };
}

// A per-plan result is {id, success, summary, recommendations, risk_assessment, schedule, cost?}
// or, for a plan the API refused, {id, success: false, error: {code, message, fields}}.
const rec = (r) => r.recommendations || {};
const riskRank = (r) => (r.success ? RISK_RANK[r.risk_assessment.risk_level] * 10
  + RISK_RANK[r.risk_assessment.p90_risk_level] : null);
const costSaving = (r) => (r.cost ? r.cost.current - r.cost.recommended : null);
const capacityHoursSaving = (r) => (r.success ? -rec(r).capacity_change * r.hours_ahead : null);
const errorText = (r) => {
  if (r.success) return "";
  const fields = Object.entries(r.error?.fields || {}).map(([k, v]) => `${k}: ${v}`);
  return fields.length ? fields.join("; ") : r.error?.message || "failed";
};

const COLUMNS = [
  { key: "id", label: "Plan", value: (r) => r.id, text: (r) => r.id },
  { key: "risk", label: "Risk", sortable: true, value: riskRank,
    text: (r) => (r.success ? humanize(r.risk_assessment.risk_level) : "error"),
    cls: (r) => `level-${r.success ? r.risk_assessment.risk_level : "error"}` },
  { key: "action", label: "Action", value: (r) => rec(r).action,
    text: (r) => (r.success ? `${humanize(rec(r).action)} · ${rec(r).urgency}` : "–") },
  { key: "current", label: "Current", numeric: true, value: (r) => rec(r).current_capacity,
    text: (r) => capacity(rec(r).current_capacity) },
  { key: "recommended", label: "Recommended", numeric: true, value: (r) => rec(r).recommended_capacity,
    text: (r) => capacity(rec(r).recommended_capacity) },
  { key: "change", label: "Change", numeric: true, sortable: true, value: (r) => rec(r).capacity_change_percent,
    text: (r) => (r.success ? percent(rec(r).capacity_change_percent) : "–") },
  { key: "saving", label: "Saving (cost)", numeric: true, sortable: true, value: costSaving,
    text: (r) => number(costSaving(r), 2) },
  { key: "saving_hours", label: "Saving (capacity·h)", numeric: true, sortable: true, value: capacityHoursSaving,
    text: (r) => number(capacityHoursSaving(r)) },
  { key: "error", label: "Error", value: errorText, text: errorText },
  { key: "export", label: "Schedule", value: () => null, text: () => "–",
    link: (r) => (r.success && r.schedule?.unit_capacity ? "KEDA" : null) },
];

export class BatchTable {
  constructor(rows, jobId) {
    this.rows = rows;
    this.jobId = jobId;
    this.sort = { key: "risk", dir: -1 };
    this.page = 0;
    this.apply();
  }

  apply() {
    const col = COLUMNS.find((c) => c.key === this.sort.key);
    const { dir } = this.sort;
    // Plans without the value (failed ones, plans without costs) stay at the bottom either way.
    this.rows.sort((a, b) => {
      const va = col.value(a) ?? null;
      const vb = col.value(b) ?? null;
      if (va === null || vb === null) return (va === null) - (vb === null);
      return (va > vb ? 1 : va < vb ? -1 : 0) * dir;
    });
    this.render();
  }

  sortBy(key) {
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : -1 };
    this.page = 0;
    this.apply();
  }

  turn(delta) {
    const pages = Math.max(1, Math.ceil(this.rows.length / PAGE_ROWS));
    this.page = Math.min(pages - 1, Math.max(0, this.page + delta));
    this.render();
  }

  render() {
    const table = $("batch-table");
    const head = document.createElement("tr");
    for (const c of COLUMNS) {
      const th = document.createElement("th");
      th.scope = "col";
      if (c.numeric) th.className = "num";
      if (c.sortable) {
        const active = this.sort.key === c.key;
        th.setAttribute("aria-sort", active ? (this.sort.dir > 0 ? "ascending" : "descending") : "none");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "sort-button";
        button.dataset.sort = c.key;
        button.textContent = `${c.label} ${active ? (this.sort.dir > 0 ? "▲" : "▼") : "↕"}`;
        button.addEventListener("click", () => this.sortBy(c.key));
        th.append(button);
      } else th.textContent = c.label;
      head.append(th);
    }
    const thead = document.createElement("thead");
    thead.append(head);
    const tbody = document.createElement("tbody");
    for (const r of this.rows.slice(this.page * PAGE_ROWS, (this.page + 1) * PAGE_ROWS)) {
      const tr = document.createElement("tr");
      for (const c of COLUMNS) {
        const td = document.createElement(c.key === "id" ? "th" : "td");
        if (c.key === "id") td.scope = "row";
        td.dataset.col = c.key;
        if (c.numeric) td.classList.add("num");
        if (c.link && c.link(r) && this.jobId) {
          // A link per plan to its own export; app.js fetches it with the key where the service asks for one.
          const a = document.createElement("a");
          a.href = kedaUrl(this.jobId, r.id);
          a.dataset.export = "keda";
          a.dataset.plan = r.id;
          a.setAttribute("download", `schedule-${String(r.id).replace(/[^A-Za-z0-9_-]+/g, "-")}-keda.yaml`);
          a.textContent = c.link(r);
          td.append(a);
        } else if (c.cls) {
          const badge = document.createElement("span");
          badge.className = `badge ${c.cls(r)}`;
          badge.textContent = c.text(r);
          td.append(badge);
        } else td.textContent = c.text(r) ?? "–";
        tr.append(td);
      }
      tbody.append(tr);
    }
    table.replaceChildren(thead, tbody);
    const pages = Math.max(1, Math.ceil(this.rows.length / PAGE_ROWS));
    $("batch-page").textContent = `Page ${number(this.page + 1)} of ${number(pages)}`
      + ` · ${number(this.rows.length)} plans`;
    $("batch-prev").disabled = this.page === 0;
    $("batch-next").disabled = this.page >= pages - 1;
  }
}

function stat(box, label, value, key) {
  const item = document.createElement("div");
  item.className = "stat";
  const name = document.createElement("span");
  name.className = "stat-label";
  name.textContent = label;
  const number = document.createElement("span");
  number.className = "stat-value";
  number.dataset.key = key;
  number.textContent = value;
  item.append(name, number);
  box.append(item);
}

const countsText = (counts) => Object.entries(counts || {}).filter(([, n]) => n > 0)
  .map(([name, n]) => `${number(n)} ${humanize(name)}`).join(", ") || "–";

/** The batch job's result: plan counts and the portfolio totals. */
export function renderPortfolio(result) {
  const box = $("portfolio-stats");
  box.replaceChildren();
  const p = result?.portfolio || {};
  const totals = p.totals || {};
  stat(box, "Plans", `${number(result?.plans)} (${number(result?.failed)} failed)`, "plans");
  stat(box, "Risk", countsText(p.risk_counts), "risk_counts");
  stat(box, "Actions", countsText(p.action_counts), "action_counts");
  stat(box, "Total capacity", `${capacity(totals.current_capacity)} → ${capacity(totals.recommended_capacity)}`,
    "capacity");
  if (totals.cost) {
    stat(box, `Cost over the period`, `${number(totals.cost.current, 2)} → ${number(totals.cost.recommended, 2)}`,
      "cost");
  }
}
