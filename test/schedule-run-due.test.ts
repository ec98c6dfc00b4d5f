import { afterEach, describe, expect, it } from "vitest";
import { outbox } from "../db/schema.ts";
import { answer } from "../src/chat.ts";
import { silentLogger, type Logger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { createProgram } from "../src/program/program.ts";
import { createRunDue } from "../src/schedule/run-due.ts";
import { INTERNS, scheduleHarness, scheduleProgram } from "./support/schedule.ts";

let h: Awaited<ReturnType<typeof scheduleHarness>>;
afterEach(async () => h && (await h.dispatcher.idle()));

const meeting = (extra: Record<string, unknown> = {}) => ({
  dated: [{ slug: "council-06-17", title: "City Council meeting", kind: "commission-meeting", at: "2026-06-17 18:00", place: "Council Chambers", reminders: ["1d@09:00", "1h"], audience: "interns", ...extra }],
});

function recordingLog() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    debug: (message, fields) => lines.push({ level: "debug", message, fields }),
    info: (message, fields) => lines.push({ level: "info", message, fields }),
    warn: (message, fields) => lines.push({ level: "warn", message, fields }),
    error: (message, fields) => lines.push({ level: "error", message, fields }),
  };
  return { log, lines };
}

describe("dated events", () => {
  it("reminds the audience at both lead times, each once", async () => {
    h = await scheduleHarness(scheduleProgram({ events: meeting() }));
    expect((await h.tick("2026-06-16T15:59:00Z")).sent).toEqual([]);
    const dayBefore = await h.tick("2026-06-16T16:00:00Z"); // Jun 16, 09:00 PDT
    expect(dayBefore.sent.map((s) => s.to).sort()).toEqual(INTERNS);
    expect(dayBefore.sent[0]!.text).toBe(
      "Reminder: City Council meeting\nCity Council meeting is tomorrow at 6:00 PM.\nWhen: Jun 17, 6:00 PM\nWhere: Council Chambers\nType `remind off` to stop reminders.",
    );
    expect((await h.tick("2026-06-16T16:01:00Z")).sent).toEqual([]);
    expect((await h.tick("2026-06-17T23:59:00Z")).sent).toEqual([]);
    const hourBefore = await h.tick("2026-06-18T00:00:00Z"); // Jun 17, 17:00 PDT
    expect(hourBefore.sent.map((s) => s.to).sort()).toEqual(INTERNS);
    // The two reminders differ: each says how far off the event is, in the program's time zone.
    expect(hourBefore.sent[0]!.text).toContain("\nCity Council meeting starts in 1 hour.\n");
    const keys = (await h.db.db.select({ key: outbox.key }).from(outbox)).map((r) => r.key);
    const ana = await h.person("ana@example.org");
    expect(keys).toContain(`reminder:council-06-17:2026-06-18T01:00:00.000Z:1h:person:${ana.id}`);
    expect(keys).toHaveLength(6);
  });

  it("reaches a department, or named people", async () => {
    h = await scheduleHarness(
      scheduleProgram({
        events: {
          dated: [
            { slug: "fire-visit", title: "Fire station visit", at: "2026-06-20 10:00", reminders: ["1h"], audience: { department: "fire" } },
            { slug: "pw-walk", title: "Public Works walk", at: "2026-06-20 10:00", reminders: ["1h"], audience: { people: ["Ana@Example.org", "max@example.org", "nobody@example.org"] } },
          ],
        },
      }),
    );
    const due = await h.tick("2026-06-20T16:00:00Z");
    expect(due.sent.filter((s) => s.text.includes("Fire")).map((s) => s.to).sort()).toEqual(["cal@example.org", "fay@example.org"]);
    expect(due.sent.filter((s) => s.text.includes("Public Works")).map((s) => s.to).sort()).toEqual(["ana@example.org", "max@example.org"]);
  });
});

