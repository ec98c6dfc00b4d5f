import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseProgramFile } from "../src/program/load.ts";
import { parseCalendars } from "../src/schedule/ics.ts";
import { loadEvents } from "../src/schedule/events.ts";
import { INTERNS, scheduleHarness, scheduleProgram } from "./support/schedule.ts";

const TZ = "America/Los_Angeles";
const source = { file: "council.ics", reminders: ["1h"], audience: "interns" as const };
const read = (name: string) => ({ name, text: readFileSync(`test/fixtures/ics/${name}`, "utf8"), source: { ...source, file: name } });
const year = [new Date("2026-01-01T00:00:00Z"), new Date("2027-01-01T00:00:00Z")] as const;

describe(".ics calendars", () => {
  it("expands RRULE with EXDATE and a moved occurrence, in the calendar's own VTIMEZONE", () => {
    const { events, errors } = parseCalendars([read("council.ics")], TZ);
    expect(errors).toEqual([]);
    const council = events.find((e) => e.title === "City Council meeting")!;
    expect(council.slug).toBe("ics-council-regular-cityofwestsacramento-org");
    expect(council.place).toBe("City Hall Council Chambers");
    // Third Wednesdays at 18:00 local, 6 of them; August is cancelled, July moved to Thursday 17:00; November is PST.
    expect(council.starts(...year).map((d) => d.toISOString())).toEqual([
      "2026-06-18T01:00:00.000Z",
      "2026-07-17T00:00:00.000Z",
      "2026-09-17T01:00:00.000Z",
      "2026-10-22T01:00:00.000Z",
      "2026-11-19T02:00:00.000Z",
    ]);
    // Only the occurrences inside the window.
    expect(council.starts(new Date("2026-09-01T00:00:00Z"), new Date("2026-10-01T00:00:00Z"))).toHaveLength(1);
  });

  it("reads an IANA TZID without a VTIMEZONE, and UTC times", () => {
    const { events } = parseCalendars([read("council.ics")], TZ);
    expect(events.find((e) => e.title === "Planning Commission meeting")!.starts(...year).map((d) => d.toISOString())).toEqual(["2026-07-03T02:00:00.000Z"]);
    expect(events.find((e) => e.title === "Budget workshop")!.starts(...year).map((d) => d.toISOString())).toEqual(["2026-06-10T01:00:00.000Z"]);
  });

  it("names a malformed file, and the other files' events still count", () => {
    const { events, errors } = parseCalendars([read("broken.ics"), read("council.ics"), read("unterminated.ics"), { name: "notes.txt", text: "hello", source }], TZ);
    expect(events).toHaveLength(3);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^broken\.ics: not a usable iCalendar file \(event broken@x: /);
    expect(errors[1]).toMatch(/^unterminated\.ics: not a usable iCalendar file/);
    expect(errors[2]).toMatch(/^notes\.txt: not a usable iCalendar file/);
  });

  it("loads calendars named in the program file next to its own events; a missing file is named", async () => {
    const program = scheduleProgram({
      events: {
        dated: [{ slug: "visit-port", title: "Port visit", at: "2026-07-23 09:00" }],
        ics: ["council.ics", { file: "broken.ics", audience: "interns" }, "missing.ics"],
      },
    });
    const { events, errors } = await loadEvents(program, "test/fixtures/ics");
    expect(events.map((e) => e.title)).toEqual(["Port visit", "City Council meeting", "Planning Commission meeting", "Budget workshop"]);
    expect(errors).toEqual([expect.stringMatching(/^missing\.ics: cannot read the calendar \(ENOENT\)$/), expect.stringMatching(/^broken\.ics: /)]);
    // A bare path gets the default reminders and audience.
    expect(events[1]).toMatchObject({ reminders: ["1d@09:00", "1h"], audience: "everyone" });
  });

  it("the program file says what is wrong with a calendar entry or a lead time", () => {
    const result = parseProgramFile(
      "program: { name: P, organization: O, time_zone: America/Los_Angeles, start: 2026-06-15, end: 2026-08-07 }\n" +
        "departments: [{ slug: fire, name: Fire }]\n" +
        "playlists: [{ slug: p, title: P, scope: program, badge: { name: B, image: b.svg, criteria: C }, tasks: [{ slug: t, title: T }] }]\n" +
        "events:\n  ics: [{ path: council.ics }]\n  dated: [{ slug: d, title: D, at: '2026-07-01 10:00', reminders: ['2 days'] }]\n",
      "p.yml",
    );
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.map((e) => `${e.line} ${e.path}: ${e.message}`);
    expect(errors).toEqual([
      "5 events.ics[0]: use a file path relative to this file, or { file, reminders, audience }",
      '6 events.dated[0].reminders[0]: use "30m", "1h" or "1d@09:00"',
    ]);
  });

  describe("reminders from a calendar", () => {
    let h: Awaited<ReturnType<typeof scheduleHarness>>;
    afterEach(async () => h && (await h.dispatcher.idle()));
    it("reminds the audience an hour before a calendar meeting", async () => {
      h = await scheduleHarness(scheduleProgram({ events: { ics: [{ file: "council.ics", reminders: ["1h"], audience: "interns" }, "broken.ics"] } }));
      expect(h.errors).toHaveLength(1);
      expect((await h.tick("2026-07-03T00:59:00Z")).sent).toEqual([]);
      const due = await h.tick("2026-07-03T01:00:00Z");
      expect(due.sent.map((s) => s.to).sort()).toEqual(INTERNS);
      expect(due.sent[0]!.text).toContain("Reminder: Planning Commission meeting");
      expect(due.sent[0]!.text).toContain("Jul 2, 7:00 PM");
    });
  });
});
