// A Steps instance that only sends the outbox, in a process of its own, for
// test/outbox-takeover.test.ts to kill mid fan-out with SIGKILL. It talks to
// Slack (the test's fake) over HTTP like any instance. Its database is the
// test's, reached over the IPC channel, because an in-memory PGlite cannot be
// shared between processes: each store call is a statement the process sends
// to the database, and once it is killed it sends no more.
import { webApi } from "@slack/bolt";
import { readSlackVars, slackClientOptions } from "../../adapters/slack/settings.ts";
import { slackTransport } from "../../adapters/slack/transport.ts";
import { createDispatcher } from "../../src/delivery/dispatcher.ts";
import { silentLogger } from "../../src/log.ts";
import type { Store } from "../../src/store.ts";
import { testProgram } from "./program.ts";

export interface ChildSettings {
  apiUrl: string;
  leaseMs: number;
  dedupHistory: boolean;
}

/** A store call from the child, and the database's answer. */
export type StoreCall = { id: number; method: keyof Store; args: unknown[] };
export type StoreAnswer = { id: number; result?: unknown; error?: string };

const settings = JSON.parse(process.env.OUTBOX_CHILD ?? "{}") as ChildSettings;

const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let calls = 0;
process.on("message", (answer: StoreAnswer) => {
  const waiting = pending.get(answer.id);
  pending.delete(answer.id);
  if (answer.error !== undefined) waiting?.reject(new Error(answer.error));
  else waiting?.resolve(answer.result);
});

const store = new Proxy({} as Store, {
  get: (_target, method) => (...args: unknown[]) =>
    new Promise((resolve, reject) => {
      const id = ++calls;
      pending.set(id, { resolve, reject });
      process.send!({ id, method: String(method), args });
    }),
});

const client = new webApi.WebClient("xoxb-test", slackClientOptions(readSlackVars({ SLACK_API_URL: settings.apiUrl })));
const dispatcher = createDispatcher({ store, now: () => new Date(), log: silentLogger, leaseMs: settings.leaseMs });
dispatcher.register(slackTransport({ client, store, program: testProgram(), log: silentLogger, dedupHistory: settings.dedupHistory }));
await dispatcher.drain();
process.exit(0);