describe("missed ticks and the grace window", () => {
  const events = { dated: [{ slug: "visit", title: "Site visit", at: "2026-06-25 09:30", reminders: ["1h", "15m"], audience: "interns" }] };

  it("after downtime shorter than the grace window, sends what fell due, once", async () => {
    h = await scheduleHarness(scheduleProgram({ events }));
    await h.tick("2026-06-25T15:20:00Z"); // 08:20 local, the last run before going down
    // Down 08:21-08:45: the 08:30 reminder is 15 minutes late, within 30.
    const back = await h.tick("2026-06-25T15:45:00Z");
    expect(back.sent.map((s) => s.to).sort()).toEqual(INTERNS);
    expect(back.skipped).toEqual([]);
  });

  it("after longer downtime, skips and logs what is older than the window, and still sends what is within it", async () => {
    const { log, lines } = recordingLog();
    h = await scheduleHarness(scheduleProgram({ events }), { log });
    await h.tick("2026-06-25T15:00:00Z"); // 08:00 local
    // Down until 09:20: the 08:30 reminder is 50 minutes old, the 09:15 one 5 minutes.
    const back = await h.tick("2026-06-25T16:20:00Z");
    expect(back.skipped).toEqual(["reminder:visit:2026-06-25T16:30:00.000Z:1h"]);
    expect(back.sent).toHaveLength(3);
    expect(back.sent[0]!.text).toContain("Reminder: Site visit");
    const warning = lines.find((l) => l.level === "warn")!;
    expect(warning.message).toMatch(/^skipped: fell due while Steps was not running/);
    expect(warning.fields).toMatchObject({ what: "reminder:visit:2026-06-25T16:30:00.000Z:1h", dueAt: "2026-06-25T15:30:00.000Z", graceMinutes: 30 });
    // Nothing of the skipped reminder is ever queued.
    expect((await h.tick("2026-06-25T16:21:00Z")).sent).toEqual([]);
  });

  it("with a grace of 0, sends what is due in the run's own minute and skips only what is older", async () => {
    h = await scheduleHarness(scheduleProgram({ events }), { graceMinutes: 0 });
    // The very first run, at the instant the 1h reminder is due (`run-due --at` from a system cron job).
    const atInstant = await h.tick("2026-06-25T15:30:00Z");
    expect(atInstant.sent.map((s) => s.to).sort()).toEqual(INTERNS);
    expect(atInstant.skipped).toEqual([]);
    // A tick that fires a few seconds into its minute is still on time.
    await h.tick("2026-06-25T16:14:00Z");
    const late = await h.tick("2026-06-25T16:15:02.250Z");
    expect(late.sent.map((s) => s.to).sort()).toEqual(INTERNS);
  });

  it("with a grace of 0, a missed tick's reminder is skipped", async () => {
    h = await scheduleHarness(scheduleProgram({ events }), { graceMinutes: 0 });
    await h.tick("2026-06-25T16:13:00Z");
    const back = await h.tick("2026-06-25T16:16:00Z");
    expect(back.skipped).toEqual(["reminder:visit:2026-06-25T16:30:00.000Z:15m"]);
    expect(back.sent).toEqual([]);
  });

  it("a reminder exactly as late as the grace window allows is still sent", async () => {
    h = await scheduleHarness(scheduleProgram({ events }), { graceMinutes: 10 });
    await h.tick("2026-06-25T15:00:00Z");
    const back = await h.tick("2026-06-25T15:40:00Z");
    expect(back.skipped).toEqual([]);
    expect(back.sent.map((s) => s.to).sort()).toEqual(INTERNS);
  });

  it("two programs, even of one name, keep their own last run, and each posts its digest to its own coordinators' channel", async () => {
    const summer = scheduleProgram({ program: { channels: { coordinators: { slack: "C-COORD" } } }, digest: { weekday: "monday", time: "08:00", send_to: "channel" } });
    h = await scheduleHarness(summer);
    const other = createProgram(summer.file, "other-program");
    const otherRun = createRunDue({ program: other, store: h.store.scoped(other.id), log: silentLogger, events: [], graceMinutes: 30 });
    const monday = new Date("2026-06-29T15:00:00Z"); // 08:00 PDT
    h.setTime(monday.toISOString());
    await h.runDue(monday);
    expect((await otherRun(monday)).queued).toBe(1);
    const channelItems = (await h.db.db.select({ recipient: outbox.recipient, payload: outbox.payload }).from(outbox)).filter((r) => r.recipient === "channel:coordinators");
    expect(channelItems.map((r) => (r.payload as { program?: string }).program).sort()).toEqual(["", "other-program"]);
  });

  it("a restarted process reads the last run from the database", async () => {
    h = await scheduleHarness(scheduleProgram({ events }), { graceMinutes: 10 });
    await h.tick("2026-06-25T15:00:00Z");
    const { log, lines } = recordingLog();
    const restarted = createRunDue({ program: scheduleProgram({ events }), store: h.store, log, events: [], graceMinutes: 10 });
    const result = await restarted(new Date("2026-06-25T15:45:00Z"));
    expect(result.from.toISOString()).toBe("2026-06-25T15:35:00.000Z");
    expect(result.skipped).toEqual([]);
    expect(lines.filter((l) => l.level === "warn")).toEqual([]);
    expect(await h.store.getSetting("schedule:last-run:program:")).toBe("2026-06-25T15:45:00.000Z");
  });

  it("reads a last run kept under the program's name, from before programs had ids", async () => {
    h = await scheduleHarness(scheduleProgram({ events }), { graceMinutes: 10 });
    await h.store.setSetting("schedule:last-run:test-steps", "2026-06-25T15:00:00.000Z");
    const result = await h.runDue(new Date("2026-06-25T15:05:00Z"));
    expect(result.from.toISOString()).toBe("2026-06-25T15:00:00.000Z");
    expect(await h.store.getSetting("schedule:last-run:program:")).toBe("2026-06-25T15:05:00.000Z");
  });

  it("with no last run, starts from the grace window; an earlier --at reruns its window and never moves the last run back", async () => {
    h = await scheduleHarness(scheduleProgram({ events }));
    const first = await h.runDue(new Date("2026-06-25T15:45:00Z"));
    expect(first.from.toISOString()).toBe("2026-06-25T15:15:00.000Z");
    expect(first.queued).toBe(3);
    // Rerunning an earlier instant looks at its own grace window; what was queued stays queued once.
    const earlier = await h.runDue(new Date("2026-06-25T15:30:00Z"));
    expect(earlier.from.toISOString()).toBe("2026-06-25T15:00:00.000Z");
    expect(earlier.queued).toBe(0);
    expect(await h.store.getSetting("schedule:last-run:program:")).toBe("2026-06-25T15:45:00.000Z");
  });
});

