// Averages by hour of day and by day of week, from the forecast's whole local days only.
// A day cut by the forecast's start or end would mix two dates into one hour of day (a 24-hour forecast
// from 11:00 has no whole day); the day of week needs all seven weekdays whole. Otherwise: a note says why.
import { dateKey, displayZone, fmtTime, localParts } from "./timezone.js";

const HOUR = 3600e3;

function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** The local days the points cover from their first hour to their last, each as [points]. */
function wholeDays(points) {
  const days = new Map();
  for (const p of points) {
    const key = dateKey(p.ms);
    if (!days.has(key)) days.set(key, []);
    days.get(key).push(p);
  }
  const first = points[0].ms;
  const last = points[points.length - 1].ms;
  return [...days.entries()].filter(([key]) => (key !== dateKey(first) || dateKey(first - HOUR) !== key)
    && (key !== dateKey(last) || dateKey(last + HOUR) !== key)).map(([, day]) => day);
}

/**
 * {byHour: [24] | null, byDay: [7] | null, days, hourNote, dayNote}: average median load per local hour and
 * weekday (Monday first) over whole days; a null chart comes with the note that says why it is hidden.
 */
export function patternsOf(points) {
  const days = wholeDays(points);
  const zone = displayZone();
  const span = `${fmtTime(points[0].ms)} to ${fmtTime(points[points.length - 1].ms)}`;
  const out = { byHour: null, byDay: null, days: days.length, hourNote: "", dayNote: "" };
  if (days.length) {
    const hours = Array.from({ length: 24 }, () => []);
    for (const p of days.flat()) hours[localParts(p.ms).hour].push(p.predicted_load);
    out.byHour = hours.map(mean);
  } else {
    out.hourNote = `Hidden: averages by hour of day need a whole day, midnight to midnight (${zone}); `
      + `this forecast runs from ${span}.`;
  }
  const weekdays = Array.from({ length: 7 }, () => []);
  for (const day of days) weekdays[localParts(day[0].ms).weekday].push(...day.map((p) => p.predicted_load));
  if (weekdays.every((w) => w.length)) out.byDay = weekdays.map(mean);
  else {
    const whole = days.length === 1 ? "1 whole day" : `${days.length} whole days`;
    out.dayNote = `Hidden: averages by day of week need seven whole days (${zone}); this forecast has ${whole}`
      + ` (${span}).`;
  }
  return out;
}
