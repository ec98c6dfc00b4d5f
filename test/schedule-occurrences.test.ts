import { afterEach, describe, expect, it } from "vitest";
import { atLocal, isQuiet, reminderInstant, sendInstant, weeklyEvent } from "../src/schedule/occurrences.ts";
import { INTERNS, scheduleHarness, scheduleProgram } from "./support/schedule.ts";

const TZ = "America/Los_Angeles";
const iso = (d: Date | null) => d?.toISOString() ?? null;
const at = (s: string) => new Date(s);

const lunch = (weekday: string, reminders = ["1d@09:00", "1h"]) => ({
  weekly: [{ slug: "lunch-and-learn", title: "Lunch-and-learn", weekday, time: "12:00", place: "City Hall Galleria", reminders, audience: "interns" }],
});

describe("wall-clock times across daylight-saving changes", () => {
  it("keeps a weekly event and its day-before 09:00 reminder at local time around spring-forward (2026-03-08)", () => {
    const event = weeklyEvent(scheduleProgram({ events: lunch("monday") }).file.events.weekly[0]!, scheduleProgram({ events: lunch("monday") }));
    const starts = event.starts(at("2026-02-28T00:00:00Z"), at("2026-03-17T00:00:00Z"));
    // 12:00 PST is 20:00Z; 12:00 PDT is 19:00Z.
    expect(starts.map(iso)).toEqual(["2026-03-02T20:00:00.000Z", "2026-03-09T19:00:00.000Z", "2026-03-16T19:00:00.000Z"]);
    // The day-before reminder for 3/9 falls on the change day itself: 09:00 PDT.
    expect(starts.map((s) => iso(reminderInstant(s, "1d@09:00", TZ)))).toEqual(["2026-03-01T17:00:00.000Z", "2026-03-08T16:00:00.000Z", "2026-03-15T16:00:00.000Z"]);
    expect(starts.map((s) => iso(reminderInstant(s, "1h", TZ)))).toEqual(["2026-03-02T19:00:00.000Z", "2026-03-09T18:00:00.000Z", "2026-03-16T18:00:00.000Z"]);
  });

  it("keeps them at local time around fall-back (2026-11-01)", () => {
    const program = scheduleProgram({ events: lunch("monday") });
    const starts = weeklyEvent(program.file.events.weekly[0]!, program).starts(at("2026-10-24T00:00:00Z"), at("2026-11-03T00:00:00Z"));
    expect(starts.map(iso)).toEqual(["2026-10-26T19:00:00.000Z", "2026-11-02T20:00:00.000Z"]);
    expect(starts.map((s) => iso(reminderInstant(s, "1d@09:00", TZ)))).toEqual(["2026-10-25T16:00:00.000Z", "2026-11-01T17:00:00.000Z"]);
  });

  it("moves a local time that does not exist forward, and takes the first of a repeated one", () => {
    expect(iso(atLocal({ year: 2026, month: 2, day: 8 }, "02:30", TZ))).toBe("2026-03-08T10:30:00.000Z"); // 03:30 PDT
    expect(iso(atLocal({ year: 2026, month: 10, day: 1 }, "01:30", TZ))).toBe("2026-11-01T08:30:00.000Z"); // 01:30 PDT, not PST
  });

  it("limits weekly events to the program's dates", () => {
    const program = scheduleProgram({ events: lunch("wednesday"), program: { start: "2026-06-15", end: "2026-06-30" } });
    const starts = weeklyEvent(program.file.events.weekly[0]!, program).starts(at("2026-06-01T00:00:00Z"), at("2026-07-31T00:00:00Z"));
    expect(starts.map(iso)).toEqual(["2026-06-17T19:00:00.000Z", "2026-06-24T19:00:00.000Z"]);
  });
});

describe("quiet hours", () => {
  const quiet = { from: "19:00", to: "08:00" };
  it("knows the hours that wrap past midnight", () => {
    expect(isQuiet(at("2026-06-17T01:59:00Z"), quiet, TZ)).toBe(false); // 18:59 PDT
    expect(isQuiet(at("2026-06-17T02:00:00Z"), quiet, TZ)).toBe(true); // 19:00
    expect(isQuiet(at("2026-06-17T14:59:00Z"), quiet, TZ)).toBe(true); // 07:59
    expect(isQuiet(at("2026-06-17T15:00:00Z"), quiet, TZ)).toBe(false); // 08:00
  });
  it("moves a quiet reminder to 08:00, or drops it when the event has started by then", () => {
    // 09:30 site visit, reminded 07:30 -> 08:00.
    expect(iso(sendInstant(at("2026-06-25T14:30:00Z"), at("2026-06-25T16:30:00Z"), quiet, TZ))).toBe("2026-06-25T15:00:00.000Z");
    // 20:00 meeting reminded at 19:00 -> 08:00 the next day is after it: dropped.
    expect(sendInstant(at("2026-06-26T02:00:00Z"), at("2026-06-26T03:00:00Z"), quiet, TZ)).toBeNull();
  });
});

describe("runDue across the daylight-saving weeks", () => {
  let h: Awaited<ReturnType<typeof scheduleHarness>>;
  afterEach(async () => h && (await h.dispatcher.idle()));

  /** Ticks one minute before and at each instant: nothing early, everything on the minute. */
  async function expectFiresAt(instants: string[]) {
    for (const when of instants) {
      const early = await h.tick(new Date(Date.parse(when) - 60_000).toISOString());
      expect(early.sent, `nothing before ${when}`).toEqual([]);
      const onTime = await h.tick(when);
      expect(onTime.sent.map((s) => s.to).sort(), `interns at ${when}`).toEqual(INTERNS);
    }
  }

  it("spring-forward week: Monday lunch-and-learn reminders at exact UTC instants", async () => {
    h = await scheduleHarness(scheduleProgram({ events: lunch("monday") }));
    await expectFiresAt(["2026-03-01T17:00:00.000Z", "2026-03-02T19:00:00.000Z", "2026-03-08T16:00:00.000Z", "2026-03-09T18:00:00.000Z"]);
  });

  it("fall-back week: the same reminders an hour later in UTC", async () => {
    h = await scheduleHarness(scheduleProgram({ events: lunch("monday") }));
    await expectFiresAt(["2026-10-25T16:00:00.000Z", "2026-10-26T18:00:00.000Z", "2026-11-01T17:00:00.000Z", "2026-11-02T19:00:00.000Z"]);
  });

  it("a reminder at a repeated local time (01:30 on 2026-11-01) fires once", async () => {
    h = await scheduleHarness(scheduleProgram({ events: lunch("monday", ["1d@01:30"]) }));
    const first = await h.tick("2026-11-01T08:30:00.000Z"); // 01:30 PDT
    expect(first.sent).toHaveLength(3);
    const repeat = await h.tick("2026-11-01T09:30:00.000Z"); // 01:30 PST
    expect(repeat.sent).toEqual([]);
  });

  it("a reminder at a skipped local time (02:30 on 2026-03-08) fires at 03:30 PDT", async () => {
    h = await scheduleHarness(scheduleProgram({ events: lunch("monday", ["1d@02:30"]) }));
    expect((await h.tick("2026-03-08T10:29:00.000Z")).sent).toEqual([]);
    expect((await h.tick("2026-03-08T10:30:00.000Z")).sent).toHaveLength(3);
  });
});