describe("quiet hours and opt-out", () => {
  const quietProgram = (events: unknown) => scheduleProgram({ events, program: { quiet_hours: { from: "19:00", to: "08:00" } } });

  it("moves a reminder that falls in quiet hours to their end, and drops one that would come after the start", async () => {
    h = await scheduleHarness(
      quietProgram({
        dated: [
          { slug: "early-visit", title: "Early site visit", at: "2026-06-25 08:30", reminders: ["1h"], audience: "interns" },
          { slug: "late-meeting", title: "Late meeting", at: "2026-06-25 20:00", reminders: ["1h", "1d@09:00"], audience: "interns" },
        ],
      }),
    );
    const day = await h.tick("2026-06-24T16:00:00Z"); // Jun 24 09:00: the late meeting's day-before reminder
    expect(day.sent.map((s) => s.text.split("\n")[0])).toEqual(Array(3).fill("Reminder: Late meeting"));
    expect((await h.tick("2026-06-25T14:30:00Z")).sent).toEqual([]); // 07:30 is quiet
    const moved = await h.tick("2026-06-25T15:00:00Z"); // 08:00
    expect(moved.sent.map((s) => s.text.split("\n")[0])).toEqual(Array(3).fill("Reminder: Early site visit"));
    expect((await h.tick("2026-06-26T02:00:00Z")).sent).toEqual([]); // 19:00: the late meeting's 1h reminder is dropped
    expect((await h.tick("2026-06-26T15:00:00Z")).sent).toEqual([]);
  });

  it("`remind off` stops reminders for that person and `remind on` brings them back", async () => {
    h = await scheduleHarness(scheduleProgram({ events: meeting() }));
    const ana = await h.person("ana@example.org");
    expect(toPlainText(await answer(h.core, ana, "remind off", silentLogger))).toBe("Reminders are off. Type `remind on` to get them again.");
    expect((await h.tick("2026-06-16T16:00:00Z")).sent.map((s) => s.to).sort()).toEqual(["ben@example.org", "cal@example.org"]);
    expect(toPlainText(await answer(h.core, (await h.person("ana@example.org"))!, "remind on", silentLogger))).toBe("Reminders are on.");
    expect((await h.tick("2026-06-18T00:00:00Z")).sent.map((s) => s.to).sort()).toEqual(INTERNS);
    expect(toPlainText(await answer(h.core, ana, "remind maybe", silentLogger))).toBe("Say `remind on` or `remind off`.");
  });
});
