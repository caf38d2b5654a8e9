// The console's one number formatter: every card, message, table, chart tick, tooltip and label rounds here.
// It rounds as the API's Python text does (`f"{x:,.1f}"`, `f"{r:.1%}"`): the exact binary value, ties to
// even. So "18.25" is "18.2" both in a card and in a reason the API wrote ("toFixed" alone would say 18.3).

const DASH = "–";

/** `digits` decimals of |v| as Python's format would give them: exact value, an exact tie goes to even. */
function fixedHalfEven(abs, digits) {
  const text = abs.toFixed(digits);                        // exact value, a tie rounded up
  const exact = abs.toFixed(100);                          // every digit of the binary value for |v| < 1e21
  const tail = exact.slice(exact.indexOf(".") + 1 + digits);
  if (!/^50*$/.test(tail)) return text;                    // not a tie: toFixed is already right
  const scaled = BigInt(text.replace(".", ""));
  if (scaled % 2n === 0n) return text;                     // rounded up onto an even digit: keep
  const down = (scaled - 1n).toString().padStart(digits + 1, "0");
  return digits ? `${down.slice(0, -digits)}.${down.slice(-digits)}` : down;
}

function group(intText) {
  return intText.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** 1234.5 -> "1,234.5" with at most `digits` decimals (trailing zeros kept, as Python keeps them). */
export function number(value, digits = 0) {
  if (value === null || value === undefined || value === "") return DASH;
  const v = Number(value);
  if (!Number.isFinite(v)) return DASH;
  const abs = Math.abs(v);
  const text = abs >= 1e21 ? String(abs) : fixedHalfEven(abs, digits);
  const [int, frac] = text.split(".");
  const body = frac === undefined ? group(int) : `${group(int)}.${frac}`;
  return v < 0 && /[1-9]/.test(text) ? `-${body}` : body;
}

/** A capacity as the API's messages write it: whole numbers without decimals, others with two. */
export function capacity(value) {
  const v = Number(value);
  return number(v, Number.isInteger(v) ? 0 : 2);
}

/** A load per hour: whole units from 100 up, two decimals for small services. */
export function load(value) {
  return number(value, Math.abs(Number(value)) >= 100 ? 0 : 2);
}

/** A ratio as a percentage: 0.8125 -> "81.2%" (Python's `:.1%` multiplies by 100 first, and so do we). */
export function percentOf(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || !Number.isFinite(Number(ratio))) return DASH;
  return `${number(Number(ratio) * 100, digits)}%`;
}

/** A value already in percent: 18.25 -> "18.2%". */
export function percent(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return DASH;
  return `${number(value, digits)}%`;
}

/** "+" before a positive formatted value ("+1,062", "+18.2%"); the formatter already writes "-". */
export function signed(value, text) {
  return Number(value) > 0 && /[1-9]/.test(text) ? `+${text}` : text;
}

/** An API name ("scale_up", "average_based") for reading. */
export const humanize = (s) => String(s ?? DASH).replace(/_/g, " ");
