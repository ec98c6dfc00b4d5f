import { TZDate } from "@date-fns/tz";
import ICAL from "ical.js";
import type { IcsSource } from "../program/schema.ts";
import type { ScheduledEvent } from "./occurrences.ts";

type Time = InstanceType<typeof ICAL.Time>;
type Timezone = InstanceType<typeof ICAL.Timezone>;

// Councils publish their meeting calendars as .ics. ical.js does the parsing
// and the RRULE/EXDATE/RECURRENCE-ID expansion; this file only turns its times
// into instants and its events into ScheduledEvents.

/** A recurring series is never expanded further than this many occurrences. */
const MAX_OCCURRENCES = 5_000;

export interface IcsResult {
  events: ScheduledEvent[];
  /** One line per file that could not be used, naming the file. */
  errors: string[];
}

/**
 * Parses every calendar; a malformed file is reported and skipped, and the
 * other files' events are unaffected.
 */
export function parseCalendars(files: { name: string; text: string; source: IcsSource }[], timeZone: string): IcsResult {
  const events: ScheduledEvent[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      events.push(...parseCalendar(file.text, file.name, file.source, timeZone));
    } catch (error) {
      errors.push(`${file.name}: not a usable iCalendar file (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return { events, errors };
}

export function parseCalendar(text: string, name: string, source: IcsSource, timeZone: string): ScheduledEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  if (calendar.name !== "vcalendar") throw new Error("it does not start with BEGIN:VCALENDAR");
  // Zones defined in the file are used for its times; others are read as IANA names.
  const zones = new Map<string, Timezone>();
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(vtimezone);
    zones.set(zone.tzid, zone);
  }
  const vevents = calendar.getAllSubcomponents("vevent");
  const exceptions = vevents.filter((v) => v.hasProperty("recurrence-id"));
  const masters = vevents.filter((v) => !v.hasProperty("recurrence-id"));
  return masters.map((vevent, i) => {
    const uid = String(vevent.getFirstPropertyValue("uid") ?? `${name}-${i + 1}`);
    const event = new ICAL.Event(vevent, { exceptions: exceptions.filter((e) => e.getFirstPropertyValue("uid") === uid) });
    const tzid = vevent.getFirstProperty("dtstart")?.getParameter("tzid") as string | undefined;
    const toInstant = (t: Time) => instantOf(t, tzid, zones, timeZone);
    // Reading the start and one step of the rule now surfaces a malformed value at load time, not at the first tick.
    let first: Date;
    try {
      first = toInstant(event.startDate);
      if (event.isRecurring()) event.iterator().next();
    } catch (error) {
      throw new Error(`event ${uid}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return {
      slug: `ics-${uid.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`,
      title: event.summary ?? "",
      place: event.location ?? "",
      reminders: source.reminders,
      audience: source.audience,
      starts(from, to) {
        if (!event.isRecurring()) return first >= from && first <= to ? [first] : [];
        const out: Date[] = [];
        const it = event.iterator();
        for (let n = 0, next = it.next(); next && n < MAX_OCCURRENCES; next = it.next(), n++) {
          const at = toInstant(event.getOccurrenceDetails(next).startDate);
          if (at > to) break;
          if (at >= from) out.push(at);
        }
        return out;
      },
    } satisfies ScheduledEvent;
  });
}

/**
 * UTC times are instants already; a zone defined in the file is applied by
 * ical.js; a TZID without a definition is taken as an IANA name; a floating
 * time (or all-day date) is in the program's time zone.
 */
function instantOf(t: Time, tzid: string | undefined, zones: Map<string, Timezone>, timeZone: string): Date {
  if (t.zone?.tzid === "UTC") return t.toJSDate();
  const defined = tzid ? zones.get(tzid) : undefined;
  if (defined) {
    // Expanded occurrences come back floating; the series' zone applies to each.
    const copy = t.clone();
    copy.zone = defined;
    return new Date(copy.toUnixTime() * 1000);
  }
  const zone = tzid && isIana(tzid) ? tzid : timeZone;
  return new Date(new TZDate(t.year, t.month - 1, t.day, t.isDate ? 0 : t.hour, t.isDate ? 0 : t.minute, t.isDate ? 0 : t.second, zone).getTime());
}

function isIana(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
