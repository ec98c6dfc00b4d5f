import { createStore } from "../../db/store.ts";
import { answer } from "../../src/chat.ts";
import { createDispatcher } from "../../src/delivery/dispatcher.ts";
import type { Transport } from "../../src/delivery/transport.ts";
import { createCore } from "../../src/domain/core.ts";
import { importRoster } from "../../src/domain/roster.ts";
import { silentLogger } from "../../src/log.ts";
import { toPlainText, type Message } from "../../src/messages.ts";
import type { Program } from "../../src/program/program.ts";
import { resetDb } from "./db.ts";
import { rosterCsv, testProgram } from "./program.ts";

export interface Sent {
  to: string;
  message: Message;
  id: number;
}

/** Records what would reach people, like a fake chat platform. */
export function recordingTransport(sent: Sent[], edits: Sent[] = []): Transport {
  let n = 0;
  return {
    platform: "test",
    reachesEveryone: true,
    async sendToPerson(person, _identity, message) {
      const id = ++n;
      sent.push({ to: person.email, message, id });
      return { platform: "test", id };
    },
    async sendToChannel(channel, message) {
      const id = ++n;
      sent.push({ to: `#${channel}`, message, id });
      return { platform: "test", id };
    },
    async update(ref, message) {
      edits.push({ to: `edit:${String(ref.id)}`, message, id: Number(ref.id) });
    },
  };
}

/** The core on a fresh database with the test roster loaded, a movable clock and a recording transport. */
export async function harness(options: { start?: string; program?: Program } = {}) {
  const db = await resetDb();
  const store = createStore(db.db);
  const program = options.program ?? testProgram();
  let clock = new Date(options.start ?? "2026-06-16T17:00:00Z");
  const now = () => clock;
  const dispatcher = createDispatcher({ store, now, log: silentLogger });
  const sent: Sent[] = [];
  const edits: Sent[] = [];
  dispatcher.register(recordingTransport(sent, edits));
  const core = createCore({ program, store, now, baseUrl: "https://steps.test" });
  await importRoster(store, program, rosterCsv);

  async function person(email: string) {
    const p = await store.personByEmail(email);
    if (!p) throw new Error(`no ${email} in the test roster`);
    return p;
  }

  return {
    db,
    store,
    program,
    core,
    dispatcher,
    sent,
    edits,
    person,
    setTime(iso: string) {
      clock = new Date(iso);
    },
    /** Types a command as that person and returns the plain-text reply. */
    async say(email: string, text: string): Promise<string> {
      return toPlainText(await answer(core, await person(email), text, silentLogger));
    },
    /** Sends what is queued and returns the messages sent to that recipient since the last call. */
    async inbox(to: string): Promise<string[]> {
      await dispatcher.drain();
      return sent.filter((s) => s.to === to).map((s) => toPlainText(s.message));
    },
    /** Lets queued work finish; the database itself is shared by the file and emptied by the next harness. */
    close: () => dispatcher.idle(),
  };
}

export type Harness = Awaited<ReturnType<typeof harness>>;
