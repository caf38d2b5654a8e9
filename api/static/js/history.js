// Reading a pasted or uploaded history: plain hourly numbers, or CSV rows `timestamp,load`.

export const MAX_FILE_BYTES = 20 * 1024 * 1024;

/** A timestamp string the API sends (naive UTC) or the user typed, as epoch milliseconds. */
export function parseUtc(text) {
  const s = String(text).trim().replace(" ", "T");
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(s);
  const ms = Date.parse(hasZone ? s : `${s}Z`);
  return Number.isFinite(ms) ? ms : NaN;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function toNumber(token) {
  const t = token.trim();
  return NUMBER.test(t) ? Number(t) : NaN;
}

function splitRow(line) {
  return line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
}

function looksLikeTimestamp(cell) {
  return /^\d{4}-\d\d-\d\d/.test(cell) && Number.isFinite(parseUtc(cell));
}

/** Columns of a header row, or null when the first row is data. */
function headerColumns(cells) {
  if (cells.some((c) => Number.isFinite(toNumber(c)) || looksLikeTimestamp(c))) return null;
  const lower = cells.map((c) => c.toLowerCase());
  const ts = lower.findIndex((c) => /time|date|hour/.test(c));
  const load = lower.findIndex((c, i) => i !== ts && /load|value|count|requests|transactions/.test(c));
  return { ts: ts >= 0 ? ts : 0, load: load >= 0 ? load : 1 };
}

function parsePoints(lines, cols) {
  const points = [];
  for (const [index, line] of lines) {
    const cells = splitRow(line);
    const ts = cells[cols.ts];
    const load = toNumber(cells[cols.load] ?? "");
    if (!ts || !Number.isFinite(parseUtc(ts))) return { error: `line ${index}: "${ts ?? ""}" is not a timestamp` };
    if (!Number.isFinite(load)) return { error: `line ${index}: "${cells[cols.load] ?? ""}" is not a number` };
    points.push({ timestamp: ts.replace(" ", "T"), load });
  }
  return { points };
}

function parseNumbers(lines) {
  const values = [];
  for (const [index, line] of lines) {
    for (const token of line.split(/[\s,;]+/)) {
      if (!token) continue;
      const v = toNumber(token);
      if (!Number.isFinite(v)) return { error: `line ${index}: "${token.slice(0, 40)}" is not a number` };
      values.push(v);
    }
  }
  return { values };
}

/**
 * Parse history text. Returns {history, count, kind, lastLoad} ready to send as `history` (with firstMs and
 * lastMs for timestamped rows), {error} when a line cannot be read, or null when the text is empty.
 * Timestamps without a zone are UTC, as the API reads them.
 */
export function parseHistory(text) {
  const lines = [];
  String(text || "").split(/\r?\n/).forEach((line, i) => {
    if (line.trim() && !line.trim().startsWith("#")) lines.push([i + 1, line]);
  });
  if (lines.length === 0) return null;

  const firstCells = splitRow(lines[0][1]);
  const header = headerColumns(firstCells);
  const dataLines = header ? lines.slice(1) : lines;
  if (dataLines.length === 0) return { error: "only a header: no rows to read" };
  const first = splitRow(dataLines[0][1]);
  const cols = header || (first.length >= 2 && looksLikeTimestamp(first[0]) ? { ts: 0, load: 1 } : null);

  if (cols) {
    const { points, error } = parsePoints(dataLines, cols);
    if (error) return { error };
    return { history: points, count: points.length, kind: "points", lastLoad: points[points.length - 1].load,
      firstMs: parseUtc(points[0].timestamp), lastMs: Math.max(...points.map((p) => parseUtc(p.timestamp))) };
  }
  const { values, error } = parseNumbers(dataLines);
  if (error) return { error };
  return { history: values, count: values.length, kind: "values", lastLoad: values[values.length - 1] };
}

/**
 * The history as chart points {x: ms, y}: timestamped rows keep their times; plain values end at
 * `lastMs` (the last observed hour the API reports) and step back one hour each.
 */
export function historySeries(parsed, lastMs, maxPoints) {
  if (!parsed || !parsed.history) return [];
  const HOUR = 3600e3;
  if (parsed.kind === "points") {
    return parsed.history.slice(-maxPoints).map((p) => ({ x: parseUtc(p.timestamp), y: p.load }));
  }
  const tail = parsed.history.slice(-maxPoints);
  return tail.map((y, i) => ({ x: lastMs - (tail.length - 1 - i) * HOUR, y }));
}
