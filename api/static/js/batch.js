// Batch of plans: read the CSV, run the job, show its per-plan results sortable by risk and saving.
import { fmtNumber } from "./charts.js";
import { humanize } from "./cards.js";

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

// Per-plan result fields, read defensively: a failed plan carries only its id and error.
const riskOf = (r) => r.risk_level ?? r.analysis?.risk_assessment?.risk_level ?? r.risk_assessment?.risk_level;
const recOf = (r) => r.recommendations ?? r.analysis?.recommendations ?? r.recommendation ?? r;
const savingOf = (r) => r.saving ?? r.savings ?? r.cost_saving ?? r.analysis?.saving ?? null;

const COLUMNS = [
  { key: "id", label: "Plan", value: (r) => r.id, text: (r) => r.id },
  { key: "risk", label: "Risk", sortable: true, value: (r) => RISK_RANK[riskOf(r)] ?? 0,
    text: (r) => (r.error ? "error" : humanize(riskOf(r))), cls: (r) => `level-${r.error ? "error" : riskOf(r)}` },
  { key: "action", label: "Action", value: (r) => recOf(r).action, text: (r) => (r.error ? "–" : humanize(recOf(r).action)) },
  { key: "current", label: "Current", numeric: true, value: (r) => recOf(r).current_capacity,
    text: (r) => fmtNumber(recOf(r).current_capacity) },
  { key: "recommended", label: "Recommended", numeric: true, sortable: true, value: (r) => recOf(r).recommended_capacity,
    text: (r) => fmtNumber(recOf(r).recommended_capacity) },
  { key: "change", label: "Change", numeric: true, sortable: true, value: (r) => recOf(r).capacity_change_percent,
    text: (r) => (r.error ? "–" : `${fmtNumber(recOf(r).capacity_change_percent, 1)}%`) },
  { key: "saving", label: "Saving", numeric: true, sortable: true, value: savingOf,
    text: (r) => fmtNumber(savingOf(r), 2) },
  { key: "error", label: "Error", value: (r) => r.error?.message ?? r.error ?? "",
    text: (r) => (typeof r.error === "object" ? r.error?.message : r.error) ?? "" },
];

export class BatchTable {
  constructor(rows) {
    this.rows = rows;
    this.sort = { key: "risk", dir: -1 };
    this.page = 0;
    this.apply();
  }

  apply() {
    const col = COLUMNS.find((c) => c.key === this.sort.key);
    const val = (r) => col.value(r) ?? -Infinity;
    this.rows.sort((a, b) => (val(a) > val(b) ? 1 : val(a) < val(b) ? -1 : 0) * this.sort.dir);
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
        td.textContent = c.text(r) ?? "–";
        td.dataset.col = c.key;
        if (c.numeric) td.classList.add("num");
        if (c.cls) td.classList.add("cell-badge", c.cls(r));
        tr.append(td);
      }
      tbody.append(tr);
    }
    table.replaceChildren(thead, tbody);
    const pages = Math.max(1, Math.ceil(this.rows.length / PAGE_ROWS));
    $("batch-page").textContent = `Page ${this.page + 1} of ${pages} · ${this.rows.length.toLocaleString()} plans`;
    $("batch-prev").disabled = this.page === 0;
    $("batch-next").disabled = this.page >= pages - 1;
  }
}

/** The job's portfolio summary as label/value rows. */
export function renderPortfolio(portfolio) {
  const dl = $("portfolio-list");
  dl.replaceChildren();
  for (const [key, value] of Object.entries(portfolio || {})) {
    if (value === null || typeof value === "object") continue;
    const dt = document.createElement("dt");
    dt.textContent = humanize(key);
    const dd = document.createElement("dd");
    dd.dataset.key = key;
    dd.textContent = typeof value === "number" ? fmtNumber(value, 2) : humanize(value);
    dl.append(dt, dd);
  }
}
