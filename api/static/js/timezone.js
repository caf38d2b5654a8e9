// The display time zone: the browser's own by default, any IANA zone by choice. The API speaks UTC;
// every time the console shows, and the hour typed beside the history, is in this zone, and says so.

const HOUR = 3600e3;
const STORE_KEY = "capplan.displayZone";
const WEEKDAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
export const DAY_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function isZone(name) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return Boolean(name);
  } catch {
    return false;
  }
}

function browserZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return isZone(zone) ? zone : "UTC";
}

function storedZone() {
  try {
    const zone = window.localStorage.getItem(STORE_KEY);
    return zone && isZone(zone) ? zone : null;
  } catch {
    return null;                                          // storage off (private mode): the browser's zone
  }
}

let zone = storedZone() || browserZone();
let partsFormat = null;
let nameFormat = null;
const partsCache = new Map();                              // ms -> parts in `zone`; charts ask for each hour often

function formats() {
  if (!partsFormat) {
    partsFormat = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", weekday: "short",
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    nameFormat = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" });
  }
  return { partsFormat, nameFormat };
}

export const displayZone = () => zone;

/** Choose the zone (remembered in this browser); false when the name is not a zone. */
export function setDisplayZone(name) {
  if (!isZone(name)) return false;
  zone = name;
  partsFormat = null;
  partsCache.clear();
  try {
    window.localStorage.setItem(STORE_KEY, name);
  } catch { /* not remembered: still used for this page */ }
  return true;
}

/** Every IANA zone the browser knows (UTC included), or just UTC and the current one where it cannot list them. */
export function zoneChoices() {
  const listed = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", browserZone(), zone, ...listed])].sort((a, b) => (a === "UTC" ? -1 : b === "UTC" ? 1
    : a.localeCompare(b)));
}

/** The wall-clock parts of an instant in the display zone; weekday 0 is Monday. */
export function localParts(ms) {
  let parts = partsCache.get(ms);
  if (parts) return parts;
  const out = {};
  for (const { type, value } of formats().partsFormat.formatToParts(new Date(ms))) out[type] = value;
  parts = { year: Number(out.year), month: out.month, monthIndex: MONTHS.indexOf(out.month), day: Number(out.day),
    hour: Number(out.hour), minute: Number(out.minute), weekday: WEEKDAYS[out.weekday] };
  if (partsCache.size > 20000) partsCache.clear();
  partsCache.set(ms, parts);
  return parts;
}

/** "GMT+1", "EST", "UTC": the zone's short name at that instant (it changes with summer time). */
export function zoneAbbrev(ms) {
  const part = formats().nameFormat.formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName");
  return part ? part.value : zone;
}

const pad = (n) => String(n).padStart(2, "0");

/** "14:00" in the display zone. */
export function fmtClock(ms) {
  const p = localParts(ms);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** "Mon 15 Jan" in the display zone. */
export function fmtDay(ms) {
  const p = localParts(ms);
  return `${DAY_SHORT[p.weekday]} ${p.day} ${p.month}`;
}

/** "Mon 15 Jan 14:00", with the zone's short name after it when `zoneName` (inline text). */
export function fmtTime(ms, { zoneName = false } = {}) {
  if (!Number.isFinite(ms)) return "–";
  const text = `${fmtDay(ms)} ${fmtClock(ms)}`;
  return zoneName ? `${text} ${zoneAbbrev(ms)}` : text;
}

/** The local calendar date of an instant, "2024-01-15", for grouping hours into days. */
export function dateKey(ms) {
  const p = localParts(ms);
  return `${p.year}-${pad(p.monthIndex + 1)}-${pad(p.day)}`;
}

/** The zone's offset from UTC at an instant, in ms (Paris in winter: +3600e3). */
function offsetAt(ms) {
  const p = localParts(ms);
  const wall = Date.UTC(p.year, p.monthIndex, p.day, p.hour, p.minute);
  return wall - Math.floor(ms / 60e3) * 60e3;
}

/**
 * A datetime-local value ("2024-01-15T10:00") read in the display zone, as epoch ms (NaN if unreadable).
 * A wall time that summer time skips reads as the instant an hour later; one it repeats, as the first.
 */
export function localInputToMs(value) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(String(value || ""));
  if (!m) return NaN;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // The offsets half a day either side: one of them holds at the instant, unless the wall time is skipped.
  const candidates = [wall - offsetAt(wall - 12 * HOUR), wall - offsetAt(wall + 12 * HOUR)];
  const valid = candidates.filter((t) => t + offsetAt(t) === wall);
  return valid.length ? Math.min(...valid) : candidates[0];
}

/** Epoch ms as a datetime-local value in the display zone. */
export function msToLocalInput(ms) {
  const p = localParts(ms);
  return `${p.year}-${pad(p.monthIndex + 1)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** Epoch ms as the API's naive UTC text, "2024-01-15T09:00:00". */
export const toApiUtc = (ms) => new Date(ms).toISOString().slice(0, 19);

/** "2024-01-15T12:00:00+01:00": an instant in the display zone, with its offset (for files people keep). */
export function isoLocal(ms) {
  const minutes = Math.round(offsetAt(ms) / 60e3);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${msToLocalInput(ms)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
