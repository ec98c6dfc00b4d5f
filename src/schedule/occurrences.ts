import { TZDate } from "@date-fns/tz";
import { addDays, addMinutes } from "date-fns";
import type { Program } from "../program/program.ts";
import { weekdays, type Audience, type DatedEvent, type WeeklyEvent } from "../program/schema.ts";

// All wall-clock arithmetic happens on calendar days in the program's time
// zone, never by adding 24-hour steps to instants: that is what keeps a 09:00
// reminder at 09:00 local across a daylight-saving change.

/** An event the scheduler knows, whether it came from the program file or an .ics file. */
export interface ScheduledEvent {
  slug: string;
  /** Empty when a calendar's event has no title: the reminder then says "an event" in the person's language. */
  title: string;
  /** The program file's translations of the title, by language. */
  translations?: { title?: Record<string, string> };
  place: string;
  reminders: string[];
  audience: Audience;
  /** Start instants within [from, to]. */
  starts(from: Date, to: Date): Date[];
}

export interface LocalDay {
  year: number;
  /** 0-based, like Date. */
  month: number;
  day: number;
}

/**
 * The instant of a local wall-clock time. A time skipped by spring-forward is
 * moved forward by the gap (02:30 becomes 03:30); a time repeated by fall-back
 * is its first occurrence, so it fires once.
 */
export function atLocal(day: LocalDay, time: string, timeZone: string): Date {
  const [hours, minutes] = time.split(":").map(Number) as [number, number];
  return new Date(new TZDate(day.year, day.month, day.day, hours, minutes, timeZone).getTime());
}

export function localDayOf(at: Date, timeZone: string): LocalDay {
  const local = new TZDate(at.getTime(), timeZone);
  return { year: local.getFullYear(), month: local.getMonth(), day: local.getDate() };
}

export function shiftDay(day: LocalDay, days: number): LocalDay {
  // Plain UTC calendar arithmetic: days, not hours, so no time zone is involved.
  const d = new Date(Date.UTC(day.year, day.month, day.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate() };
}

export function parseDay(iso: string): LocalDay {
  const [year, month, day] = iso.split("-").map(Number) as [number, number, number];
  return { year, month: month - 1, day };
}

export function formatLocalDay(day: LocalDay): string {
  return `${day.year}-${String(day.month + 1).padStart(2, "0")}-${String(day.day).padStart(2, "0")}`;
}

const weekdayOf = (day: LocalDay) => new Date(Date.UTC(day.year, day.month, day.day)).getUTCDay();

/**
 * Instants of a wall-clock time on that weekday (or every day) within
 * [from, to], limited to the local days first..last (inclusive) when given.
 */
export function weeklyInstants(
  weekday: (typeof weekdays)[number] | "daily",
  time: string,
  timeZone: string,
  from: Date,
  to: Date,
  bounds: { first?: string; last?: string } = {},
): Date[] {
  const wanted = weekday === "daily" ? null : weekdays.indexOf(weekday);
  const out: Date[] = [];
  const first = bounds.first ?? "0000-00-00";
  const last = bounds.last ?? "9999-99-99";
  // One day of margin each side: the local day of an instant can differ from its UTC day.
  for (let day = shiftDay(localDayOf(from, timeZone), -1); ; day = shiftDay(day, 1)) {
    const at = atLocal(day, time, timeZone);
    if (at > addDays(to, 1)) break;
    const label = formatLocalDay(day);
    if ((wanted === null || weekdayOf(day) === wanted) && label >= first && label <= last && at >= from && at <= to) out.push(at);
  }
  return out;
}

export function weeklyEvent(event: WeeklyEvent, program: Program): ScheduledEvent {
  const { start, end } = program.file.program;
  return {
    ...event,
    starts: (from, to) => weeklyInstants(event.weekday, event.time, program.timeZone, from, to, { first: start, last: end }),
  };
}

export function datedEvent(event: DatedEvent, program: Program): ScheduledEvent {
  const [date, time] = event.at.split(/[T ]/) as [string, string];
  const at = atLocal(parseDay(date), time, program.timeZone);
  return { ...event, starts: (from, to) => (at >= from && at <= to ? [at] : []) };
}

const LEAD = /^(?:(\d+)([mh])|(\d+)d@(\d\d:\d\d))$/;

/** When a reminder with this lead time fires for an event starting at `start`. */
export function reminderInstant(start: Date, lead: string, timeZone: string): Date {
  const m = LEAD.exec(lead);
  if (!m) throw new Error(`not a lead time: ${lead}`);
  if (m[1]) return addMinutes(start, -Number(m[1]) * (m[2] === "h" ? 60 : 1));
  return atLocal(shiftDay(localDayOf(start, timeZone), -Number(m[3])), m[4]!, timeZone);
}

/** How far before an event a lead time can reach, so a scan looks far enough ahead. */
export function leadReachMs(lead: string): number {
  const m = LEAD.exec(lead);
  if (!m) return 0;
  if (m[1]) return Number(m[1]) * (m[2] === "h" ? 3_600_000 : 60_000);
  return (Number(m[3]) + 1) * 86_400_000;
}

export interface QuietHours {
  from: string;
  to: string;
}

const minuteOfDay = (time: string) => {
  const [h, m] = time.split(":").map(Number) as [number, number];
  return h * 60 + m;
};

export function isQuiet(at: Date, quiet: QuietHours, timeZone: string): boolean {
  const local = new TZDate(at.getTime(), timeZone);
  const now = local.getHours() * 60 + local.getMinutes();
  const from = minuteOfDay(quiet.from);
  const to = minuteOfDay(quiet.to);
  if (from === to) return false;
  // "19:00 to 08:00" wraps past midnight.
  return from < to ? now >= from && now < to : now >= from || now < to;
}

/** The first moment after `at` when quiet hours are over. */
export function endOfQuiet(at: Date, quiet: QuietHours, timeZone: string): Date {
  const today = localDayOf(at, timeZone);
  const candidate = atLocal(today, quiet.to, timeZone);
  return candidate > at ? candidate : atLocal(shiftDay(today, 1), quiet.to, timeZone);
}

/**
 * When a reminder is actually sent: a reminder falling in quiet hours moves to
 * the end of them, unless the event has started by then, in which case it is
 * dropped (null) — a reminder after the start would only be noise.
 */
export function sendInstant(reminder: Date, start: Date, quiet: QuietHours, timeZone: string): Date | null {
  if (!isQuiet(reminder, quiet, timeZone)) return reminder;
  const moved = endOfQuiet(reminder, quiet, timeZone);
  return moved < start ? moved : null;
}
