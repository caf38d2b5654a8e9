// The banner above a result: what the API assumed to produce it, from its `assumptions: [{code, message}]`
// and `confidence: "low" | "normal"` fields only. Responses without them get no banner.

const $ = (id) => document.getElementById(id);

/** Every part of a response that may carry the fields: the body, its forecast, recommendation and analysis. */
function parts(body) {
  const analysis = body.analysis || null;
  return [body, body.forecast && !Array.isArray(body.forecast) ? body.forecast : null, body.recommendations,
    analysis, analysis?.recommendations, analysis?.summary].filter((p) => p && typeof p === "object");
}

/** {items: [{code, message}] (each once), low: any part says confidence "low"}. */
export function assumptionsOf(body) {
  const seen = new Set();
  const items = [];
  let low = false;
  for (const part of parts(body)) {
    if (part.confidence === "low") low = true;
    for (const a of Array.isArray(part.assumptions) ? part.assumptions : []) {
      const message = typeof a === "string" ? a : a?.message;
      const code = typeof a === "string" ? "" : String(a?.code ?? "");
      if (!message || seen.has(`${code}|${message}`)) continue;
      seen.add(`${code}|${message}`);
      items.push({ code, message: String(message) });
    }
  }
  return { items, low };
}

export function renderAssumptions(body) {
  const box = $("assumptions");
  const { items, low } = body ? assumptionsOf(body) : { items: [], low: false };
  box.hidden = !items.length && !low;
  if (box.hidden) return;
  box.classList.toggle("is-low", low);
  $("assumptions-title").textContent = low ? "Low confidence: check these before acting on the numbers"
    : "Assumed for this result";
  const list = items.length ? items
    : [{ code: "confidence", message: "The API rates this result's confidence as low." }];
  $("assumptions-list").replaceChildren(...list.map(({ code, message }) => {
    const li = document.createElement("li");
    li.textContent = message;
    if (code) li.dataset.code = code;
    return li;
  }));
}
