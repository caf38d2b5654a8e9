// The forecast-source card: what served the forecast and from what, in plain words; the backtest statistics
// and the model's notes stay behind a "Statistics and notes" toggle.
import { fillList, show } from "./cards.js";
import { humanize, number, percentOf } from "./format.js";

const $ = (id) => document.getElementById(id);

const SERVED_BY = {
  attention_bilstm: "the neural network",
  seasonal_naive: "last week repeated",
  seasonal_naive_then_attention_bilstm: "last week repeated, handing over to the neural network",
  seasonal_trend: "your weekly pattern at its recent level and trend",
  legacy_attention_lstm: "the older neural network",
};

function basedOn(fc) {
  if (fc.history_source !== "provided") return "no history: a generic weekly profile scaled to your current load";
  const gaps = fc.gaps_filled ? `, ${number(fc.gaps_filled)} missing filled in` : "";
  return `your history: ${number(fc.history_hours)} hours${gaps}`;
}

function tested(fc) {
  const bt = fc.backtest;
  if (bt) return `yes, on the last ${number(bt.hours)} hours of your history`;
  return fc.history_source === "provided" ? "no: too little history to test on" : "no: no history to test on";
}

const stat = (bt, key, digits = 2) => (bt?.[key] === undefined || bt?.[key] === null ? undefined
  : number(bt[key], digits));

/** Which method served the forecast, from which history, and the statistics behind the choice. */
export function renderSource(fc) {
  const bt = fc.backtest;
  fillList($("method-list"), [
    ["Forecast by", SERVED_BY[fc.method] || humanize(fc.method), "method"],
    ["Based on", basedOn(fc), "history_source"],
    ["Tested against your history", tested(fc), "backtested"],
  ]);
  fillList($("method-stats"), [
    ["Method (API name)", fc.method, "method_name"],
    ["Model", fc.model ? `${fc.model.name ?? ""} ${fc.model.version ?? ""}`.trim() || undefined : undefined,
      "model_version"],
    ["Hours of history", fc.history_hours === undefined ? undefined : number(fc.history_hours), "history_hours"],
    ["Missing hours filled", fc.gaps_filled === undefined ? undefined : number(fc.gaps_filled), "gaps_filled"],
    ["Padded hours", fc.padded_hours ? number(fc.padded_hours) : undefined, "padded_hours"],
    ["MASE, neural network", stat(bt, "mase_model"), "mase_model"],
    ["MASE, last week repeated", stat(bt, "mase_seasonal_naive"), "mase_seasonal_naive"],
    ["MASE, weekly pattern with trend", stat(bt, "mase_seasonal_trend"), "mase_seasonal_trend"],
    ["Day-level persistence", stat(bt, "level_persistence"), "level_persistence"],
    ["Day-level spread", bt?.level_spread === undefined ? undefined : percentOf(bt.level_spread), "level_spread"],
    ["Band coverage", bt?.coverage === undefined ? undefined : percentOf(bt.coverage, 0), "coverage"],
  ]);
  $("method-glossary").hidden = !bt;
  $("method-notes").replaceChildren(...(fc.notes || []).map((n) => {
    const li = document.createElement("li");
    li.textContent = n;
    return li;
  }));
  show("card-method", true);
}
