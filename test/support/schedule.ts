import { createStore } from "../../db/store.ts";
import { createDispatcher } from "../../src/delivery/dispatcher.ts";
import type { Transport } from "../../src/delivery/transport.ts";
import { createCore } from "../../src/domain/core.ts";
import { importRoster } from "../../src/domain/roster.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { toPlainText } from "../../src/messages.ts";
import { createProgram, type Program } from "../../src/program/program.ts";
import { programFileSchema } from "../../src/program/schema.ts";
import { loadEvents } from "../../src/schedule/events.ts";
import { createRunDue } from "../../src/schedule/run-due.ts";
import { resetDb } from "./db.ts";
import { recordingTransport, type Sent } from "./harness.ts";
import { rosterCsv, testProgram } from "./program.ts";

/** The test program running all year (so both DST changes fall inside it), with events and digest settings. */
export function scheduleProgram(extra: { events?: unknown; digest?: unknown; program?: Record<string, unknown> } = {}): Program {
  const base = testProgram().file;
  return createProgram(
    programFileSchema.parse({
      ...base,
      program: { ...base.program, start: "2026-01-05", end: "2026-12-18", quiet_hours: { from: "00:00", to: "00:00" }, ...extra.program },
      events: extra.events ?? {},
      digest: extra.digest ?? {},
    }),
  );
}

/**
 * runDue and a dispatcher on the shared test database with the test roster, a
 * clock the test moves, and a recording transport (or the one given).
 */
export async function scheduleHarness(program: Program, options: { graceMinutes?: number; transport?: Transport; log?: Logger } = {}) {
  const db = await resetDb();
  const store = createStore(db.db);
  await importRoster(store, program, rosterCsv);
  let clock = new Date("2026-01-01T00:00:00Z");
  const now = () => clock;
  const sent: Sent[] = [];
  const dispatcher = createDispatcher({ store, now, log: silentLogger });
  dispatcher.register(options.transport ?? recordingTransport(sent));
  const { events, errors } = await loadEvents(program, "test/fixtures/ics");
  const core = createCore({ program, store, now, baseUrl: "https://steps.test" });
  const runDue = createRunDue({ program, store, log: options.log ?? silentLogger, events, graceMinutes: options.graceMinutes ?? 30 });
  return {
    db,
    store,
    dispatcher,
    core,
    sent,
    errors,
    runDue,
    now,
    /** Moves the clock, runs what is due and sends it; returns what was sent during this tick. */
    async tick(iso: string) {
      clock = new Date(iso);
      const before = sent.length;
      const result = await runDue(clock);
      await dispatcher.drain();
      return { ...result, sent: sent.slice(before).map((s) => ({ to: s.to, text: toPlainText(s.message) })) };
    },
    setTime(iso: string) {
      clock = new Date(iso);
    },
    async person(email: string) {
      return (await store.personByEmail(email))!;
    },
  };
}

export const INTERNS = ["ana@example.org", "ben@example.org", "cal@example.org"];
