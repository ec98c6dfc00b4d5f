import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Program } from "../program/program.ts";
import { parseCalendars } from "./ics.ts";
import { datedEvent, weeklyEvent, type ScheduledEvent } from "./occurrences.ts";

/**
 * Every event the program schedules: weekly and dated ones from the file, and
 * those of its calendars (paths relative to the program file). A calendar that
 * cannot be read or parsed is reported by name; the rest still count.
 */
export async function loadEvents(program: Program, programDir: string): Promise<{ events: ScheduledEvent[]; errors: string[] }> {
  const { weekly, dated, ics } = program.file.events;
  const events = [...weekly.map((e) => weeklyEvent(e, program)), ...dated.map((e) => datedEvent(e, program))];
  const errors: string[] = [];
  const files: Parameters<typeof parseCalendars>[0] = [];
  for (const source of ics) {
    try {
      files.push({ name: source.file, text: await readFile(resolve(programDir, source.file), "utf8"), source });
    } catch (error) {
      errors.push(`${source.file}: cannot read the calendar (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  const calendars = parseCalendars(files, program.timeZone);
  return { events: [...events, ...calendars.events], errors: [...errors, ...calendars.errors] };
}
