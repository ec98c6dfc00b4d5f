import { afterAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../db/client.ts";
import { outbox } from "../db/schema.ts";
import { createStore } from "../db/store.ts";
import { createDispatcher } from "../src/delivery/dispatcher.ts";
import { importRoster } from "../src/domain/roster.ts";
import { silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { loadEvents } from "../src/schedule/events.ts";
import { createRunDue } from "../src/schedule/run-due.ts";
import { onPostgres, resetDb } from "./support/db.ts";
import { recordingTransport, type Sent } from "./support/harness.ts";
import { rosterCsv } from "./support/program.ts";
import { scheduleProgram } from "./support/schedule.ts";

// Several instances of Steps, each with its own pool, scheduler and
// dispatcher, on one database. PGlite is a single in-process database, so
// there the instances share its one handle; PostgreSQL gets real separate pools.

const extraHandles: DbHandle[] = [];
afterAll(async () => {
  for (const handle of extraHandles) await handle.close();
});

const program = scheduleProgram({
  program: { start: "2026-06-15", end: "2026-08-07", channels: { coordinators: { slack: "#steps-coordinators" } } },
  events: { weekly: [{ slug: "lunch-and-learn", title: "Lunch-and-learn", weekday: "monday", time: "09:00", reminders: ["1h"], audience: "everyone" }] },
});
// Monday 08:00 PDT: the digest, the mentors' nudge time and the lunch-and-learn's 1h reminder, all at once.
const AT = new Date("2026-06-22T15:00:00Z");

async function instances(n: number) {
  const shared = await resetDb();
  const store = createStore(shared.db);
  await importRoster(store, program, rosterCsv);
  await store.upsertPeople(Array.from({ length: 120 }, (_, i) => ({ email: `extra${i}@example.org`, name: `Extra ${i}`, role: "intern" as const, department: "fire", mentorEmail: null })));
  const url = (shared as DbHandle & { url?: string }).url;
  const { events } = await loadEvents(program, ".");
  const sent: Sent[] = [];
  return Promise.all(
    Array.from({ length: n }, async () => {
      let handle = shared;
      if (onPostgres && url) {
        handle = await createDb(url, { maxConnections: 4 });
        extraHandles.push(handle);
      }
      const store = createStore(handle.db);
      const dispatcher = createDispatcher({ store, now: () => AT, log: silentLogger, batchSize: 20 });
      const recorder = recordingTransport(sent);
      // A little latency per send, so the instances' claims interleave.
      dispatcher.register({ ...recorder, sendToPerson: async (p, i, m) => (await new Promise((r) => setTimeout(r, Math.random() * 3)), recorder.sendToPerson(p, i, m)) });
      return { shared, store, dispatcher, sent, runDue: createRunDue({ program, store, log: silentLogger, events, graceMinutes: 30 }) };
    }),
  );
}

describe.each([2, 3])("%i instances ticking at the same minute", (n) => {
  it("deliver every reminder and digest once", async () => {
    const all = await instances(n);
    await Promise.all(
      all.map(async (i) => {
        await i.runDue(AT);
        await i.dispatcher.drain();
      }),
    );
    const sent = all[0]!.sent;
    const reminders = sent.filter((s) => toPlainText(s.message).startsWith("Reminder: Lunch-and-learn"));
    const digests = sent.filter((s) => toPlainText(s.message).startsWith("Test STEPS — week of"));
    // 6 on the roster + 120 extra interns.
    expect(reminders).toHaveLength(126);
    expect(new Set(reminders.map((s) => s.to)).size).toBe(126);
    expect(digests.map((s) => s.to).sort()).toEqual(["#coordinators", "cora@example.org"]);
    const rows = await all[0]!.shared.db.select({ status: outbox.status }).from(outbox);
    expect(rows.filter((r) => r.status === "sent")).toHaveLength(sent.length);
    expect(rows.every((r) => r.status === "sent")).toBe(true);
  });
});
